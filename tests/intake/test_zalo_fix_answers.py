""""Is it fixed?" on Zalo: a report filed on Zalo is asked on Zalo, and "chưa sửa" written
there reopens it to the same agency with the resident's words."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from notify import followup
from notify.models import OutboundMessage
from tests import factories
from tests.intake.zalo_helpers import post, run_tasks, text_event, zalo_client, zalo_settings
from tickets import workflow
from tickets.models import FixAnswer, Ticket, TicketEvent, TicketState

VI_REPORT = "Đèn đường hẻm 42 Lý Tự Trọng tắt cả tuần nay, tối rất nguy hiểm."


@pytest.fixture
def zalo(pg_session):
    with zalo_client(pg_session) as client:
        yield client


def test_chua_sua_on_zalo_reopens_to_the_same_agency(zalo, pg_session) -> None:
    settings = zalo_settings()
    post(zalo, text_event(VI_REPORT))
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    workflow.route(session=pg_session, ticket=ticket, agency_id="urban_infrastructure",
                   category_id="lighting")
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=factories.STAFF)
    resolved = workflow.resolve(session=pg_session, ticket=ticket, resolution="Đã thay bóng.",
                                actor=factories.STAFF)
    assert followup.ask(session=pg_session, ticket_id=ticket.id,
                        event_id=resolved.id) == "asked"
    factories.deliver_events(pg_session)
    question = pg_session.execute(select(OutboundMessage).where(
        OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == "fix_question"
    )).scalar_one()
    assert question.channel == "zalo"

    post(zalo, text_event("Chưa sửa, hẻm vẫn tối"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    pg_session.refresh(ticket)
    assert ticket.state == TicketState.in_progress
    assert ticket.agency_id == "urban_infrastructure"
    assert ticket.fix_answer == FixAnswer.not_fixed
    answer = pg_session.execute(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "not_fixed")).scalar_one()
    assert answer.message == "Chưa sửa, hẻm vẫn tối" and answer.data["channel"] == "zalo"
    assert pg_session.execute(select(Ticket).where(Ticket.id != ticket.id)).first() is None
