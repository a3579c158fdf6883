"""The configured province's places, today's and former, read from maintained packages.

Nothing here is typed by hand:

- today's wards, communes and special zones, their names and official codes: ``vietnam-provinces``
  (the General Statistics Office's list in force since 1 July 2025);
- former (pre-2025) wards and districts with the ways people write them (``p13``, ``f13``,
  ``q8``, ``district 1``, the names of wards merged earlier), which of today's wards each former
  ward went to (all of them when it was split, the package's default first), and each ward's
  centre: the data files of ``vietnamadminunits`` (its SQLite data set and its 2025 conversion
  table), read directly. Its own converter geocodes streets over the network; we never call it.

The two packages are joined by today's ward names (identical in both); the codes are
vietnam-provinces' (ten HCMC codes differ in vietnamadminunits, which carries draft codes).
Landmarks come from ``places/data/landmarks.toml`` (see that file for where they come from).
"""

from __future__ import annotations

import importlib.util
import json
import math
import sqlite3
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from places.text import fold, key

DATA_DIR = Path(__file__).resolve().parent / "data"
LANDMARKS_FILE = DATA_DIR / "landmarks.toml"

# How people prefix a ward or commune, and a former district, before its name or number.
WARD_PREFIXES = ("phuong", "p", "f", "ward", "xa", "x", "commune", "dackhu", "dk", "thitran", "tt")
DISTRICT_PREFIXES = {
    "quan": ("quan", "q", "district", "dist", "d"),
    "huyen": ("huyen", "h", "district"),
    "thanhpho": ("thanhpho", "tp", "city"),
    "thixa": ("thixa", "tx", "town"),
}
_KINDS = {"phường": "ward", "xã": "commune", "đặc khu": "special_zone"}


class PlacesDataError(RuntimeError):
    """The packages do not hold the configured province (or are not installed)."""


@dataclass(frozen=True)
class Entry:
    kind: str  # "ward" (today's), "former_ward", "district" (former), "landmark"
    ref: str  # ward code, former ward key, former district key, landmark index
    typed: bool  # written with its kind ("phường ...", "quận ...", "... ward"), not a bare name


@dataclass(frozen=True)
class Ward:
    code: str  # official code, five digits
    name: str  # "Phường Bến Thành"
    short: str  # "Bến Thành"
    kind: str  # ward | commune | special_zone
    lat: float | None = None
    lon: float | None = None
    former_districts: tuple[str, ...] = ()

    @property
    def name_en(self) -> str:
        label = {"ward": "Ward", "commune": "Commune", "special_zone": "Special Zone"}[self.kind]
        return f"{_ascii_title(self.short)} {label}"


@dataclass(frozen=True)
class FormerWard:
    key: str
    name: str  # "Phường 13"
    district_key: str
    district: str  # "Quận Phú Nhuận"
    today: tuple[str, ...]  # codes of today's wards it went to; the package's default first


@dataclass(frozen=True)
class District:
    key: str
    name: str
    today: tuple[str, ...]  # every ward of today that took part of it


@dataclass(frozen=True)
class Landmark:
    name: str
    kind: str
    today: tuple[str, ...]


