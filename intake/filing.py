"""The one door through which every channel files a report.

A channel adapter (web form, JSON API, SMS, voice, Open311, call centre, ...) turns what it
received into a `NewReport` and calls `file_report`. Here, once per report: the emergency check
(the kind decides the channel's first answer: call 113, 114 or 115), then the tracker's
`workflow.file`, which stores the ticket, its first audit event and the `ticket.filed` event.

An adapter that needed the emergency kind before filing (to decide whether a place is required,
or whether a text is a new report or an answer) passes the kind it found as `emergency_kind`,
so the text is never scanned twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlmodel import Session

from intake import emergency
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
    ticket = workflow.file(session=session, report=report, attachments=attachments)
    return Filed(ticket=ticket, emergency_kind=kind)
