"""Before a resident files on the web form: the open reports nearby that likely describe the
same problem (issue 16), so that the resident can follow one instead of filing again.

The finder is tickets.duplicates (the same candidate filter and score as the staff's ticket
page), asked with the text's category and embedding as the served classifier gives them now
(tickets.classifier_port.signals_for_duplicates). Without a classifier ready in this process
there are no suggestions: without the cosine and the category the score cannot reach the
threshold (at most 0.30·0.35 + 0.20 + 0.15 = 0.455 < 0.73), so the finder is not asked.

Only what the status page shows of another report: its tracking code, public state, category,
ward, date and its text with phone numbers, e-mail addresses and names masked. Nothing here may
stop a report from being filed: any failure means no suggestions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from core.i18n import gettext
from places import service as places_service
from routing.models import Area, Category
from tickets import classifier_port, codes, duplicates, redact
from tickets.public import STATE_LABELS
from tickets.service import NewReport

log = logging.getLogger(__name__)
MAX_SHOWN = 3
MAX_TEXT = 200


@dataclass(frozen=True)
class SimilarReport:
    code: str
    display_code: str
    state: str
    state_label: str
    category: str | None
    area: str | None
    description: str  # masked, in the reader's language
    created_at: datetime

    def as_json(self) -> dict[str, str | None]:
        return {
            "code": self.code,
            "display_code": self.display_code,
            "state": self.state,
            "state_label": self.state_label,
            "category": self.category,
            "area": self.area,
            "description": self.description,
        }


def _name(row: Area | Category | None, language: str) -> str | None:
    if row is None:
        return None
    return row.name_vi if language == "vi" else row.name_en


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"


def find(
    *, session: Session, report: NewReport, language: str, limit: int = MAX_SHOWN
) -> list[SimilarReport]:
    """Up to `limit` open reports the new one likely duplicates, best first ([] on any
    failure, without a classifier ready, or without a place)."""
    started = time.perf_counter()
    try:
        found = _find(session=session, report=report, language=language, limit=limit)
    except Exception:  # suggestions are a courtesy: the report is filed regardless
        log.exception("likely duplicates could not be found for the report form")
        return []
    log.debug("form duplicates: %d in %.1f ms", len(found), 1000 * (time.perf_counter() - started))
    return found


def _find(
    *, session: Session, report: NewReport, language: str, limit: int
) -> list[SimilarReport]:
    text = report.description
    if not text:
        return []
    area_id = report.area_id
    if area_id is None:  # as the filing door will read it
        area_id = places_service.locate(
            session=session, text=text, address=report.address,
            latitude=report.latitude, longitude=report.longitude,
        ).ward_code
    if area_id is None and (report.latitude is None or report.longitude is None):
        return []  # no place: the finder has nothing to look near
    signals = classifier_port.signals_for_duplicates(text)
    if signals is None:
        return []
    matches = duplicates.for_new_report(
        session=session,
        description=text,
        area_id=area_id,
        latitude=report.latitude,
        longitude=report.longitude,
        category_id=signals.category,
        vector=signals.vector,
        limit=limit,
    )
    shown = []
    for match in matches:
        ticket = match.ticket
        category = session.get(Category, ticket.category_id) if ticket.category_id else None
        area = session.get(Area, ticket.area_id) if ticket.area_id else None
        shown.append(
            SimilarReport(
                code=ticket.code,
                display_code=codes.display(ticket.code),
                state=ticket.state,
                state_label=gettext(language, STATE_LABELS[ticket.state]),
                category=_name(category, language),
                area=_name(area, language),
                description=_short(redact.mask_for(ticket.description, language)),
                created_at=ticket.created_at,
            )
        )
    return shown
