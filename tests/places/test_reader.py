"""The place reader: today's ward, or the candidates, or unknown; never a guess."""

from __future__ import annotations

import pytest

from places import service

# Official codes written out by hand from the government list (GSO), not read from the code.
BEN_THANH, SAI_GON, TAN_DINH, CAU_ONG_LANH = "26743", "26740", "26737", "26758"
PHU_NHUAN, DUC_NHUAN, CAU_KIEU = "27073", "27043", "27058"
TAN_NHUT, TAN_TAO = "27595", "27457"


def read(text: str, **kwargs):  # type: ignore[no-untyped-def]
    return service.reader(79).read(text, **kwargs)


def test_the_sms_of_the_issue_lands_on_todays_phu_nhuan_ward() -> None:
    reading = read("Đèn đường hư trước hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận")
    assert reading.ward_code == PHU_NHUAN
    assert reading.ward == "Phường Phú Nhuận"
    assert reading.address == "hẻm 45 Lê Văn Sỹ, phường 13, Phú Nhuận"
    assert reading.former == "Phường 13, Quận Phú Nhuận"
    assert reading.confidence >= 0.8
    assert reading.lat is not None and 10.7 < reading.lat < 10.9


@pytest.mark.parametrize(
    "text",
    [
        "den duong hu truoc hem 45 le van sy p13 phu nhuan",
        "mat dien o F13 Q.PN tu sang",
        "F.13 PN cúp điện",  # a district's initials right after the ward number
        "Street light broken at alley 45 Le Van Sy, Ward 13, Phu Nhuan District",
        "PHƯỜNG 13 QUẬN PHÚ NHUẬN cúp nước",
    ],
)
def test_shorthand_english_and_no_diacritics_read_the_same_former_ward(text: str) -> None:
    assert read(text).ward_code == PHU_NHUAN


@pytest.mark.parametrize(
    "text",
    ["Cây đổ ở P.Bến Thành", "Pothole on Le Loi, Ben Thanh ward", "cay do phuong ben thanh",
     "Broken pavement, ward Ben Thanh"],
)
def test_todays_ward_written_as_a_ward(text: str) -> None:
    reading = read(text)
    assert (reading.ward_code, reading.basis) == (BEN_THANH, "ward")


def test_a_former_named_ward_goes_to_the_ward_it_joined() -> None:
    # Phường Bến Nghé (Quận 1) became, for its greatest part, today's Phường Sài Gòn
    assert read("phường Bến Nghé quận 1 vỉa hè bị lấn chiếm").ward_code == SAI_GON


def test_a_former_district_alone_gives_its_wards_as_candidates_not_a_ward() -> None:
    reading = read("Garbage not collected in District 1 for a week")
    assert reading.ward_code is None
    assert set(reading.candidates) == {BEN_THANH, SAI_GON, TAN_DINH, CAU_ONG_LANH}


def test_a_bare_district_name_that_is_also_a_ward_stays_ambiguous() -> None:
    reading = read("mất điện cả khu Phú Nhuận")
    assert reading.ward_code is None
    assert {PHU_NHUAN, DUC_NHUAN, CAU_KIEU} <= set(reading.candidates)


def test_a_split_former_ward_keeps_every_candidate() -> None:
    reading = read("Nước ngập ở xã Tân Kiên, huyện Bình Chánh")
    assert reading.ward_code is None
    assert set(reading.candidates) == {TAN_NHUT, TAN_TAO}


def test_a_street_seen_in_confirmed_reports_decides_a_split_ward() -> None:
    text = "Nước ngập trước số 12 Trần Văn Giàu, xã Tân Kiên, huyện Bình Chánh"
    assert read(text).ward_code is None
    assert read(text).street == "tranvangiau"
    once = read(text, street_hints={"tranvangiau": {TAN_TAO: 1}})
    assert once.ward_code is None  # one confirmation is not enough
    reading = read(text, street_hints={"tranvangiau": {TAN_TAO: 3, TAN_NHUT: 1}})
    assert (reading.ward_code, reading.basis) == (TAN_TAO, "street")
    assert set(reading.candidates) == {TAN_NHUT, TAN_TAO}
    tied = read(text, street_hints={"tranvangiau": {TAN_TAO: 2, TAN_NHUT: 2}})
    assert tied.ward_code is None


def test_a_landmark_names_its_ward() -> None:
    assert read("Rác thải quanh chợ Bến Thành bốc mùi").ward_code == BEN_THANH
    assert read("rubbish outside Ben Thanh Market").ward_code == BEN_THANH


@pytest.mark.parametrize(
    "text",
    [
        "Karaoke hàng xóm hát đến 2 giờ sáng, không ngủ được.",
        "goi tong dai 30p 2 lan ko ai nghe",  # "30p 2" is minutes, not phường 2
        "Sài Gòn mưa lớn, nhiều nơi ngập",  # the city, not Phường Sài Gòn
        "anh PN nói đèn hư",  # initials alone are not a district
        "mong cuộc sống được hòa bình, bình an",
        "Ổ gà trên đường Nguyễn Văn Linh rất nguy hiểm",  # a street alone: no ward
        "",
    ],
)
def test_no_place_named_answers_unknown(text: str) -> None:
    reading = read(text)
    assert reading.ward_code is None and reading.candidates == []
    assert reading.confidence == 0.0


def test_a_ward_name_after_a_house_number_is_a_street() -> None:
    # "Hòa Bình" is a ward and a street: "3 Hòa Bình" is the street
    assert read("ngập trước số 3 Hòa Bình").ward_code is None


def test_a_point_maps_to_the_nearest_ward_centre() -> None:
    centre = service.gazetteer(79).wards[BEN_THANH]
    assert centre.lat is not None and centre.lon is not None
    nearest = service.gazetteer(79).nearest_ward(centre.lat + 0.0005, centre.lon - 0.0005)
    assert nearest is not None and nearest.code == BEN_THANH
