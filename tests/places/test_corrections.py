"""Places people set are kept as data, and a street they confirmed decides a split ward."""

from __future__ import annotations

from sqlmodel import Session, select

from places import service
from places.models import PlaceCorrection

TAN_NHUT, TAN_TAO = "27595", "27457"  # Xã Tân Kiên (huyện Bình Chánh) was split between them
SPLIT_TEXT = "Nước ngập trước số {n} Trần Văn Giàu, xã Tân Kiên, huyện Bình Chánh"


def test_a_correction_keeps_the_text_what_was_read_and_the_ward(session: Session) -> None:
    correction = service.record_correction(
        session=session, text=SPLIT_TEXT.format(n=12), ward_code=TAN_TAO, source="staff",
        ticket_id=42, actor_id=7,
    )
    stored = session.exec(select(PlaceCorrection)).one()
    assert stored.id == correction.id
    assert (stored.ward_code, stored.read_ward_code, stored.street_key) == (
        TAN_TAO, None, "tranvangiau")
    assert set(stored.read_candidates) == {TAN_NHUT, TAN_TAO}
    assert (stored.ticket_id, stored.source, stored.actor_id) == (42, "staff", 7)


def test_confirmed_streets_decide_a_split_ward_for_the_next_report(session: Session) -> None:
    text = SPLIT_TEXT.format(n=80)
    assert service.read_report_place(session=session, text=text).ward_code is None
    for number in (12, 30):
        service.record_correction(session=session, text=SPLIT_TEXT.format(n=number),
                                  ward_code=TAN_TAO, source="staff")
    assert service.street_confirmations(session=session, street="tranvangiau") == {TAN_TAO: 2}
    reading = service.read_report_place(session=session, text=text)
    assert (reading.ward_code, reading.basis) == (TAN_TAO, "street")