@dataclass
class Gazetteer:
    province_code: int
    province_name: str
    wards: dict[str, Ward]
    former_wards: dict[str, FormerWard]
    districts: dict[str, District]
    landmarks: list[Landmark]
    index: dict[str, tuple[Entry, ...]] = field(default_factory=dict)
    max_tokens: int = 1
    prefixes: frozenset[str] = frozenset()  # every beginning of every key: the scan stops early
    # a former district's initials ("pn", "gv"), where unique: read only right after a ward
    # number ("p13 pn", "f17 gv")
    district_initials: dict[str, str] = field(default_factory=dict)

    def ward_by_name(self, name: str) -> Ward | None:
        wanted = key(name)
        for ward in self.wards.values():
            if wanted in (key(ward.name), key(ward.short)):
                return ward
        return None

    def nearest_ward(self, lat: float, lon: float) -> Ward | None:
        """The ward whose centre is nearest: an approximation, no ward shapes are shipped."""
        best, best_distance = None, math.inf
        for ward in self.wards.values():
            if ward.lat is None or ward.lon is None:
                continue
            distance = distance_km(lat, lon, ward.lat, ward.lon)
            if distance < best_distance:
                best, best_distance = ward, distance
        return best


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _ascii_title(text: str) -> str:
    return " ".join(word.capitalize() for word in fold(text).split())


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise PlacesDataError(f"the package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def official_units(province_code: int) -> tuple[str, list[tuple[str, str, str]]]:
    """(province name, [(code, name, kind)]) from vietnam-provinces."""
    from vietnam_provinces import Province, ProvinceCode
    from vietnam_provinces import Ward as OfficialWard

    try:
        province = Province.from_code(ProvinceCode(province_code))
    except ValueError as error:
        raise PlacesDataError(f"no province with code {province_code}") from error
    units = []
    for unit in OfficialWard.iter_by_province(province.code):
        name = " ".join(unit.name.split())
        kind = _KINDS.get(str(unit.division_type.value), "ward")
        units.append((f"{int(unit.code):05d}", name, kind))
    return province.name, units


@lru_cache(maxsize=4)
def load(province_code: int) -> Gazetteer:
    """Build (once per process) the gazetteer of one province."""
    province_name, units = official_units(province_code)
    data_dir = _package_dir("vietnamadminunits") / "data"
    connection = sqlite3.connect(f"file:{data_dir / 'dataset.db'}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        today_rows = connection.execute(
            "SELECT ward, wardShort, wardLat, wardLon, wardKey, provinceKey, wardKeywords "
            "FROM admin_units WHERE CAST(provinceCode AS INTEGER) = ?",
            (province_code,),
        ).fetchall()
        if not today_rows:
            raise PlacesDataError(f"vietnamadminunits has no province {province_code}")
        new_province_key = today_rows[0]["provinceKey"]
        conversion = json.loads((data_dir / "converter_2025.json").read_text(encoding="utf-8"))
        old_province_keys = conversion["DICT_PROVINCE"].get(new_province_key, [new_province_key])
        marks = ",".join("?" * len(old_province_keys))
        legacy_rows = connection.execute(
            "SELECT provinceKey, district, districtShort, districtKey, districtType, "
            "districtKeywords, ward, wardShort, wardKey, wardKeywords "
            f"FROM admin_units_legacy WHERE provinceKey IN ({marks})",
            old_province_keys,
        ).fetchall()
    finally:
        connection.close()

    by_name = {row["ward"]: row for row in today_rows}
    code_of_new_key: dict[str, str] = {}
    wards: dict[str, Ward] = {}
    for code, name, kind in units:
        row = by_name.get(name)
        short = row["wardShort"] if row else name.split(" ", 1)[-1]
        if kind == "special_zone" and short.lower().startswith("khu "):
            short = short[4:]
        wards[code] = Ward(
            code=code, name=name, short=short, kind=kind,
            lat=row["wardLat"] if row else None, lon=row["wardLon"] if row else None,
        )
        if row:
            code_of_new_key[row["wardKey"]] = code

    # former ward key ("province_district_ward") -> today's codes
    today_of: dict[str, list[str]] = defaultdict(list)
    for new_key, old_keys in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].get(
        new_province_key, {}
    ).items():
        for old_key in old_keys:
            if new_key in code_of_new_key:
                today_of[old_key].append(code_of_new_key[new_key])
    for old_key, parts in conversion["DICT_PROVINCE_WARD_DIVIDED"].get(
        new_province_key, {}
    ).items():
        ordered = sorted(parts, key=lambda part: not part["isDefaultNewWard"])
        for part in ordered:
            new_code = code_of_new_key.get(part["newWardKey"])
            if new_code and new_code not in today_of[old_key]:
                today_of[old_key].append(new_code)

    former_wards: dict[str, FormerWard] = {}
    district_rows: dict[str, sqlite3.Row] = {}
    district_today: dict[str, list[str]] = defaultdict(list)
    former_districts_of: dict[str, list[str]] = defaultdict(list)
    for row in legacy_rows:
        district_key = f"{row['provinceKey']}_{row['districtKey']}"
        district_rows.setdefault(district_key, row)
        old_key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"
        today = tuple(today_of.get(old_key, ()))
        for code in today:
            if code not in district_today[district_key]:
                district_today[district_key].append(code)
            if row["district"] not in former_districts_of[code]:
                former_districts_of[code].append(row["district"])
        if row["wardKey"]:
            former_wards[old_key] = FormerWard(
                key=old_key, name=row["ward"], district_key=district_key,
                district=row["district"], today=today,
            )
    for old_key, codes in today_of.items():  # districts without wards (islands)
        district_key = old_key.rsplit("_", 1)[0]
        if old_key.endswith("_") and district_key in district_rows:
            for code in codes:
                if code not in district_today[district_key]:
                    district_today[district_key].append(code)
    districts = {
        district_key: District(
            key=district_key, name=row["district"], today=tuple(district_today[district_key])
        )
        for district_key, row in district_rows.items()
    }
    wards = {
        code: Ward(**{**ward.__dict__, "former_districts": tuple(former_districts_of[code])})
        for code, ward in wards.items()
    }
    gazetteer = Gazetteer(
        province_code=province_code, province_name=province_name, wards=wards,
        former_wards=former_wards, districts=districts, landmarks=[],
    )
    _build_index(gazetteer, today_rows, legacy_rows, district_rows)
    gazetteer.landmarks = _landmarks(gazetteer, LANDMARKS_FILE)
    _index_landmarks(gazetteer)
    gazetteer.prefixes = frozenset(
        name_key[:end] for name_key in gazetteer.index for end in range(1, len(name_key) + 1)
    )
    return gazetteer


