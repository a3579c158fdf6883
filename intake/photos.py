"""Photos: checked by their content (not their name), size-limited, re-encoded, stored.

Re-encoding with Pillow drops EXIF, which often carries the GPS position of the resident's home.

A small file can hold a huge picture (a 105 KB PNG of 6000x6000 decodes to 144 MB), so the
dimensions are read from the header and bounded before a single pixel is decoded, JPEGs are
decoded at a reduced scale, and at most DECODERS photos are decoded at once per process: the
memory a burst of photos can take is bounded whatever arrives.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as WaitedTooLong
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import filetype
from PIL import Image, ImageFile, PngImagePlugin, UnidentifiedImageError

from core.errors import HotlineError, InvalidInput, TooLarge

ACCEPTED = {"image/jpeg", "image/png", "image/webp", "image/gif"}
# What is decoded at most: 12.6 megapixels (4096x3072; a 12 MP phone photo is 4032x3024),
# about 50 MB as RGBA and twice that while it is shrunk. A JPEG may be larger (up to
# MAX_SOURCE_PIXELS): it is decoded at 1/2, 1/4 or 1/8 scale, and that must fit.
MAX_PIXELS = 12_600_000
MAX_SOURCE_PIXELS = 64_000_000
MAX_SIDE = 2048
MAX_ASPECT = 20  # a 100000x1 strip is not a photo
# Photos are decoded on this many threads of their own: the memory a burst can take is that
# of DECODERS photos, and the allocator reuses the same threads' memory for the next ones.
DECODERS = 2
DECODE_WAIT_SECONDS = 60

# Pillow's own guards, tightened: a bigger image raises DecompressionBombError before decoding,
# and text chunks cannot make a PNG allocate more than a few MB
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024
ImageFile.LOAD_TRUNCATED_IMAGES = False
# Pillow keeps up to this many of its 16 MB memory blocks for the next image instead of
# freeing them: the decoder threads then reuse one pool rather than each keeping its own
# (glibc's per-thread arenas hold freed memory; a burst would leave each thread's high-water)
PILLOW_CACHED_BLOCKS = 8
Image.core.set_blocks_max(PILLOW_CACHED_BLOCKS)
_decoders = ThreadPoolExecutor(max_workers=DECODERS, thread_name_prefix="photo-decoder")
# Pixels being decoded at once, over all decoders: two ordinary photos together, one huge
# one alone (about 4 bytes a pixel, twice that while shrinking: ~110 MB at most)
PIXEL_BUDGET = MAX_PIXELS


class PixelBudget:
    def __init__(self, pixels: int) -> None:
        self.free = pixels
        self.total = pixels
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        pixels = min(pixels, self.total)
        with self._changed:
            self._changed.wait_for(lambda: self.free >= pixels)
            self.free -= pixels
        try:
            yield
        finally:
            with self._changed:
                self.free += pixels
                self._changed.notify_all()


_budget = PixelBudget(PIXEL_BUDGET)


class Busy(HotlineError):
    status_code = 503
    code = "busy"


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes  # re-encoded JPEG
    sha256: str
    content_type: str = "image/jpeg"

    @property
    def size_bytes(self) -> int:
        return len(self.data)


def check_photo(data: bytes, *, max_bytes: int, field: str = "photo") -> CheckedPhoto:
    if len(data) > max_bytes:
        raise TooLarge(
            "The photo is too large (%(size)s KB; at most %(limit)s KB).",
            field=field,
            size=len(data) // 1024,
            limit=max_bytes // 1024,
        )
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ACCEPTED:
        raise InvalidInput("The file is not a photo (JPEG, PNG, WebP or GIF).", field=field)
    job = _decoders.submit(_reencode, data, field=field)
    try:
        encoded = job.result(timeout=DECODE_WAIT_SECONDS)
    except WaitedTooLong as error:
        job.cancel()
        raise Busy("Too many photos are being processed: please try again in a minute.") from error
    return CheckedPhoto(data=encoded, sha256=hashlib.sha256(encoded).hexdigest())


def check_dimensions(
    width: int, height: int, *, field: str = "photo", limit: int = MAX_PIXELS
) -> None:
    """Refuse from the header alone what would take too much memory to decode."""
    if width <= 0 or height <= 0:
        raise InvalidInput("The photo could not be read: the file is damaged.", field=field)
    if width * height > limit or max(width, height) > MAX_ASPECT * min(width, height):
        raise InvalidInput(
            "The photo is too large (%(width)sx%(height)s pixels; at most %(limit)s megapixels).",
            field=field,
            width=width,
            height=height,
            limit=round(limit / 1_000_000),
        )


def _reencode(data: bytes, *, field: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            limit = MAX_SOURCE_PIXELS if probe.format == "JPEG" else MAX_PIXELS
            check_dimensions(probe.width, probe.height, field=field, limit=limit)
            probe.verify()  # checksums, without keeping pixels
        image: Image.Image
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                # decode at 1/2, 1/4 or 1/8 scale, still at least the size it is shrunk to
                ratio = min(1.0, MAX_SIDE / max(image.width, image.height))
                image.draft("RGB", (round(image.width * ratio), round(image.height * ratio)))
            check_dimensions(image.width, image.height, field=field)  # what will be decoded
            with _budget.hold(image.width * image.height):
                image.load()
                # shrink first, in the image's own mode, so the RGB copy is small
                image.thumbnail((MAX_SIDE, MAX_SIDE))
            if image.mode != "RGB":
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                if image.mode == "RGBA":
                    flat = Image.new("RGB", image.size, (255, 255, 255))
                    flat.paste(image, mask=image.getchannel("A"))
                    image = flat
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as error:
        raise InvalidInput(
            "The photo could not be read: the file is damaged.", field=field
        ) from error
    return out.getvalue()


def store_photo(photo: CheckedPhoto, *, media_dir: Path) -> str:
    """Write the photo under its content hash; returns the path relative to media_dir."""
    relative = Path(photo.sha256[:2]) / f"{photo.sha256}.jpg"
    target = media_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(".part")
        temporary.write_bytes(photo.data)
        temporary.replace(target)
    return relative.as_posix()
