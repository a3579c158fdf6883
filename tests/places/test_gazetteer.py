"""The official list comes from the packages: every ward and commune of the province."""

from __future__ import annotations

import pytest

from places import gazetteer, service


def test_ho_chi_minh_city_has_its_168_units_with_official_codes() -> None:
    places = gazetteer.load(79)
    assert len(places.wards) == 168
    kinds = [ward.kind for ward in places.wards.values()]
    assert (kinds.count("ward"), kinds.count("commune"), kinds.count("special_zone")) == (
        113, 54, 1)
    assert places.wards["26743"].name == "Phường Bến Thành"
    assert places.wards["27073"].name == "Phường Phú Nhuận"
    assert all(len(code) == 5 and code.isdigit() for code in places.wards)


def test_every_ward_has_a_centre_inside_the_province() -> None:
    for ward in gazetteer.load(79).wards.values():
        assert ward.lat is not None and ward.lon is not None
        assert 8.5 < ward.lat < 11.5 and 105.5 < ward.lon < 108.0, ward


def test_another_province_loads_its_own_list() -> None:
    hanoi = gazetteer.load(1)
    assert len(hanoi.wards) == 126
    assert "26743" not in hanoi.wards


def test_an_unknown_province_is_refused() -> None:
    with pytest.raises(gazetteer.PlacesDataError):
        gazetteer.load(3)


def test_official_areas_are_the_rows_routing_loads() -> None:
    areas = service.official_areas(79)
    assert len(areas) == 168 and len({a["id"] for a in areas}) == 168
    ben_thanh = next(a for a in areas if a["id"] == "26743")
    assert ben_thanh["name_en"] == "Ben Thanh Ward" and ben_thanh["kind"] == "ward"
    assert "Quận 1" in ben_thanh["former_district"]


def test_old_names_map_to_one_official_code_or_none() -> None:
    assert service.official_code_for(name="Phường Bến Thành") == "26743"
    # Thủ Thiêm (former Thủ Đức city) went wholly to today's An Khánh
    assert service.official_code_for(
        name="Phường Thủ Thiêm", former_district="Thành phố Thủ Đức") == "27118"
    # split between Tân Nhựt and Tân Tạo: no single code
    assert service.official_code_for(name="Xã Tân Kiên", former_district="Huyện Bình Chánh") is None
    assert service.official_code_for(name="Khu công nghệ cao") is None
