"""Security headers on every answer, and forwarded headers believed only from listed proxies.

Content-Security-Policy without inline script (the templates load scripts from /static only
and pass data as JSON, never pasted into script), no framing by other sites, no MIME sniffing,
no Referer (signed rating and answer links live in URLs), HSTS when the public URL is https.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.settings import Settings

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# sqladmin's own pages (Tabler, select2) set inline styles; their scripts are files
ADMIN_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(settings: Settings, path: str) -> list[tuple[bytes, bytes]]:
    csp = ADMIN_CSP if path.startswith("/admin") else CSP
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.public_base_url.startswith("https://"):
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(self.settings, scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _value in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *[(name, value) for name, value in extra if name not in present],
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


class TrustedProxies:
    """X-Forwarded-For/-Proto are believed only from TRUSTED_PROXIES (none by default), so a
    client cannot pick the address its rate limits count against. `hotline serve` runs uvicorn
    with proxy_headers off: this is the one place that decides, under any server."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        proxies = settings.trusted_proxy_list
        self.app: ASGIApp = (
            ProxyHeadersMiddleware(app, trusted_hosts=proxies) if proxies else app  # type: ignore[arg-type,assignment]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
