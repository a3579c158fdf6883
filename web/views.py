"""The web room's routers, found by the app factory: every page, residents' and staff's."""

from fastapi import APIRouter
from starlette.routing import Mount

from httpbase.render import templates
from tickets import redact
from web import (
    media,
    procedure,
    resident,
    resident_actions,
    resident_followup,
    staff_auth,
    staff_moderation,
    staff_pages,
)
from web.admin import LazyAdmin

admin_router = APIRouter(include_in_schema=False)
admin_router.routes.append(Mount("/admin", app=LazyAdmin(), name="admin"))

routers = [
    media.router,
    staff_auth.router,
    staff_moderation.router,
    staff_pages.router,
    resident_actions.router,
    resident_followup.router,
    admin_router,
    procedure.router,
    resident.router,
]

# published text keeps its masks in English ("[phone hidden]", as the JSON API and Open311 give
# them); a page shows them in its own language: {{ text | masks(lang) }}
templates.env.filters["masks"] = redact.localize_masks
