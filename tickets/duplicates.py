"""Likely duplicates of a report: an indexed SQL filter, then a vectorised score.

1. **Candidates** (`candidates`): tickets in the same ward or a neighbouring one (wards whose
   centres lie within NEIGHBOUR_KM), or within RADIUS_KM where both have coordinates; filed
   inside the category's window (`duplicate_window_hours` in routing/data/taxonomy.toml: a
   pothole stays for weeks, a noise complaint for a night) before or after the report; open, or
   resolved inside that window; not themselves merged into another ticket. The partial indexes
   `ix_ticket_candidate_area` (ward, filed) and `ix_ticket_candidate_position` (latitude,
   longitude) hold only such tickets (`CANDIDATE_PREDICATE`: most of a year's tickets are
   closed) and serve it on PostgreSQL and SQLite; at most MAX_CANDIDATES rows come back, as
   narrow rows (the score's columns); the whole ticket is loaded only for the matches.
2. **Score** (`score`): the cosine of the stored sentence embeddings (classify.embedding; the
   base model is English-centric, so across Vietnamese and English the cosine is low) joined
   with signals that carry across languages: the same category (set or predicted), shared
   street/landmark names after folding diacritics, the same ward. One number in [0, 1];
   THRESHOLD was chosen on classify/data/duplicates/tune.jsonl and is measured on the separate
   classify/data/duplicates/pairs.jsonl (`hotline duplicates eval`).

The embedding is computed in the worker (`tickets.embed`, after processing) and stored; a
ticket without one yet is scored without the cosine. A report not filed yet (the web form asks
the resident about likely duplicates: `for_new_report`) brings its own, not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import and_, literal, or_, select, text, union_all
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from places import service as places_service
from places.gazetteer import distance_km
from places.text import tokenize
from routing.taxonomy import load_taxonomy
from tickets import lifecycle
from tickets.models import CANDIDATE_PREDICATE, Ticket, TicketEmbedding, TicketState

NEIGHBOUR_KM = 2.5
RADIUS_KM = 0.5
MAX_CANDIDATES = 300
DEFAULT_WINDOW_HOURS = 7 * 24
# the score's weights (sum 1) and the served threshold (see the module's docstring)
W_COSINE, W_CATEGORY, W_PLACE, W_WARD = 0.35, 0.30, 0.20, 0.15
UNKNOWN_CATEGORY = 0.35  # the share of W_CATEGORY when one side has no category yet
UNKNOWN_PLACE = 0.5  # the share of W_PLACE when one text names no street or landmark
THRESHOLD = 0.73

OPEN_STATES = tuple(s.value for s in lifecycle.OPEN_STATES)


@dataclass(frozen=True)
class Match:
    ticket: Ticket
    similarity: float
    cosine: float | None


# --------------------------------------------------------------------------- the window, places


def window_hours(category_id: str | None) -> int:
    if category_id:
        for category in load_taxonomy().categories:
            if category["id"] == category_id:
                return int(category.get("duplicate_window_hours", DEFAULT_WINDOW_HOURS))
    return DEFAULT_WINDOW_HOURS


def category_of(ticket: Any) -> str | None:
    category = ticket.category_id or ticket.predicted_category_id
    return None if category in (None, "other") else category


@lru_cache(maxsize=1024)
def neighbour_wards(ward_code: str) -> tuple[str, ...]:
    """The ward and those whose centres lie within NEIGHBOUR_KM of its centre."""
    wards = places_service.gazetteer().wards
    ward = wards.get(ward_code)
    if ward is None or ward.lat is None or ward.lon is None:
        return (ward_code,)
    near = [
        other.code
        for other in wards.values()
        if other.lat is not None
        and other.lon is not None
        and distance_km(ward.lat, ward.lon, other.lat, other.lon) <= NEIGHBOUR_KM
    ]
    return tuple(sorted(set(near) | {ward_code}))


@lru_cache(maxsize=4096)
def place_keys(text: str) -> frozenset[str]:
    """Street and landmark names written in a text, folded: runs of two to four capitalised
    words ("Nguyễn Oanh", "Nguyen Oanh" -> ``nguyenoanh``) and the place reader's street."""
    _, tokens = tokenize(text or "")
    keys: set[str] = set()
    run: list[str] = []
    for token in [*tokens, None]:
        if token is not None and token.capitalised and not token.after_digit:
            run.append(token.text)
            continue
        if 2 <= len(run) <= 4:
            keys.add("".join(run))
        elif len(run) > 4:
            keys.update("".join(run[i : i + 2]) for i in range(len(run) - 1))
        run = []
    street = places_service.read_place(text).street if text else None
    if street:
        keys.add(street)
    return frozenset(keys)


