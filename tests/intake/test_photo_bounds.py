"""Small files that decode to huge pictures are refused before decoding; the ones that are
decoded are decoded a bounded number at a time, so a burst keeps memory bounded."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from core.errors import InvalidInput
from intake import photos
from tests.intake.images import huge_png

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"description": "Ổ gà lớn trước số 12 đường Lê Văn Sỹ, xe máy té liên tục.",
        "area_id": "26743"}


@pytest.mark.parametrize(
    ("width", "height", "bit_depth", "color_type"),
    [(6000, 6000, 1, 0), (6320, 6320, 16, 6), (20000, 100, 8, 2)],
)
def test_huge_dimensions_are_refused_from_the_header(
    width: int, height: int, bit_depth: int, color_type: int
) -> None:
    data = huge_png(width, height, bit_depth=bit_depth, color_type=color_type)
    assert len(data) < 400 * 1024
    started = time.monotonic()
    with pytest.raises(InvalidInput, match="too large"):
        photos.check_photo(data, max_bytes=5 * 2**20)
    assert time.monotonic() - started < 2  # nothing was decoded


def test_the_api_refuses_a_16_bit_rgba_bomb_with_a_422(client) -> None:
    bomb = base64.b64encode(huge_png(6320, 6320)).decode()
    response = client.post("/api/v1/reports", json={**GOOD, "photo_base64": bomb})
    assert response.status_code == 422 and response.json()["error"]["field"] == "photo"


def test_a_16_bit_png_under_the_limit_is_re_encoded() -> None:
    checked = photos.check_photo(huge_png(1200, 900), max_bytes=5 * 2**20)
    image = Image.open(io.BytesIO(checked.data))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (1200, 900))


def test_a_large_jpeg_is_decoded_at_a_reduced_scale() -> None:
    out = io.BytesIO()
    Image.new("RGB", (5000, 4000), (90, 90, 90)).save(out, format="JPEG", quality=50)
    assert photos.MAX_PIXELS < 5000 * 4000
    checked = photos.check_photo(out.getvalue(), max_bytes=5 * 2**20)
    assert Image.open(io.BytesIO(checked.data)).size == (2048, 1638)


def test_the_pixel_budget_lets_one_huge_picture_decode_at_a_time() -> None:
    budget = photos.PixelBudget(100)
    inside = 0
    most = 0
    lock = threading.Lock()

    def decode() -> None:
        nonlocal inside, most
        with budget.hold(80):
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=decode) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1


MEASURE = """
import sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from tests.intake.images import huge_png
from intake import photos
data = huge_png(4096, 3072)
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
base = rss(); peak = base; done = False
def sample():
    global peak
    while not done:
        peak = max(peak, rss()); time.sleep(0.01)
sampler = threading.Thread(target=sample); sampler.start()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(lambda d: photos.check_photo(d, max_bytes=5 * 2**20), [data] * 8))
done = True; sampler.join()
print(round(peak - base))
"""


@pytest.mark.slow
def test_eight_pictures_at_the_limit_at_once_stay_under_300_mb_of_growth() -> None:
    """The cheap version of bench/photos_memory.py (which measures a real uvicorn process)."""
    result = subprocess.run(
        [sys.executable, "-c", MEASURE], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    growth = int(result.stdout.strip().splitlines()[-1])
    assert growth < 300, f"{growth} MB"
