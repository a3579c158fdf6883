"""The staff room's routers, found by the app factory."""

from fastapi import APIRouter
from starlette.routing import Mount

from staff import api, auth_views, pages, public_views
from staff.admin import LazyAdmin
from staff.csrf import csrf_token
from web.render import templates

# every template may put the CSRF token in a form: {{ csrf_token(request) }}
templates.env.globals.setdefault("csrf_token", csrf_token)

admin_router = APIRouter(include_in_schema=False)
admin_router.routes.append(Mount("/admin", app=LazyAdmin(), name="admin"))

routers = [auth_views.router, pages.router, public_views.router, api.router, admin_router]
