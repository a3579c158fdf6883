"""Who may see a stored photo, and the unguessable address it is served at.

Photos (web form, API, MMS) are private when stored: the staff of the agency responsible for
the ticket (and the triage desk, officials and admins, as for the ticket itself) see them; the
public sees one only after staff published it (photos are re-encoded on arrival, so no EXIF
is left). Voice recordings are never published. Addresses are /media/<token>, the attachment
id signed with the secret key (itsdangerous), so ids cannot be walked.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from core.settings import get_settings
from tickets.models import Attachment

SALT = "hotline.media"
MAX_ID = 2**31 - 1  # attachment.id is an INTEGER column
PUBLISHABLE_KINDS = frozenset({"photo"})


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key.get_secret_value(), salt=SALT)


def token(attachment_id: int) -> str:
    return str(_serializer().dumps(attachment_id))


def url(attachment_id: int) -> str:
    return f"/media/{token(attachment_id)}"


def attachment_id(token_text: str) -> int | None:
    """The id a token was signed for; None for anything forged, malformed or out of range."""
    if not token_text or len(token_text) > 200:
        return None
    try:
        value = _serializer().loads(token_text)
    except BadSignature:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def find(*, session: Session, token_text: str) -> Attachment | None:
    found = attachment_id(token_text)
    return session.get(Attachment, found) if found is not None else None