# --------------------------------------------------------------------------- candidates


# what the score reads of a candidate: a narrow row, not the whole ticket (turning 300 full
# rows of some fifty columns into objects cost more than the query itself)
CANDIDATE_COLUMNS = (
    col(Ticket.id),
    col(Ticket.description),
    col(Ticket.category_id),
    col(Ticket.predicted_category_id),
    col(Ticket.area_id),
    col(Ticket.latitude),
    col(Ticket.longitude),
    col(Ticket.created_at),
)


def candidate_query(  # type: ignore[no-untyped-def]
    ticket: Ticket, *, limit: int = MAX_CANDIDATES, open_only: bool = False
):
    """The indexed filter (a SELECT of CANDIDATE_COLUMNS), or None when the report has no
    place. The literal CANDIDATE_PREDICATE lets the planner use the partial indexes. `ticket`
    may be a report not filed yet (no id); `open_only` leaves out the resolved ones."""
    created = as_utc(ticket.created_at)
    assert created is not None
    window = timedelta(hours=window_hours(category_of(ticket)))
    places: list[Any] = []
    if ticket.area_id:
        places.append(col(Ticket.area_id).in_(neighbour_wards(ticket.area_id)))
    if ticket.latitude is not None and ticket.longitude is not None:
        dlat = RADIUS_KM / 111.0
        dlon = RADIUS_KM / (111.0 * max(0.2, float(np.cos(np.radians(ticket.latitude)))))
        places.append(
            and_(
                col(Ticket.latitude).between(ticket.latitude - dlat, ticket.latitude + dlat),
                col(Ticket.longitude).between(ticket.longitude - dlon, ticket.longitude + dlon),
            )
        )
    if not places:
        return None
    states: Any = col(Ticket.state).in_(OPEN_STATES)
    if not open_only:
        states = or_(
            states,
            and_(
                col(Ticket.state) == TicketState.resolved,
                col(Ticket.resolved_at) >= created - window,
            ),
        )
    conditions: list[Any] = [
        text(CANDIDATE_PREDICATE),
        or_(*places),
        col(Ticket.created_at).between(created - window, created + window),
        states,
    ]
    if ticket.id is not None:
        conditions.append(col(Ticket.id) != ticket.id)
    return (
        select(*CANDIDATE_COLUMNS)
        .where(*conditions)
        .order_by(col(Ticket.created_at).desc())
        .limit(limit)
    )


def candidates(*, session: Session, ticket: Ticket, limit: int = MAX_CANDIDATES) -> list[Any]:
    """The candidates as narrow rows (the attributes of CANDIDATE_COLUMNS)."""
    query = candidate_query(ticket, limit=limit)
    if query is None:
        return []
    return list(session.execute(query).all())


# --------------------------------------------------------------------------- embeddings, score


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


def vectors(
    *, session: Session, ticket_ids: Sequence[int], model: str | None = None
) -> dict[int, np.ndarray]:
    """The stored vectors of these tickets made by `model` (default: the current one; a vector
    of another model is not comparable and counts as missing until the backfill replaces it)."""
    return {key: vector for key, (vector, _) in stored(
        session=session, ticket_ids=ticket_ids, model=model).items()}


def stored(
    *, session: Session, ticket_ids: Sequence[int], model: str | None = None
) -> dict[int, tuple[np.ndarray, frozenset[str] | None]]:
    """(vector, place keys or None when not stored) per ticket with a vector of `model`."""
    if not ticket_ids:
        return {}
    if model is None:
        from classify import embedding  # no torch: the name only

        model = embedding.model_name()
    rows = session.execute(
        select(
            col(TicketEmbedding.ticket_id), col(TicketEmbedding.vector),
            col(TicketEmbedding.places),
        ).where(
            col(TicketEmbedding.ticket_id).in_(list(ticket_ids)),
            col(TicketEmbedding.model) == model,
        )
    ).all()
    return {
        int(ticket_id): (from_bytes(vector), None if places is None else keys_from(places))
        for ticket_id, vector, places in rows
    }


