"""Photos: checked by their content (not their name), size-limited, re-encoded, stored.

Re-encoding with Pillow drops EXIF, which often carries the GPS position of the resident's home.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import filetype
from PIL import Image, UnidentifiedImageError

from core.errors import InvalidInput, TooLarge

ACCEPTED = {"image/jpeg", "image/png", "image/webp", "image/gif"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048


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
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput("The photo has too many pixels.", field=field)
            probe.verify()
        image: Image.Image
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
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
    encoded = out.getvalue()
    return CheckedPhoto(data=encoded, sha256=hashlib.sha256(encoded).hexdigest())


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
