"""The web room's routers, found by the app factory."""

from web import resident

routers = [resident.router]
