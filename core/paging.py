"""The keyset paging cursor: where the last page ended, as an opaque URL-safe string.

Keyset paging reads the next page from where the last one ended (a sort moment and the row
id), so page 1,000 costs what page 1 costs. A cursor that does not decode is a 422.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from core.clock import as_utc
from core.errors import InvalidInput


def encode_cursor(moment: datetime | None, row_id: int) -> str:
    text = f"{moment.isoformat() if moment else ''}|{row_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(moment, id) of the last row shown; padded and unpadded cursors are both accepted."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment_text, id_text = text.split("|")
        moment = as_utc(datetime.fromisoformat(moment_text))
        assert moment is not None
        return moment, int(id_text)
    except (ValueError, binascii.Error, UnicodeDecodeError, AssertionError) as error:
        raise InvalidInput("The page cursor is not valid.", field="cursor") from error
