"""A real HTTP server in a thread, and a real browser, for tests that need them."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve the ASGI app on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (skips locally, fails under CI, if missing)."""
    from tests.conftest import unavailable

    if shutil.which(CHROMIUM) is None:
        unavailable("chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# --- the finish (issue 13): screenshots and accessibility ---------------------------------

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-results" / "screenshots"
PHONE = {"width": 360, "height": 800}
DESKTOP = {"width": 1366, "height": 900}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


def screenshot(page: Any, name: str) -> Path:
    """Write the whole page as test-results/screenshots/<name>-<width>.png at phone and
    desktop width (restoring the page's own size afterwards)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    path = SCREENSHOTS
    for label, size in WIDTHS.items():
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
    if original:
        page.set_viewport_size(original)
    return path


def overflow_at_phone_width(page: Any) -> str:
    """What sticks out of a 360-pixel phone's width ("": the page fits)."""
    original = page.viewport_size
    page.set_viewport_size(PHONE)
    page.wait_for_timeout(400)  # charts redraw for the new width after a frame
    found = page.evaluate(
        """width => {
          if (document.documentElement.scrollWidth <= width) return "";
          let widest = null;
          for (const el of document.querySelectorAll("body *")) {
            if (el.closest(".table-wrap, .scroll")) continue;  // tables scroll sideways
            const right = el.getBoundingClientRect().right;
            if (right > width + 1 && (!widest || right > widest[1])) widest = [el, right];
          }
          if (!widest) return "";
          const el = widest[0];
          return `${el.tagName.toLowerCase()}#${el.id}.${el.className} ends at ${widest[1]}`;
        }""",
        PHONE["width"],
    )
    if original:
        page.set_viewport_size(original)
    return str(found)


def serious_violations(page: Any) -> list[str]:
    """axe-core (bundled by axe-playwright-python, no network) on the page as it is: the serious
    and critical violations, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") in ("serious", "critical"):
            targets = [str(node.get("target")) for node in violation.get("nodes", [])][:3]
            found.append(f"{page.url}: {violation['id']} ({violation['impact']}) {targets}")
    return found
