"""Read the place out of a complaint's free text: today's ward, or the candidates, and why.

The reader looks up every run of up to seven tokens in the gazetteer (today's wards, former wards
and districts with their shorthand, landmarks), then decides, most specific first:

1. a former ward with its former district ("phường 13, Phú Nhuận", "p13 Q.PN"): the ward(s) of
   today it went to; a ward written as today's name among them wins;
2. today's ward written as a ward ("phường Bến Thành", "P.Bến Thành", "Ben Thanh ward");
3. a former ward alone, when its name is unique ("phường Đa Kao");
4. a landmark ("chợ Bà Chiểu");
5. a bare name of today's ward ("Bến Thành"); when the name is also a former district's
   ("Gò Vấp", "Bình Thạnh") it stands for the district: all its wards are candidates;
6. a former district alone ("Q8", "District 1", "huyện Bình Chánh"): its wards are candidates.

Where an old ward was split, every ward it went to is a candidate (the package's default first);
a street that people confirmed (``street_hints``, from place corrections) can decide. Nothing read:
unknown, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from places.gazetteer import Entry, Gazetteer
from places.text import Token, key, tokenize

WARD_WORDS = {"ward", "commune"}
DISTRICT_WORDS = {"district", "dist", "city", "town"}
STREET_WORDS = {"duong", "street", "st", "road", "rd", "avenue", "ave", "pho", "hem", "kiet",
                "ngo", "ngach", "alley", "lane", "so", "no"}
STREET_AFTER = {"street", "st", "road", "rd", "avenue", "ave", "boulevard", "blvd"}
# Bare names that, in lower case, are ordinary words more often than a ward ("hòa bình": peace,
# "tây nam": south-west); written as a ward ("phường Hòa Bình") or capitalised they still count.
COMMON_WORDS = {"hoabinh", "taynam", "binhan", "anbinh", "thongnhat", "binhminh", "tantien"}
# The city's everyday name is also a ward's: bare, it names the city.
CITY_NAMES = {"saigon", "hochiminh", "tphcm", "hcm", "thanhphohochiminh", "sg"}

_ALLEY = re.compile(
    r"\b(?:hẻm|hem|kiệt|kiet|ngõ|ngo|ngách|ngach|hxh|alley|lane)\s*(?:số\s*|so\s*)?"
    r"\d+[\w/]*", re.IGNORECASE,
)
_HOUSE = re.compile(
    r"(?:\b(?:số|so|sn|no\.?|nhà)\s*)?\b\d{1,4}[A-Za-z]?(?:/\d{1,4}[A-Za-z]?)*\s+"
    r"(?:đường\s+|duong\s+)?[A-ZĐ][^\s,.;:!?]*(?:\s+[A-ZĐ0-9][^\s,.;:!?]*){0,4}",
)
_STREET = re.compile(
    r"\b(?:đường|duong|Đường)\s+[A-ZĐ][^\s,.;:!?]*(?:\s+[A-ZĐ0-9][^\s,.;:!?]*){0,4}"
)
_EN_STREET = re.compile(
    r"\b(?:\d{1,4}[A-Za-z]?\s+)?(?:[A-Z][^\s,.;:!?]*\s+){1,4}"
    r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Boulevard|Blvd\.?)(?=\W|$)"
)


@dataclass
class Reading:
    ward_code: str | None = None
    ward: str | None = None
    candidates: list[str] = field(default_factory=list)
    address: str | None = None
    confidence: float = 0.0
    lat: float | None = None
    lon: float | None = None
    basis: str = "none"  # former_ward, ward, landmark, name, district, none
    former: str | None = None  # the former unit read, "Phường 13, Quận Phú Nhuận"
    street: str | None = None  # the street's key ("levansy"), when one is written

    @property
    def unknown(self) -> bool:
        return self.ward_code is None

    def as_json(self) -> dict[str, Any]:
        return {
            "ward_code": self.ward_code,
            "ward": self.ward,
            "candidates": self.candidates,
            "address": self.address,
            "confidence": round(self.confidence, 2),
            "lat": self.lat,
            "lon": self.lon,
            "basis": self.basis,
            "former": self.former,
            "street": self.street,
        }


@dataclass
class Mention:
    start: int  # token indexes
    end: int
    entries: tuple[Entry, ...]
    typed: bool
    capitalised: bool
    char_start: int
    char_end: int

    def of(self, kind: str) -> list[str]:
        return [e.ref for e in self.entries if e.kind == kind]


def _scan(tokens: list[Token], gazetteer: Gazetteer) -> list[Mention]:
    mentions: list[Mention] = []
    index, count = 0, len(tokens)
    index_get, prefixes = gazetteer.index.get, gazetteer.prefixes
    while index < count:
        joined, longest, found = "", 0, None
        for width in range(1, min(gazetteer.max_tokens, count - index) + 1):
            joined += tokens[index + width - 1].text
            if joined not in prefixes:
                break
            entries = index_get(joined)
            if entries:
                longest, found = width, entries
        if found is None:
            initials = gazetteer.district_initials.get(tokens[index].text)
            previous = mentions[-1] if mentions else None
            if initials and previous is not None and previous.end == index and previous.typed \
                    and previous.of("former_ward"):  # "p13 pn", "F.17 GV"
                token = tokens[index]
                mentions.append(Mention(index, index + 1, (Entry("district", initials, True),),
                                        True, token.capitalised, token.start, token.end))
            index += 1
            continue
        glued = bool(mentions) and mentions[-1].end == index and mentions[-1].typed
        mention = _mention(tokens, index, index + longest, found, glued)
        mentions.append(mention)
        index = mention.end  # past a suffix it read ("... ward", "... district")
    return mentions


def _mention(
    tokens: list[Token], start: int, end: int, entries: tuple[Entry, ...], after_place: bool
) -> Mention:
    first = tokens[start]
    following = tokens[end].text if end < len(tokens) else ""
    typed_entries = tuple(e for e in entries if e.typed)
    char_end = tokens[end - 1].end
    if typed_entries and not (len(first.text) == 1 and first.after_digit):
        return Mention(start, end, typed_entries, True, first.capitalised, first.start, char_end)
    bare = tuple(e for e in entries if not e.typed)
    if following in WARD_WORDS:  # "Ben Thanh ward"
        chosen = tuple(e for e in bare if e.kind in ("ward", "former_ward"))
        if chosen:
            return Mention(start, end + 1, chosen, True, True, first.start, tokens[end].end)
    if following in DISTRICT_WORDS:  # "Binh Thanh district", "Thu Duc City"
        chosen = tuple(e for e in bare if e.kind == "district")
        if chosen:
            return Mention(start, end + 1, chosen, True, True, first.start, tokens[end].end)
    previous = tokens[start - 1].text if start > 0 else ""
    if (previous.isdigit() and not after_place) or previous in STREET_WORDS or (
        following in STREET_AFTER
    ):
        return Mention(start, end, (), False, False, first.start, char_end)  # a street's name
    capitalised = all(t.capitalised for t in tokens[start:end])
    name_key = "".join(t.text for t in tokens[start:end])
    if name_key in CITY_NAMES:
        return Mention(start, end, (), False, False, first.start, char_end)
    if name_key in COMMON_WORDS and not capitalised:
        return Mention(start, end, (), False, False, first.start, char_end)
    return Mention(start, end, bare, False, capitalised, first.start, char_end)


class PlaceReader:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        tokenize("")  # builds the folding table now, not in the first report

    def read(
        self, text: str, *, street_hints: Mapping[str, Mapping[str, int]] | None = None
    ) -> Reading:
        """``street_hints``: street key -> {ward code: confirmations} from corrections."""
        original, tokens = tokenize(text or "")
        mentions = [m for m in _scan(tokens, self.gazetteer) if m.entries]
        street = _street(original, mentions)
        reading = self._decide(mentions, street, street_hints or {})
        reading.address = _address(original, mentions)
        reading.street = street
        if reading.ward_code is not None:
            ward = self.gazetteer.wards[reading.ward_code]
            reading.ward, reading.lat, reading.lon = ward.name, ward.lat, ward.lon
            if not reading.candidates:
                reading.candidates = [reading.ward_code]
        return reading

    # -- deciding -----------------------------------------------------------------------------

    def _decide(
        self,
        mentions: list[Mention],
        street: str | None,
        street_hints: Mapping[str, Mapping[str, int]],
    ) -> Reading:
        gazetteer = self.gazetteer
        typed_wards = [c for m in mentions if m.typed for c in m.of("ward")]
        bare_wards = [c for m in mentions if not m.typed for c in m.of("ward")]
        districts = [d for m in mentions for d in m.of("district")]

        # 1. a former ward with its former district (written as a separate mention)
        district_mentions: dict[str, list[Mention]] = {}
        for mention in mentions:
            for district_key in mention.of("district"):
                district_mentions.setdefault(district_key, []).append(mention)
        for mention in mentions:
            for former_key in mention.of("former_ward"):
                former = gazetteer.former_wards[former_key]
                district_mention = next(
                    (m for m in district_mentions.get(former.district_key, ()) if m is not mention),
                    None,
                )
                if district_mention is None or not former.today:
                    continue
                named_today = [c for m in mentions if m not in (mention, district_mention)
                               for c in m.of("ward")] + mention.of("ward")
                return self._from_former(former, named_today, street, street_hints,
                                         confidence=0.9)

        # 2. today's ward, written as a ward
        if typed_wards:
            return Reading(ward_code=typed_wards[0], confidence=0.95, basis="ward")

        # 3. a former ward alone, when its name says which
        for mention in mentions:
            formers = [gazetteer.former_wards[k] for k in mention.of("former_ward")]
            formers = [f for f in formers if f.today]
            if not formers or not (mention.typed or mention.capitalised):
                continue
            if mention.of("ward") and not mention.typed:
                break  # also today's name: step 5 reads it
            if len(formers) == 1:
                return self._from_former(formers[0], bare_wards, street, street_hints,
                                         confidence=0.85)
            today = _union(f.today for f in formers)
            if len(today) == 1:
                return Reading(ward_code=today[0], confidence=0.8, basis="former_ward")

        # 4. a landmark
        for mention in mentions:
            for number in mention.of("landmark"):
                landmark = gazetteer.landmarks[int(number)]
                if len(landmark.today) == 1:
                    return Reading(ward_code=landmark.today[0], confidence=0.8, basis="landmark")
                return Reading(candidates=list(landmark.today), confidence=0.45,
                               basis="landmark")

        # 5. a bare name of today's ward (a former district's name stands for the district)
        for mention in mentions:
            codes = mention.of("ward")
            if not codes or mention.typed:
                continue
            same_named = [gazetteer.districts[d] for d in mention.of("district")]
            if same_named:
                today = _union([codes] + [d.today for d in same_named])
                names = ", ".join(d.name for d in same_named)
                return Reading(candidates=today, confidence=0.35, basis="district", former=names)
            return Reading(ward_code=codes[0], confidence=0.7 if mention.capitalised else 0.6,
                           basis="name")

        # 6. a former district alone
        if districts:
            district = gazetteer.districts[districts[0]]
            if len(district.today) == 1:
                return Reading(ward_code=district.today[0], confidence=0.6, basis="district",
                               former=district.name)
            return Reading(candidates=list(district.today), confidence=0.3, basis="district",
                           former=district.name)
        return Reading()

    def _from_former(
        self,
        former: Any,
        named_today: list[str],
        street: str | None,
        street_hints: Mapping[str, Mapping[str, int]],
        *,
        confidence: float,
    ) -> Reading:
        label = f"{former.name}, {former.district}"
        today = list(former.today)
        if len(today) == 1:
            return Reading(ward_code=today[0], confidence=confidence, basis="former_ward",
                           former=label)
        for code in named_today:
            if code in today:
                return Reading(ward_code=code, candidates=today, confidence=confidence - 0.05,
                               basis="former_ward", former=label)
        hinted = _street_decides(today, street_hints.get(street or "", {}))
        if hinted:
            return Reading(ward_code=hinted, candidates=today, confidence=confidence - 0.15,
                           basis="street", former=label)
        return Reading(candidates=today, confidence=0.45, basis="former_ward", former=label)


def _union(groups: Any) -> list[str]:
    seen: list[str] = []
    for group in groups:
        for code in group:
            if code not in seen:
                seen.append(code)
    return seen


def _street_decides(today: list[str], confirmations: Mapping[str, int]) -> str | None:
    """The candidate people confirmed most for this street: at least twice, and more than any
    other candidate."""
    counts = sorted(((confirmations.get(code, 0), code) for code in today), reverse=True)
    if not counts or counts[0][0] < 2 or (len(counts) > 1 and counts[1][0] == counts[0][0]):
        return None
    return counts[0][1]


def street_key(text: str) -> str:
    """The key a street is remembered by: its name's letters, no house number or prefix."""
    words = key(re.sub(r"\d+[\w/]*", " ", text))
    for prefix in ("duong", "hem", "kiet", "ngo", "so"):
        words = words.removeprefix(prefix)
    return words


