"""/media/<token>: a stored photo, for whoever may see it; 404 for everyone else.

The token is the attachment id signed with the secret key (tickets.media): ids cannot be
walked, and a forged, malformed or out-of-range token is simply not found. A published photo
is public; an unpublished one is shown to the staff who may see its ticket.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from core.errors import NotFound
from httpbase.deps import SessionDep, SettingsDep
from httpbase.render import templates
from staff import service as staff_service
from staff.deps import optional_staff
from staff.models import StaffUser
from tickets import media
from tickets.models import Ticket

router = APIRouter(include_in_schema=False)
# templates show a photo by its signed address: {{ media_url(photo.id) }}
templates.env.globals["media_url"] = media.url


@router.get("/media/{token}")
def media_file(
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[StaffUser | None, Depends(optional_staff)],
) -> FileResponse:
    attachment = media.find(session=session, token_text=token)
    if attachment is None or not attachment.storage_path:
        raise NotFound("No such photo.")
    allowed = attachment.public and attachment.kind in media.PUBLISHABLE_KINDS
    if not allowed and user is not None:
        ticket = session.get(Ticket, attachment.ticket_id)
        allowed = ticket is not None and staff_service.can_view(user, ticket)
    if not allowed:
        raise NotFound("No such photo.")
    path = (settings.media_dir / attachment.storage_path).resolve()
    if not path.is_relative_to(settings.media_dir.resolve()) or not path.exists():
        raise NotFound("No such photo.")
    # private photos must not be kept by shared caches
    cache = "public, max-age=3600" if attachment.public else "private, no-store"
    return FileResponse(
        path,
        media_type=attachment.content_type,
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )
