"""The one door through which every channel files a report.

A channel adapter (web form, JSON API, SMS, voice, Open311, call centre, ...) turns what it
received into a `NewReport` and calls `file_report`. Here, once per report: the emergency check
(the kind decides the channel's first answer: call 113, 114 or 115), then the tracker's
`workflow.file`, which stores the ticket, its first audit event and the `ticket.filed` event.

An adapter that needed the emergency kind before filing (to decide whether a place is required,
or whether a text is a new report or an answer) passes the kind it found as `emergency_kind`,
so the text is never scanned twice.

Every report that comes without a ward gets its place here (places.service.locate): the ward
whose centre is nearest to its coordinates, else the ward read from its address and text. A
single ward becomes the ticket's ward; otherwise the ticket is filed with no ward and the
reading (candidates included) is kept for the triage desk ("place unknown").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlmodel import Session

from intake import emergency
from places import service as places_service
from routing.models import Area
from tickets import workflow
from tickets.models import Ticket
from tickets.service import NewAttachment, NewReport


class _NotChecked:
    pass


NOT_CHECKED: Final = _NotChecked()


@dataclass(frozen=True)
class Filed:
    ticket: Ticket
    emergency_kind: str | None
    place: places_service.Located | None = None  # how the door found the ward (no ward given)


def screen(text: str | None) -> str | None:
    """The kind of emergency in progress in this text (fire, crime, medical), or None."""
    return emergency.detect(text) if text else None


def file_report(
    *,
    session: Session,
    report: NewReport,
    attachments: list[NewAttachment] | None = None,
    emergency_kind: str | None | _NotChecked = NOT_CHECKED,
) -> Filed:
    kind = screen(report.description) if isinstance(emergency_kind, _NotChecked) else emergency_kind
    report.emergency = report.emergency or kind is not None
    located = None
    if report.area_id is None:
        located = find_place(session=session, report=report)
    ticket = workflow.file(session=session, report=report, attachments=attachments)
    # a channel's retried delivery returns the ticket filed the first time, reading kept
    retried = report.external_id is not None and ticket.id is not None and (
        places_service.reading_of(session=session, ticket_id=ticket.id) is not None
    )
    if located is not None and ticket.id is not None and not retried:
        places_service.remember_reading(session=session, ticket_id=ticket.id, located=located,
                                        new=True)
    return Filed(ticket=ticket, emergency_kind=kind, place=located)


def find_place(*, session: Session, report: NewReport) -> places_service.Located:
    """Give a report without a ward the one its point or its words name, if any."""
    located = places_service.locate(
        session=session,
        text=report.description,
        address=report.address,
        latitude=report.latitude,
        longitude=report.longitude,
    )
    area = session.get(Area, located.ward_code) if located.ward_code else None
    if area is not None and area.active:
        report.area_id = area.id
    if report.address is None and located.address:
        report.address = located.address[:300]
    return located
