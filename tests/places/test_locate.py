"""At the door: a report without a ward gets one from its coordinates or its text."""

from __future__ import annotations

from sqlmodel import Session

from places import service

BEN_THANH, PHU_NHUAN = "26743", "27073"


def test_coordinates_map_to_the_nearest_ward_centre(session: Session) -> None:
    centre = service.gazetteer(79).wards[BEN_THANH]
    assert centre.lat is not None and centre.lon is not None
    located = service.locate(session=session, text="Cây đổ", latitude=centre.lat + 0.001,
                             longitude=centre.lon)
    assert (located.ward_code, located.source, located.basis) == (
        BEN_THANH, "coordinates", "nearest_centre")


def test_a_point_far_outside_the_province_gives_no_ward(session: Session) -> None:
    located = service.locate(session=session, text="Cây đổ", latitude=21.03, longitude=105.85)
    assert located.ward_code is None and located.source == "text"


def test_the_text_and_the_typed_address_are_read_when_there_is_no_point(
    session: Session,
) -> None:
    located = service.locate(session=session, text="Đèn đường hư",
                             address="hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận")
    assert (located.ward_code, located.source) == (PHU_NHUAN, "text")
    assert located.address == "hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận"


def test_a_reading_is_remembered_once_per_report(session: Session) -> None:
    located = service.locate(session=session, text="ko co nuoc may 2 ngay roi, Q8")
    assert located.ward_code is None and len(located.candidates) > 1
    service.remember_reading(session=session, ticket_id=9, located=located)
    again = service.remember_reading(session=session, ticket_id=9, located=located)
    row = service.reading_of(session=session, ticket_id=9)
    assert row is again and row is not None
    assert row.candidates == located.candidates and row.basis == "district"


def test_the_ward_question_speaks_vietnamese() -> None:
    assert service.ward_question(language="vi", code="AB12-CD34").startswith(
        "Tổng đài 1022: Bạn ở phường nào?")