_LOWER_ALLEY_STREET = re.compile(
    r"\b(?:hẻm|hem|kiệt|kiet|ngõ|ngo|ngách|ngach|số|so|nhà|nha)\s*\d+[\w/]*\s+"
    r"((?:đường\s+|duong\s+)?(?:[^\W\d_]+\s+){0,3}[^\W\d_]+)", re.IGNORECASE,
)


def _street(original: str, mentions: list[Mention]) -> str | None:
    """The key of the first street written ("45 Lê Văn Sỹ" -> "levansy"), place names cut off."""
    starts = sorted(m.char_start for m in mentions)
    window = original[: (starts[-1] if starts else 800) + 200]
    for pattern, group in ((_HOUSE, 0), (_STREET, 0), (_EN_STREET, 0), (_LOWER_ALLEY_STREET, 1)):
        match = pattern.search(window)
        if match is None:
            continue
        begin, end = match.span(group)
        end = min([end] + [s for s in starts if begin < s < end])
        found = street_key(original[begin:end])
        for suffix in ("street", "st", "road", "rd", "avenue", "ave", "boulevard", "blvd"):
            if found.endswith(suffix) and len(found) > len(suffix) + 2:
                found = found[: -len(suffix)]
                break
        if len(found) >= 4:
            return found
    return None


def _address(original: str, mentions: list[Mention]) -> str | None:
    spans = [(m.char_start, m.char_end) for m in mentions]
    # the street is written near the place: look around it (or at the start) in a long text
    low = max(0, min((s for s, _ in spans), default=0) - 200)
    high = max((e for _, e in spans), default=800) + 200
    for pattern in (_ALLEY, _HOUSE, _STREET, _EN_STREET):
        spans += [(m.start(), m.end()) for m in pattern.finditer(original, low, high)]
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    text = original[start:end].strip(" ,.;:-\n\t")
    return text[:300] or None
