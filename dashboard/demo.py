"""Realistic demo tickets over the past year, loaded in bulk (COPY on PostgreSQL).

What makes them look like a city: more reports on weekdays and in daytime hours; drainage
(flooding) reports rise in the rainy season, May to November, highest in August to October;
waste reports rise in the week after Tết and other public holidays; wards differ in size;
agencies differ in how often they acknowledge and resolve on time; some tickets were routed
to the wrong agency and transferred, some waited for the resident (a paused clock), some were
reopened, about half of the resolved ones were rated, and satisfaction follows punctuality.

Events are kept lean: a `created` event per ticket, a `transferred` event per transfer and a
`resolved` event per resolution (what the dashboard and the ticket page need).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np
from sqlalchemy import text
from sqlmodel import Session

from core.clock import utcnow
from core.errors import Conflict
from core.settings import get_settings
from dashboard import rollup
from tickets import codes, deadlines
from tickets.models import TicketState

CHANNELS = ("web", "sms", "phone", "open311", "api", "zalo")
CHANNEL_WEIGHTS = (0.30, 0.14, 0.28, 0.10, 0.05, 0.13)
CHUNK = 100_000
TICKET_COLUMNS = (
    "id", "code", "channel", "language", "state", "description", "address", "area_id",
    "anonymous", "category_id", "category_set_by", "predicted_category_id", "confidence",
    "model_version", "urgent", "emergency", "agency_id", "created_at", "updated_at",
    "routed_at", "ack_due_at", "acknowledged_at", "resolve_due_at", "resolved_at", "closed_at",
    "paused_at", "paused_seconds", "ack_overdue", "resolve_overdue", "resolution", "rating",
    "rated_at", "reopen_count", "transfer_count", "outcome", "fix_answer", "fix_asked_at",
    "not_fixed_count",
)
EVENT_COLUMNS = (
    "ticket_id", "created_at", "kind", "actor_type", "actor_label", "from_state", "to_state",
    "public", "message", "data",
)
# how often each category's agency is on time (acknowledge); resolution a little worse
AGENCY_PUNCTUALITY = {
    "transport": 0.82, "traffic_police": 0.74, "urban_infrastructure": 0.88, "drainage": 0.66,
    "sanitation": 0.9, "natural_resources": 0.61, "water_utility": 0.85, "power_utility": 0.93,
    "construction": 0.58, "ward_committee": 0.77, "police": 0.8, "admin_service_center": 0.7,
    "health": 0.83, "education": 0.79, "parks": 0.86, "labour_welfare": 0.64,
    "industry_trade": 0.72,
}
CATEGORY_WEIGHTS = {
    "roads": 14, "traffic": 10, "lighting": 6, "drainage": 7, "waste": 12, "pollution": 7,
    "water_supply": 5, "electricity": 4, "construction": 8, "land": 3, "public_order": 9,
    "security": 3, "public_admin": 3, "health": 2, "education": 1, "trees_parks": 4,
    "social_welfare": 1, "consumer": 2, "other": 1,
}
DESCRIPTIONS = {
    "roads": "Ổ gà lớn trên đường, xe máy dễ té",
    "traffic": "Đèn tín hiệu giao lộ không hoạt động",
    "lighting": "Đèn đường tắt cả đoạn, rất tối",
    "drainage": "Mưa lớn ngập sâu, cống thoát nước bị nghẹt",
    "waste": "Rác thải tồn đọng nhiều ngày chưa được thu gom",
    "pollution": "Khói bụi và tiếng ồn từ xưởng gần nhà",
    "water_supply": "Mất nước sinh hoạt từ sáng",
    "electricity": "Cúp điện kéo dài, dây điện võng thấp",
    "construction": "Công trình xây dựng không che chắn, vật liệu rơi",
    "land": "Lấn chiếm đất công làm bãi xe",
    "public_order": "Lấn chiếm vỉa hè buôn bán",
    "security": "Tụ tập gây mất trật tự ban đêm",
    "public_admin": "Hồ sơ hành chính trễ hẹn",
    "health": "Cơ sở khám bệnh không phép",
    "education": "Trường thu phí không đúng quy định",
    "trees_parks": "Cây xanh nghiêng có nguy cơ ngã",
    "social_welfare": "Người già neo đơn cần hỗ trợ",
    "consumer": "Cửa hàng bán hàng kém chất lượng",
    "other": "Góp ý chung về dịch vụ công",
}


@dataclass
class Taxonomy:
    categories: list[str]
    default_agency: dict[str, str]
    resolve_days: dict[str, int]
    areas: list[str]
    agencies: list[str]


def load_taxonomy(session: Session) -> Taxonomy:
    rows = session.execute(
        text("SELECT id, default_agency_id, resolve_working_days FROM category WHERE active")
    ).all()
    areas = [r[0] for r in session.execute(text("SELECT id FROM area WHERE active ORDER BY id"))]
    agencies = [r[0] for r in session.execute(text("SELECT id FROM agency WHERE active"))]
    if not rows or not areas:
        raise Conflict("Load the taxonomy first (hotline load-data).")
    return Taxonomy(
        categories=[r[0] for r in rows],
        default_agency={r[0]: r[1] for r in rows},
        resolve_days={r[0]: int(r[2]) for r in rows},
        areas=areas,
        agencies=[a for a in agencies if a != "hotline_desk"],
    )


def day_weights(days: list[date], taxonomy: Taxonomy) -> np.ndarray:
    """Weight of (day, category): weekday rhythm, rainy-season flooding, waste after holidays."""
    years = sorted({d.year for d in days} | {days[0].year - 1})
    holiday_days = set(holidays.country_holidays("VN", years=years).keys())
    after_holiday = np.zeros(len(days))
    for index, day in enumerate(days):
        for back in range(1, 8):
            if day - timedelta(days=back) in holiday_days:
                after_holiday[index] = 1.0
                break
    weekday = np.array([0.72 if d.weekday() >= 5 else 1.0 for d in days])
    month = np.array([d.month for d in days])
    base = np.array([CATEGORY_WEIGHTS.get(c, 2) for c in taxonomy.categories], dtype=float)
    weights = np.outer(weekday, base)
    # the rainy season (May-November) floods the streets, most in August-October
    rain = np.select(
        [np.isin(month, [8, 9, 10]), np.isin(month, [5, 6, 7, 11])], [4.0, 2.5], default=0.6
    )
    for column, category in enumerate(taxonomy.categories):
        if category == "drainage":
            weights[:, column] *= rain
        elif category == "waste":
            weights[:, column] *= 1.0 + 1.6 * after_holiday
        elif category == "trees_parks":
            weights[:, column] *= np.where(np.isin(month, [5, 6, 7, 8, 9, 10]), 1.6, 1.0)
    # a city that grows into the platform: a little more each month
    growth = np.linspace(0.8, 1.2, len(days))
    return weights * growth[:, None]


def _codes(start: int, count: int, salt: int) -> list[str]:
    """Unique valid tracking codes: an affine permutation of the code space, plus a check char."""
    space = codes.BASE**codes.RANDOM_LENGTH
    multiplier = 1_000_003  # coprime with 23**7
    result = []
    alphabet = codes.ALPHABET
    for i in range(start, start + count):
        value = (multiplier * i + salt) % space
        chars = []
        for _ in range(codes.RANDOM_LENGTH):
            value, digit = divmod(value, codes.BASE)
            chars.append(alphabet[digit])
        body = "".join(chars)
        result.append(body + codes.check_char(body))
    return result


def _due_offsets(days: list[date], taxonomy: Taxonomy, timezone: str) -> dict[int, np.ndarray]:
    """Seconds from a day's noon to the resolution deadline, per working-day count and day."""
    zone = ZoneInfo(timezone)
    offsets: dict[int, np.ndarray] = {}
    for wd in sorted(set(taxonomy.resolve_days.values())):
        values = []
        for day in days:
            start = datetime(day.year, day.month, day.day, 12, tzinfo=zone).astimezone(UTC)
            due = deadlines.add_working_days(start, wd, timezone=timezone)
            values.append((due - start).total_seconds())
        offsets[wd] = np.array(values)
    return offsets


