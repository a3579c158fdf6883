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
from dataclasses import dataclass
from pathlib import Path

import filetype
from PIL import Image, ImageFile, PngImagePlugin, UnidentifiedImageError

from core.errors import HotlineError, InvalidInput, TooLarge

ACCEPTED = {"image/jpeg", "image/png", "image/webp", "image/gif"}
# 24 megapixels (6000x4000, a large phone photo); decoded as RGBA that is 96 MB at most
MAX_PIXELS = 24_000_000
MAX_SIDE = 2048
MAX_ASPECT = 20  # a 100000x1 strip is not a photo
DECODERS = 2
DECODE_WAIT_SECONDS = 30

# Pillow's own guards, tightened: a bigger image raises DecompressionBombError before decoding,
# and text chunks cannot make a PNG allocate more than a few MB
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
PngImagePlugin.MAX_TEXT_CHUNK = 256 * 1024
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024
ImageFile.LOAD_TRUNCATED_IMAGES = False
_decoders = threading.BoundedSemaphore(DECODERS)


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
    if not _decoders.acquire(timeout=DECODE_WAIT_SECONDS):
        raise Busy("Too many photos are being processed: please try again in a minute.")
    try:
        encoded = _reencode(data, field=field)
    finally:
        _decoders.release()
    return CheckedPhoto(data=encoded, sha256=hashlib.sha256(encoded).hexdigest())


def check_dimensions(width: int, height: int, *, field: str = "photo") -> None:
    """Refuse from the header alone what would take too much memory to decode."""
    if width <= 0 or height <= 0:
        raise InvalidInput("The photo could not be read: the file is damaged.", field=field)
    if width * height > MAX_PIXELS or max(width, height) > MAX_ASPECT * min(width, height):
        raise InvalidInput(
            "The photo is too large (%(width)sx%(height)s pixels; at most %(limit)s megapixels).",
            field=field,
            width=width,
            height=height,
            limit=MAX_PIXELS // 1_000_000,
        )


def _reencode(data: bytes, *, field: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            check_dimensions(probe.width, probe.height, field=field)
            probe.verify()  # checksums, without keeping pixels
        image: Image.Image
        with Image.open(io.BytesIO(data)) as image:
            check_dimensions(image.width, image.height, field=field)
            if image.format == "JPEG":
                image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
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