def keys_to(keys: Iterable[str]) -> str:
    return "\n".join(sorted(keys))


def keys_from(text: str) -> frozenset[str]:
    return frozenset(key for key in text.split("\n") if key)


def store_vector(
    *,
    session: Session,
    ticket_id: int,
    vector: np.ndarray,
    model: str,
    places: Iterable[str] | None = None,
) -> None:
    row = session.get(TicketEmbedding, ticket_id)
    if row is None:
        row = TicketEmbedding(ticket_id=ticket_id, model=model, vector=to_bytes(vector))
    else:
        row.model, row.vector = model, to_bytes(vector)
    row.places = None if places is None else keys_to(places)
    session.add(row)
    session.flush()


def score(
    *,
    cosine: np.ndarray,
    same_category: np.ndarray,
    shared_place: np.ndarray,
    same_ward: np.ndarray,
) -> np.ndarray:
    """All arrays of one length; `same_category` is 1, 0, or UNKNOWN_CATEGORY; cosine may hold
    NaN (no embedding yet), which counts as 0."""
    cos = np.clip(np.nan_to_num(cosine, nan=0.0), 0.0, 1.0)
    return (
        W_COSINE * cos
        + W_CATEGORY * same_category
        + W_PLACE * shared_place
        + W_WARD * same_ward
    )


def category_signal(a: str | None, b: str | None) -> float:
    if a is None or b is None:
        return UNKNOWN_CATEGORY
    return 1.0 if a == b else 0.0


def place_signal(a: Iterable[str], b: Iterable[str]) -> float:
    """1 when both name a street or landmark in common, 0 when both name places but none in
    common (two different places), UNKNOWN_PLACE when one names none (no evidence either way)."""
    first, second = set(a), set(b)
    if first & second:
        return 1.0
    return 0.0 if first and second else UNKNOWN_PLACE


def near(ticket: Ticket, other: Any) -> bool:
    """The same ward, or within RADIUS_KM where both have coordinates."""
    if ticket.area_id and ticket.area_id == other.area_id:
        return True
    if None in (ticket.latitude, ticket.longitude, other.latitude, other.longitude):
        return False
    return (
        distance_km(
            float(ticket.latitude),  # type: ignore[arg-type]
            float(ticket.longitude),  # type: ignore[arg-type]
            float(other.latitude),  # type: ignore[arg-type]
            float(other.longitude),  # type: ignore[arg-type]
        )
        <= RADIUS_KM
    )