def _landmarks(gazetteer: Gazetteer, path: Path) -> list[Landmark]:
    if not path.exists():
        return []
    landmarks = []
    for row in tomllib.loads(path.read_text(encoding="utf-8")).get("landmark", []):
        if int(row.get("province", 79)) != gazetteer.province_code:
            continue
        today: tuple[str, ...] = ()
        if "ward" in row:
            ward = gazetteer.ward_by_name(row["ward"])
            today = (ward.code,) if ward else ()
        elif "former" in row:
            formers = row["former"] if isinstance(row["former"], list) else [row["former"]]
            found: list[str] = []
            for address in formers:
                found += [c for c in former_today(gazetteer, address) if c not in found]
            today = tuple(found)
        if today:
            landmarks.append(Landmark(name=row["name"], kind=row.get("kind", ""), today=today))
    return landmarks


def former_today(gazetteer: Gazetteer, address: str) -> tuple[str, ...]:
    """Today's wards of a former "ward, district" written in full (or as people write it)."""
    ward_name, _, district_name = (part.strip() for part in address.partition(","))
    districts = {e.ref for e in gazetteer.index.get(key(district_name), ()) if e.kind == "district"}
    for entry in gazetteer.index.get(key(ward_name), ()):
        if entry.kind == "former_ward":
            former = gazetteer.former_wards[entry.ref]
            if former.district_key in districts:
                return former.today
    return ()


def _keywords(raw: str | None) -> list[str]:
    return list(json.loads(raw)) if raw else []


def _initials(name: str) -> str:
    return "".join(word[0] for word in fold(name).split())


