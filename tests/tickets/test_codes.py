"""Tracking codes: readable, typeable, self-checking and unguessable."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from tickets import codes

LOOK_ALIKES = set("01ILOSBZGQUVW")


def test_codes_avoid_look_alike_characters_and_have_eight_characters() -> None:
    for _ in range(500):
        code = codes.new_code()
        assert len(code) == 8
        assert not set(code) & LOOK_ALIKES
        assert codes.normalize(code) == code


def test_every_single_mistyped_character_is_caught() -> None:
    for _ in range(20):
        code = codes.new_code()
        for position in range(len(code)):
            for replacement in codes.ALPHABET:
                if replacement == code[position]:
                    continue
                typo = code[:position] + replacement + code[position + 1 :]
                assert not codes.is_valid(typo), (code, typo)


def test_swapped_neighbouring_characters_are_caught() -> None:
    for _ in range(50):
        code = codes.new_code()
        for i in range(len(code) - 1):
            if code[i] != code[i + 1]:
                swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
                assert not codes.is_valid(swapped)


def test_lower_case_spaces_and_dashes_are_accepted() -> None:
    code = codes.new_code()
    typed = f" {code[:4].lower()} - {code[4:].lower()} "
    assert codes.normalize(typed) == code
    assert codes.display(code) == f"{code[:4]}-{code[4:]}"


@pytest.mark.parametrize("typed", ["", "ABC", "ABCDEFGHJ", "0OIL2345"])
def test_malformed_codes_are_refused_with_a_reason(typed: str) -> None:
    with pytest.raises(InvalidInput) as error:
        codes.normalize(typed)
    assert error.value.field == "code"


def test_consecutive_codes_are_not_predictable() -> None:
    generated = [codes.new_code() for _ in range(2000)]
    assert len(set(generated)) == len(generated)
    # neighbours share no more characters in place than chance allows (1/23 per position)
    same = sum(a[i] == b[i] for a, b in zip(generated, generated[1:], strict=False)
               for i in range(7))
    assert same / (7 * (len(generated) - 1)) < 0.1


def test_a_code_already_taken_is_drawn_again_and_nothing_half_written(  # type: ignore[no-untyped-def]
    session, monkeypatch
) -> None:
    """On PostgreSQL the insert skips a taken code (ON CONFLICT DO NOTHING) instead of a
    savepoint; on both databases a collision draws a new code and files one ticket."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from tests import factories
    from tickets.models import Ticket, TicketEvent

    first = factories.ticket(session)
    fresh = codes.new_code()
    draws = iter([first.code, first.code, fresh])
    monkeypatch.setattr(codes, "new_code", lambda: next(draws))
    second = factories.ticket(session, description="Đèn đường hẻm 5 tắt")
    assert second.code == fresh and second.id != first.id
    session.expire_all()
    stored = session.get(Ticket, second.id)
    assert stored is not None and stored.code == fresh
    assert stored.description == "Đèn đường hẻm 5 tắt" and stored.language == "vi"
    assert session.execute(select(func.count()).select_from(Ticket)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == second.id)).scalar_one() == 1

    monkeypatch.setattr(codes, "new_code", lambda: first.code)
    with pytest.raises(IntegrityError):
        factories.ticket(session, description="never filed")
