"""The shared keyset cursor and the date parser that the queue, the public record and the
dashboard all use."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import pytest

from core.dates import parse_date
from core.errors import InvalidInput
from core.paging import decode_cursor, encode_cursor


def test_a_cursor_gives_back_the_moment_and_id_it_was_made_from() -> None:
    moment = datetime(2026, 11, 23, 9, 30, 15, 120000, tzinfo=UTC)
    cursor = encode_cursor(moment, 4711)
    assert "=" not in cursor  # it goes into a query string as it is
    assert decode_cursor(cursor) == (moment, 4711)


def test_a_padded_cursor_from_the_old_public_record_links_still_works() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    padded = base64.urlsafe_b64encode(f"{moment.isoformat()}|12".encode()).decode()
    assert padded.endswith("=")
    assert decode_cursor(padded) == (moment, 12)


@pytest.mark.parametrize("forged", ["%%%", "bm9wZQ", encode_cursor(None, 3), "fA"])
def test_a_cursor_that_does_not_decode_is_a_422_on_the_cursor_field(forged: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(forged)
    assert refused.value.status_code == 422 and refused.value.field == "cursor"


def test_dates_are_year_month_day_and_empty_means_none() -> None:
    assert parse_date(" 2026-02-28 ", field="start") == date(2026, 2, 28)
    assert parse_date("", field="start") is None
    assert parse_date(None, field="start") is None


def test_a_date_that_is_not_one_is_a_422_naming_the_field_and_the_value() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_date("2026-02-30", field="date_to")
    assert refused.value.field == "date_to" and "2026-02-30" in refused.value.message