def generate(
    *, count: int, taxonomy: Taxonomy, now: datetime, first_id: int, seed: int, timezone: str
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (ticket rows, event rows) in TICKET_COLUMNS / EVENT_COLUMNS order."""
    rng = np.random.default_rng(seed)
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    days = [today - timedelta(days=365 - i) for i in range(366)]
    weights = day_weights(days, taxonomy)
    flat = (weights / weights.sum()).ravel()
    n_categories = len(taxonomy.categories)
    day_starts = np.array(
        [datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() for d in days]
    )
    due_offsets = _due_offsets(days, taxonomy, timezone)
    area_weights = 1.0 / np.arange(1, len(taxonomy.areas) + 1) ** 0.6
    area_weights = rng.permutation(area_weights / area_weights.sum())
    hour_weights = np.array(
        [1, 0.5, 0.3, 0.3, 0.5, 1.5, 3, 5, 7, 8, 8, 7, 6, 6, 7, 7, 7, 6, 5, 5, 4, 3, 2, 1.5]
    )
    hour_weights /= hour_weights.sum()
    categories = np.array(taxonomy.categories)
    default_agency = np.array([taxonomy.default_agency[c] for c in taxonomy.categories])
    resolve_days = np.array([taxonomy.resolve_days[c] for c in taxonomy.categories])
    punctuality = np.array(
        [AGENCY_PUNCTUALITY.get(a, 0.75) for a in default_agency], dtype=float
    )
    other_agencies = np.array(taxonomy.agencies)
    salt = int(rng.integers(0, 2**40))
    now_ts = now.timestamp()
    produced = 0
    while produced < count:
        n = min(CHUNK, count - produced)
        pick = rng.choice(flat.size, size=n, p=flat)
        day_index, cat_index = pick // n_categories, pick % n_categories
        seconds = rng.choice(24, size=n, p=hour_weights) * 3600 + rng.integers(0, 3600, n)
        created = day_starts[day_index] + seconds
        created = np.minimum(created, now_ts - rng.integers(60, 7200, n))
        order = np.argsort(created)
        created, day_index, cat_index = created[order], day_index[order], cat_index[order]
        area = rng.choice(len(taxonomy.areas), size=n, p=area_weights)
        channel = rng.choice(len(CHANNELS), size=n, p=CHANNEL_WEIGHTS)
        final_agency = default_agency[cat_index]
        punctual = punctuality[cat_index]
        # routing within minutes; 6% first went to the wrong agency and were transferred
        routed_first = created + rng.lognormal(5.5, 1.0, n)
        transferred = rng.random(n) < 0.06
        wrong_agency = other_agencies[rng.integers(0, len(other_agencies), n)]
        transferred &= wrong_agency != final_agency
        transfer_at = routed_first + rng.exponential(20 * 3600, n)
        routed = np.where(transferred, transfer_at, routed_first)
        ack_due = routed + 24 * 3600
        ack_on_time = rng.random(n) < punctual
        ack_delay = np.where(
            ack_on_time,
            rng.beta(1.3, 3.0, n) * 24 * 3600,
            24 * 3600 + rng.exponential(30 * 3600, n),
        )
        acked = routed + ack_delay
        due_seconds = np.zeros(n)
        for wd, table in due_offsets.items():
            mask = resolve_days[cat_index] == wd
            due_seconds[mask] = table[day_index[mask]]
        resolve_due = routed_first + due_seconds  # the deadline keeps the time of day
        paused = rng.random(n) < 0.07
        pause_seconds = np.where(paused, rng.exponential(1.5 * 86400, n), 0).astype(np.int64)
        resolve_due = resolve_due + pause_seconds
        resolve_on_time = rng.random(n) < np.clip(punctual - 0.06, 0.3, 0.97)
        window = np.maximum(resolve_due - acked, 3600)
        resolved = np.where(
            resolve_on_time,
            acked + rng.beta(1.6, 2.2, n) * window,
            np.maximum(resolve_due, acked) + rng.exponential(3.5 * 86400, n),
        )
        rejected = rng.random(n) < 0.03
        reopened = (rng.random(n) < 0.03) & (resolved < now_ts) & ~rejected
        rerun = reopened & (rng.random(n) < 0.75)  # re-resolved after the reopening
        resolved = np.where(reopened & rerun, resolved + rng.exponential(3 * 86400, n), resolved)
        rated = (rng.random(n) < 0.45) & (resolved < now_ts) & ~rejected
        on_time_final = resolved <= resolve_due
        good = rng.choice(5, size=n, p=[0.03, 0.05, 0.12, 0.35, 0.45]) + 1
        bad = rng.choice(5, size=n, p=[0.22, 0.22, 0.24, 0.18, 0.14]) + 1
        rating = np.where(on_time_final, good, bad)
        rated_at = resolved + rng.exponential(86400, n)
        rated &= rated_at < now_ts
        urgent = rng.random(n) < 0.02
        # closing the loop: what the agency said, and what the resident answered when asked
        outcome_draw = rng.random(n)
        asked_at = resolved + 7 * 86400
        asked = (rng.random(n) < 0.6) & (asked_at < now_ts)
        answer_draw = rng.random(n)
        language_en = rng.random(n) < 0.08
        confidence = np.round(rng.beta(8, 1.6, n), 3)
        ids = list(range(first_id + produced, first_id + produced + n))
        code_list = _codes(first_id + produced, n, salt)
        tickets: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        ts = _timestamps
        created_l, routed_l = ts(created), ts(routed)
        ack_due_l, acked_l, resolve_due_l = ts(ack_due), ts(acked), ts(resolve_due)
        resolved_l, rated_at_l = ts(resolved), ts(rated_at)
        closed_l = ts(resolved + 7 * 86400)
        for i in range(n):
            category = str(categories[cat_index[i]])
            agency = str(final_agency[i])
            c_at, r_at = created_l[i], routed_l[i]
            state: str
            ack_at = acked_l[i] if acked[i] < now_ts else None
            res_at = resolved_l[i] if resolved[i] < now_ts else None
            closed_at = None
            paused_at = None
            resolution = None
            rating_value = None
            rated_value = None
            reopen_count = int(reopened[i])
            outcome: str | None = None
            fix_answer: str | None = None
            fix_asked_at = None
            if rejected[i]:
                state, ack_at, res_at = TicketState.rejected.value, None, None
                closed_at = ts(np.array([created[i] + 20 * 3600]))[0]
                updated = closed_at
            elif res_at is not None:
                if resolved[i] + 7 * 86400 < now_ts:
                    state, closed_at = TicketState.closed.value, closed_l[i]
                else:
                    state = TicketState.resolved.value
                if reopened[i] and not rerun[i]:
                    state, closed_at = TicketState.in_progress.value, None
                resolution = "Đã xử lý xong."
                outcome = ("fixed" if outcome_draw[i] < 0.9 else
                           "not_responsible" if outcome_draw[i] < 0.96 else "cannot_be_done")
                if outcome == "fixed" and asked[i] and state != TicketState.in_progress.value:
                    fix_asked_at = ts(np.array([asked_at[i]]))[0]
                    fix_answer = "fixed" if answer_draw[i] < (0.75 if on_time_final[i] else 0.5) \
                        else "no_answer"
                if rated[i] and state != TicketState.in_progress.value:
                    rating_value, rated_value = int(rating[i]), rated_at_l[i]
                updated = closed_at or res_at
            elif ack_at is not None:
                if paused[i] and rng.random() < 0.4:
                    state = TicketState.waiting_for_resident.value
                    paused_at = ack_at
                else:
                    state = TicketState.in_progress.value
                updated = ack_at
            elif routed[i] < now_ts:
                state, updated = TicketState.routed.value, r_at
            else:
                state, updated = TicketState.triage.value, c_at
            if state == TicketState.triage.value:
                agency_id: str | None = "hotline_desk"
            else:
                agency_id = agency
            moved = bool(transferred[i]) and routed[i] < now_ts and state != "triage"
            row_pause = int(pause_seconds[i]) if res_at is not None or state in (
                TicketState.in_progress.value,
            ) else 0
            tickets.append(
                (
                    ids[i], code_list[i], CHANNELS[channel[i]],
                    "en" if language_en[i] else "vi", state,
                    DESCRIPTIONS.get(category, "Phản ánh của người dân"), None,
                    taxonomy.areas[area[i]], False, category, "model", category,
                    float(confidence[i]), "demo", bool(urgent[i]), False, agency_id,
                    c_at, updated, r_at if state != "triage" else None,
                    ack_due_l[i] if state != "triage" else None, ack_at,
                    resolve_due_l[i] if state != "triage" else None,
                    res_at if state not in ("rejected",) else None, closed_at, paused_at,
                    row_pause, False, False, resolution, rating_value, rated_value,
                    reopen_count, int(moved), outcome, fix_answer, fix_asked_at,
                    reopen_count,  # in the demo every reopening is a "not fixed"
                )
            )
            events.append(
                (ids[i], c_at, "created", "resident", "resident", None, "received", True,
                 None, json.dumps({"channel": CHANNELS[channel[i]]}))
            )
            if moved:
                events.append(
                    (ids[i], r_at, "transferred", "staff", "demo", "routed", "routed", True,
                     "Không thuộc thẩm quyền",
                     json.dumps({"agency_id": agency, "category_id": category,
                                 "from_agency_id": str(wrong_agency[i])}))
                )
            if res_at is not None and state in ("resolved", "closed"):
                events.append(
                    (ids[i], res_at, "resolved", "staff", "demo", "in_progress", "resolved",
                     True, resolution, "{}")
                )
        produced += n
        yield tickets, events


def _timestamps(values: np.ndarray) -> list[datetime]:
    micros = (values * 1_000_000).astype("int64").astype("datetime64[us]")
    return [value.replace(tzinfo=UTC) for value in micros.tolist()]


def load(
    *,
    session: Session,
    count: int,
    seed: int = 1022,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, float]:
    """Insert `count` demo tickets (and their events); the caller commits. Returns timings."""
    now = now or utcnow()
    settings = get_settings()
    taxonomy = load_taxonomy(session)
    dialect = session.get_bind().dialect.name
    started = time.monotonic()
    if dialect == "postgresql":
        # demo data is an operator's tool: hold other writers off while ids are reserved
        session.execute(text("LOCK TABLE ticket IN SHARE ROW EXCLUSIVE MODE"))
    first_id = int(
        session.execute(text("SELECT coalesce(max(id), 0) + 1 FROM ticket")).scalar_one()
    )
    written = 0
    events_written = 0
    for tickets, events in generate(
        count=count, taxonomy=taxonomy, now=now, first_id=first_id, seed=seed,
        timezone=settings.city_timezone,
    ):
        if dialect == "postgresql":
            _copy(session, "ticket", TICKET_COLUMNS, tickets)
            _copy(session, "ticket_event", EVENT_COLUMNS, events)
        else:
            _executemany(session, "ticket", TICKET_COLUMNS, tickets)
            _executemany(session, "ticket_event", EVENT_COLUMNS, events)
        written += len(tickets)
        events_written += len(events)
        if progress:
            progress(written)
    if dialect == "postgresql":
        session.execute(
            text("SELECT setval(pg_get_serial_sequence('ticket', 'id'), "
                 "(SELECT max(id) FROM ticket))")
        )
    loaded = time.monotonic() - started

    rollup.rebuild_all(session=session, now=now)
    return {
        "tickets": float(written),
        "events": float(events_written),
        "load_seconds": loaded,
        "rollup_seconds": time.monotonic() - started - loaded,
    }


def _copy(
    session: Session, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    connection = session.connection().connection.driver_connection
    assert connection is not None
    with connection.cursor() as cursor, cursor.copy(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)


def _executemany(
    session: Session, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return value

    connection = session.connection().connection.driver_connection
    assert connection is not None
    placeholders = ", ".join("?" for _ in columns)
    cursor = connection.cursor()
    cursor.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
        [tuple(plain(v) for v in row) for row in rows],
    )
    cursor.close()