def _build_index(
    gazetteer: Gazetteer,
    today_rows: list[sqlite3.Row],
    legacy_rows: list[sqlite3.Row],
    district_rows: dict[str, sqlite3.Row],
) -> None:
    index: dict[str, list[Entry]] = defaultdict(list)

    def add(name_key: str, entry: Entry) -> None:
        if name_key and entry not in index[name_key]:
            index[name_key].append(entry)

    keywords_by_name = {row["ward"]: _keywords(row["wardKeywords"]) for row in today_rows}
    for ward in gazetteer.wards.values():
        bare = key(ward.short)
        add(bare, Entry("ward", ward.code, typed=False))
        add(key(ward.name), Entry("ward", ward.code, typed=True))
        for prefix in WARD_PREFIXES:
            add(prefix + bare, Entry("ward", ward.code, typed=True))
        for keyword in keywords_by_name.get(ward.name, []):
            add(keyword, Entry("ward", ward.code, typed=keyword != bare))

    for row in legacy_rows:
        if not row["wardKey"]:
            continue
        old_key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"
        bare = key(row["wardShort"] or "")
        named = not bare.isdigit()
        for keyword in _keywords(row["wardKeywords"]) + [key(row["ward"])]:
            is_bare = not any(keyword.startswith(p) and keyword != p for p in WARD_PREFIXES)
            if keyword.isdigit():
                continue
            add(keyword, Entry("former_ward", old_key, typed=not (is_bare and named)))
        if named:
            for prefix in WARD_PREFIXES:
                add(prefix + bare, Entry("former_ward", old_key, typed=True))

    initials: dict[str, list[str]] = defaultdict(list)
    for district_key, row in district_rows.items():
        short = key(row["districtShort"] or row["district"])
        if short.startswith(("quan", "huyen")):  # "Quận 1" -> "1"
            short = short.removeprefix("quan").removeprefix("huyen")
        kind = key(row["districtType"] or "quan")
        for keyword in _keywords(row["districtKeywords"]) + [key(row["district"])]:
            typed = keyword != short or short.isdigit()
            add(keyword, Entry("district", district_key, typed=typed))
        for prefix in DISTRICT_PREFIXES.get(kind, ("quan",)):
            add(prefix + short, Entry("district", district_key, typed=True))
        if short.isdigit():
            add(short + "district", Entry("district", district_key, typed=True))
        else:
            initials[_initials(row["districtShort"] or row["district"])].append(district_key)
            if kind in ("thanhpho", "thixa"):
                for prefix in ("thanhpho", "tp", "thixa", "tx"):
                    add(prefix + short, Entry("district", district_key, typed=True))
    for letters, keys in initials.items():  # "Q.PN", "Q.GV": only where the letters are unique
        if len(keys) == 1 and len(letters) >= 2:
            add("q" + letters, Entry("district", keys[0], typed=True))
            add("quan" + letters, Entry("district", keys[0], typed=True))
            gazetteer.district_initials[letters] = keys[0]

    gazetteer.index = {name_key: tuple(entries) for name_key, entries in index.items()}
    gazetteer.max_tokens = 7


def _index_landmarks(gazetteer: Gazetteer) -> None:
    index = {name_key: list(entries) for name_key, entries in gazetteer.index.items()}
    aliases = _landmark_aliases()
    for number, landmark in enumerate(gazetteer.landmarks):
        entry = Entry("landmark", str(number), typed=True)
        for name in [landmark.name] + [alias for owner, alias in aliases if owner == landmark.name]:
            entries = index.setdefault(key(name), [])
            if entry not in entries:
                entries.insert(0, entry)  # a landmark's full name beats a ward inside it
    gazetteer.index = {name_key: tuple(entries) for name_key, entries in index.items()}


def _landmark_aliases() -> list[tuple[str, str]]:
    if not LANDMARKS_FILE.exists():
        return []
    rows = tomllib.loads(LANDMARKS_FILE.read_text(encoding="utf-8")).get("landmark", [])
    return [(row["name"], alias) for row in rows for alias in row.get("aliases", [])]