def scores_of(
    *,
    ticket: Ticket,
    pool: Sequence[Any],
    found: dict[int, tuple[np.ndarray, frozenset[str] | None]],
    vector: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(score, cosine) of every candidate at once. `found`: what `stored` read for the pool
    (and the ticket); `vector`: the report's own embedding when it is not stored (not filed
    yet)."""
    mine: np.ndarray | None = vector
    if mine is None and ticket.id is not None and ticket.id in found:
        mine = found[ticket.id][0]
    cosine = np.full(len(pool), np.nan)
    if mine is not None:
        have = [
            i for i, t in enumerate(pool)
            if t.id in found and found[int(t.id)][0].shape == mine.shape
        ]
        if have:
            matrix = np.vstack([found[int(pool[i].id)][0] for i in have])
            cosine[have] = matrix @ mine
    keys = place_keys(ticket.description)

    def places_of(candidate: Any) -> frozenset[str]:
        known = found.get(int(candidate.id))
        if known is not None and known[1] is not None:
            return known[1]
        return place_keys(candidate.description)  # embedded before the keys were stored

    mine_category = category_of(ticket)
    # near(), without a call per candidate in the same ward or when the report has no point
    area = ticket.area_id
    point = ticket.latitude is not None and ticket.longitude is not None
    scores = score(
        cosine=cosine,
        same_category=np.array([category_signal(mine_category, category_of(t)) for t in pool]),
        shared_place=np.array([place_signal(keys, places_of(t)) for t in pool]),
        same_ward=np.array([
            1.0 if (area and t.area_id == area) or (point and near(ticket, t)) else 0.0
            for t in pool
        ]),
    )
    return scores, cosine


def rank(
    *,
    session: Session,
    ticket: Ticket,
    pool: Sequence[Any],
    threshold: float = THRESHOLD,
    limit: int | None = None,
    vector: np.ndarray | None = None,
) -> list[Match]:
    """Score every candidate (rows of `candidates`) at once; those at or above `threshold`,
    best first, at most `limit`, each with its whole ticket. `vector`: the report's own
    embedding when it is not stored (a report not filed yet)."""
    if not pool:
        return []
    wanted = [int(t.id) for t in pool]
    if ticket.id is not None and vector is None:
        wanted.append(ticket.id)
    found = stored(session=session, ticket_ids=wanted)
    scores, cosine = scores_of(ticket=ticket, pool=pool, found=found, vector=vector)
    order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] >= threshold]
    order = order[:limit] if limit is not None else order
    if not order:
        return []
    ids = [int(pool[i].id) for i in order]
    tickets = {
        t.id: t for t in session.execute(select(Ticket).where(col(Ticket.id).in_(ids))).scalars()
    }
    return [
        Match(
            ticket=tickets[int(pool[i].id)],
            similarity=round(float(scores[i]), 3),
            cosine=None if np.isnan(cosine[i]) else round(float(cosine[i]), 3),
        )
        for i in order
        if int(pool[i].id) in tickets
    ]


def likely_duplicates(
    *, session: Session, ticket: Ticket, limit: int = 10, threshold: float = THRESHOLD
) -> list[Match]:
    pool = candidates(session=session, ticket=ticket)
    return rank(session=session, ticket=ticket, pool=pool, threshold=threshold, limit=limit)


def for_new_report(
    *,
    session: Session,
    description: str,
    area_id: str | None,
    latitude: float | None = None,
    longitude: float | None = None,
    category_id: str | None = None,
    vector: np.ndarray | None = None,
    limit: int = 3,
    threshold: float = THRESHOLD,
) -> list[Match]:
    """The open reports a report not filed yet likely duplicates (the web form asks the
    resident before filing): the same filter and score, with the text's category and
    embedding as the classifier gives them now (None: scored without them)."""
    probe = Ticket(
        code="",
        channel="web",
        description=description,
        area_id=area_id,
        latitude=latitude,
        longitude=longitude,
        predicted_category_id=category_id,
        created_at=utcnow(),
    )
    query = candidate_query(probe, open_only=True)
    if query is None:
        return []
    pool = list(session.execute(query).all())
    return rank(session=session, ticket=probe, pool=pool, threshold=threshold, limit=limit,
                vector=vector)


def likely_counts(
    *, session: Session, tickets: Sequence[Ticket], threshold: float = THRESHOLD
) -> dict[int, int]:
    """How many likely duplicates each ticket has (the staff queue's marker), for a page of
    tickets in three queries: every row's candidate filter in one UNION ALL (pairs of ids:
    neighbouring rows share most candidates), the distinct candidates' narrow rows, their
    stored embeddings. Tickets without any are left out."""
    selects = []
    for ticket in tickets:
        query = candidate_query(ticket) if ticket.id is not None else None
        if query is None:
            continue
        sub = query.subquery()
        selects.append(select(literal(ticket.id).label("for_id"), sub.c.id.label("candidate")))
    if not selects:
        return {}
    pairs = session.execute(union_all(*selects)).all()
    if not pairs:
        return {}
    ids = sorted({int(candidate) for _, candidate in pairs})
    rows = {
        int(row.id): row
        for row in session.execute(
            select(*CANDIDATE_COLUMNS).where(col(Ticket.id).in_(ids))
        ).all()
    }
    pools: dict[int, list[Any]] = {}
    for for_id, candidate in pairs:
        pools.setdefault(int(for_id), []).append(rows[int(candidate)])
    found = stored(session=session, ticket_ids=[*ids, *[int(t.id or 0) for t in tickets]])
    counts = {}
    for ticket in tickets:
        pool = pools.get(int(ticket.id or 0))
        if not pool:
            continue
        scores, _ = scores_of(ticket=ticket, pool=pool, found=found)
        if (above := int((scores >= threshold).sum())) > 0:
            counts[int(ticket.id or 0)] = above
    return counts


def pair_score(
    *,
    cosine: float | None,
    category_a: str | None,
    category_b: str | None,
    text_a: str,
    text_b: str,
    same_ward: bool,
) -> float:
    """The score of one pair (the evaluation's path: the same formula as `rank`)."""
    return float(
        score(
            cosine=np.array([np.nan if cosine is None else cosine]),
            same_category=np.array([category_signal(category_a, category_b)]),
            shared_place=np.array([place_signal(place_keys(text_a), place_keys(text_b))]),
            same_ward=np.array([1.0 if same_ward else 0.0]),
        )[0]
    )


def embed_ticket(*, session: Session, ticket: Ticket) -> bool:
    """Compute and store the embedding of a ticket's description (the worker's job). False when
    it is already there."""
    from classify import embedding  # lazy: torch and transformers, in workers only

    assert ticket.id is not None
    existing = session.get(TicketEmbedding, ticket.id)
    if existing is not None and existing.model == embedding.model_name():
        if existing.places is not None:
            return False
        existing.places = keys_to(place_keys(ticket.description))  # the keys only
        session.add(existing)
        session.flush()
        return True
    vector = embedding.embed([ticket.description])[0]
    store_vector(session=session, ticket_id=ticket.id, vector=vector,
                 model=embedding.model_name(), places=place_keys(ticket.description))
    return True


def missing(
    *, session: Session, model: str, below: int | None, batch: int, everything: bool = False
) -> list[Any]:
    """(id, description, has_vector) of up to `batch` tickets without an embedding of `model`
    or without stored place keys (has_vector: only the keys are missing), newest first, with
    ids below `below`: those that can be candidates (CANDIDATE_PREDICATE), or every ticket
    with `everything`."""
    has_vector = and_(
        col(TicketEmbedding.model) == model, col(TicketEmbedding.ticket_id).is_not(None)
    )
    query = (
        select(col(Ticket.id), col(Ticket.description), has_vector.label("has_vector"))
        .outerjoin(TicketEmbedding, col(TicketEmbedding.ticket_id) == col(Ticket.id))
        .where(
            or_(
                col(TicketEmbedding.ticket_id).is_(None),
                col(TicketEmbedding.model) != model,
                col(TicketEmbedding.places).is_(None),
            )
        )
        .order_by(col(Ticket.id).desc())
        .limit(batch)
    )
    if below is not None:
        query = query.where(col(Ticket.id) < below)
    if not everything:
        query = query.where(text(CANDIDATE_PREDICATE))
    return list(session.execute(query).all())


def backfill(
    *,
    session: Session,
    batch: int = 64,
    limit: int | None = None,
    everything: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Embed the existing tickets that have no embedding of the current model (none yet, or
    one of another model), and store the place keys of those embedded without them, newest
    first, `batch` texts per model call, committing after each batch: stopped at any point, a
    second run goes on with those still missing. Only tickets that can be candidates (not
    merged, open or resolved: most of a year's are closed) unless `everything`. Returns how
    many were done."""
    from classify import embedding  # lazy: torch and transformers, behind a command

    model = embedding.model_name()
    done, below = 0, None
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        rows = missing(session=session, model=model, below=below, batch=size,
                       everything=everything)
        if not rows:
            break
        texts = [row[1] for row in rows if not row[2]]
        found = iter(embedding.embed(texts, batch_size=batch) if texts else [])
        for ticket_id, description, has_vector in rows:
            keys = place_keys(description)
            if has_vector:  # embedded before the place keys were stored: the keys only
                row = session.get(TicketEmbedding, int(ticket_id))
                assert row is not None
                row.places = keys_to(keys)
                session.add(row)
            else:
                store_vector(session=session, ticket_id=int(ticket_id), vector=next(found),
                             model=model, places=keys)
        session.commit()
        done += len(rows)
        below = int(rows[-1][0])
        if progress is not None:
            progress(done)
    return done
