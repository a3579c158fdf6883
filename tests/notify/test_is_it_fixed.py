""""Is it fixed?": asked after the category's delay on the resident's channel; "chưa sửa"
reopens the ticket to the same agency with the resident's words and lowers the agency's
confirmed-fixed figure on the scoreboard; "đã sửa" confirms; silence is recorded as no answer;
a resident can stop the questions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import as_utc, set_clock, utcnow
from core.outbox import OutboxMessage
from dashboard import rollup, scoreboard
from intake import sms
from notify import followup
from notify import service as notify_service
from notify.models import OutboundMessage
from tests import factories
from tests.intake.helpers import messages, signed_post, sms_params, twilio_client
from tickets import workflow
from tickets.models import FixAnswer, Outcome, Ticket, TicketEvent, TicketState

RESIDENT = "+84901234567"
NEIGHBOUR = "+84907654321"
AGENCY = "urban_infrastructure"  # the default agency of "lighting" (routing/data/taxonomy.toml)
LIGHTING_FIX_QUESTION_DAYS = 7


@pytest.fixture(autouse=True)
def _fresh_flood_control():
    sms.reset_flood_control()
    yield
    sms.reset_flood_control()
    set_clock(None)


def resolved(session, phone: str | None = RESIDENT, **values) -> Ticket:
    contact = {"reporter_phone": phone} if phone else {}
    ticket = factories.routed_ticket(session, category_id="lighting", **contact, **values)
    workflow.acknowledge(session=session, ticket=ticket, actor=factories.STAFF)
    workflow.resolve(session=session, ticket=ticket, resolution="Đã thay bóng đèn.",
                     actor=factories.STAFF)
    return ticket


def resolved_event(session, ticket: Ticket) -> TicketEvent:
    return session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                  TicketEvent.kind == "resolved")
        .order_by(TicketEvent.id.desc())
    ).scalars().first()


def asked(session, ticket: Ticket) -> str:
    factories.deliver_events(session)
    result = followup.ask(session=session, ticket_id=ticket.id,
                          event_id=resolved_event(session, ticket).id)
    factories.deliver_events(session)
    return result


def events(session, ticket: Ticket, kind: str) -> list[TicketEvent]:
    return list(session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == kind)
    ).scalars())


def test_the_question_is_planned_for_the_categorys_delay_after_the_resolution(pg_session):
    ticket = resolved(pg_session)
    factories.deliver_events(pg_session)
    planned = [row for row in pg_session.execute(
        select(OutboxMessage).where(OutboxMessage.task == followup.ASK_TASK)).scalars()
        if row.args["ticket_id"] == ticket.id]
    assert len(planned) == 1
    expected = as_utc(ticket.resolved_at) + timedelta(days=LIGHTING_FIX_QUESTION_DAYS)
    assert abs((as_utc(planned[0].available_at) - expected).total_seconds()) < 5


def test_a_resolution_that_is_not_a_fix_is_not_followed_up(pg_session):
    ticket = factories.routed_ticket(pg_session, category_id="lighting", reporter_phone=RESIDENT)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=factories.STAFF)
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Không thuộc thẩm quyền.",
                     actor=factories.STAFF, outcome=Outcome.not_responsible)
    factories.deliver_events(pg_session)
    planned = [row for row in pg_session.execute(
        select(OutboxMessage).where(OutboxMessage.task == followup.ASK_TASK)).scalars()
        if row.args["ticket_id"] == ticket.id]
    assert planned == []


def test_the_question_goes_to_the_resident_with_a_link(pg_session):
    ticket = resolved(pg_session)
    assert asked(pg_session, ticket) == "asked"
    pg_session.refresh(ticket)
    assert ticket.fix_answer == FixAnswer.asked
    question = pg_session.execute(select(OutboundMessage).where(
        OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == "fix_question"
    )).scalar_one()
    assert question.channel == "sms" and question.recipient == RESIDENT
    assert "CHUA SUA" in question.body and f"/status/{ticket.code}/fixed?t=" in question.body
    assert len(events(pg_session, ticket, "fix_asked")) == 1


def test_chua_sua_reopens_to_the_same_agency_and_lowers_confirmed_fixed(pg_session):
    ticket = resolved(pg_session)
    neighbour = resolved(pg_session, phone=NEIGHBOUR)
    assert asked(pg_session, ticket) == "asked"
    assert asked(pg_session, neighbour) == "asked"
    with twilio_client(pg_session) as client:
        signed_post(client, "/twilio/sms", sms_params("Đã sửa, cảm ơn", sender=NEIGHBOUR))
        rollup.rebuild_all(session=pg_session)
        before = _agency(scoreboard.build(session=pg_session, language="vi"))
        assert (before["confirmed_fixed"], before["said_not_fixed"]) == (1, 0)
        assert before["confirmed_fixed_rate"] == 1.0

        words = "Chưa sửa, đèn vẫn tắt mỗi tối"
        replies = messages(signed_post(client, "/twilio/sms", sms_params(words)))

    assert replies == []  # the reopening is announced by its own message
    pg_session.refresh(ticket)
    assert ticket.state == TicketState.in_progress
    assert ticket.agency_id == AGENCY
    assert ticket.fix_answer == FixAnswer.not_fixed and ticket.not_fixed_count == 1
    assert as_utc(ticket.resolve_due_at) > utcnow()
    (answer,) = events(pg_session, ticket, "not_fixed")
    assert answer.message == words
    assert answer.actor_type == "resident"
    assert answer.data["agency_id"] == AGENCY and answer.data["channel"] == "sms"

    rollup.rebuild_all(session=pg_session)
    after = _agency(scoreboard.build(session=pg_session, language="vi"))
    assert (after["confirmed_fixed"], after["said_not_fixed"]) == (1, 1)
    assert after["confirmed_fixed_rate"] == 0.5

    factories.deliver_events(pg_session)
    reopened = pg_session.execute(select(OutboundMessage).where(
        OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == "not_fixed_reopened"
    )).scalar_one()
    assert reopened.recipient == RESIDENT


def _agency(board: scoreboard.Scoreboard) -> dict:
    (score,) = [s for s in board.agencies if s.agency_id == AGENCY]
    return score.rolling


def test_not_fixed_reopens_even_after_the_sweep_closed_the_ticket(pg_session):
    ticket = resolved(pg_session)
    asked(pg_session, ticket)
    workflow.close(session=pg_session, ticket=ticket, reason="reopen_window_passed")
    workflow.report_not_fixed(session=pg_session, ticket=ticket, text="Vẫn tắt", channel="web")
    assert ticket.state == TicketState.in_progress and ticket.closed_at is None


def test_a_text_that_is_no_answer_is_a_new_report(pg_session):
    ticket = resolved(pg_session)
    asked(pg_session, ticket)
    with twilio_client(pg_session) as client:
        signed_post(client, "/twilio/sms", sms_params("Cây đổ chắn ngang đường trước nhà số 5"))
    pg_session.refresh(ticket)
    assert ticket.fix_answer == FixAnswer.asked
    assert pg_session.execute(select(Ticket).where(Ticket.id != ticket.id)).scalars().first()


def test_silence_is_recorded_as_no_answer_after_the_window(pg_session):
    ticket = resolved(pg_session)
    asked(pg_session, ticket)
    assert followup.close(session=pg_session, ticket_id=ticket.id) == "still_open"
    later = utcnow() + timedelta(days=15)
    set_clock(lambda: later)
    assert followup.close(session=pg_session, ticket_id=ticket.id) == "no_answer"
    assert ticket.fix_answer == FixAnswer.no_answer
    assert len(events(pg_session, ticket, "fix_unanswered")) == 1
    assert followup.close(session=pg_session, ticket_id=ticket.id) == "answered"  # once


def test_a_resident_who_said_stop_is_not_asked(pg_session):
    earlier = resolved(pg_session)
    asked(pg_session, earlier)
    with twilio_client(pg_session) as client:
        replies = messages(signed_post(client, "/twilio/sms", sms_params("Dừng hỏi")))
    assert replies and "không hỏi" in replies[0]
    ticket = resolved(pg_session)
    assert asked(pg_session, ticket) == "resident_stopped_questions"
    assert ticket.fix_answer is None and events(pg_session, ticket, "fix_asked") == []
    assert notify_service.stops_questions(session=pg_session, ticket=ticket)


def test_the_signed_page_takes_not_fixed_with_the_residents_words(pg_client, pg_session):
    from tickets import links

    ticket = resolved(pg_session, phone=None, reporter_email="an@example.org")
    asked(pg_session, ticket)
    path = links.fixed_path(ticket)
    page = pg_client.get(path + "&lang=en")
    assert page.status_code == 200 and "Is the problem fixed?" in page.text
    token = path.split("t=")[1]
    done = pg_client.post(f"/status/{ticket.code}/fixed?lang=en", follow_redirects=False,
                          data={"t": token, "answer": "not_fixed", "text": "Still dark"})
    assert done.status_code == 303
    pg_session.refresh(ticket)
    assert ticket.state == TicketState.in_progress
    assert events(pg_session, ticket, "not_fixed")[0].message == "Still dark"
    forged = pg_client.post(f"/status/{ticket.code}/fixed?lang=en",
                            data={"t": token[:-3] + "AAA", "answer": "fixed"})
    assert forged.status_code == 403
    public_page = pg_client.get(f"/status/{ticket.code}?lang=en")
    assert "The resident says it is not fixed" in public_page.text
    assert "Still dark" not in public_page.text  # the resident's words stay private


def test_not_fixed_without_words_is_refused_in_the_residents_language(pg_client, pg_session):
    from tickets import links

    ticket = resolved(pg_session)
    asked(pg_session, ticket)
    token = links.fixed_path(ticket).split("t=")[1]
    empty = pg_client.post(f"/status/{ticket.code}/fixed?lang=vi",
                           data={"t": token, "answer": "not_fixed", "text": "  "})
    assert empty.status_code == 422
    assert "Vui lòng" in empty.text or "Hãy" in empty.text


_ = (datetime, UTC)
