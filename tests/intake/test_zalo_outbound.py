"""Zalo OA out: tokens refreshed once and kept encrypted, retries, the window, updates on Zalo."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from sqlalchemy import select, text

from core.clock import utcnow
from core.tasks import TransientError
from notify import service as notify_service
from notify import zalo as zalo_notify
from notify import zalo_tokens
from notify.models import MessageStatus, OutboundMessage
from notify.zalo_models import ZaloContact, ZaloToken
from tests.intake.helpers import count
from tests.intake.zalo_helpers import (
    ACCESS,
    APP_ID,
    APP_SECRET,
    CS_URL,
    OAUTH_URL,
    REFRESH,
    USER,
    caught_zalo,
    clock_moved,
    cs_ok,
    post,
    run_tasks,
    sent_texts,
    text_event,
    zalo_client,
    zalo_settings,
)
from tickets import codes
from tickets.models import Ticket

VI_REPORT = "Cây đổ chắn ngang đường Nguyễn Huệ trước số 20."
NEW_TOKENS = {"access_token": "access-token-second", "refresh_token": "refresh-token-second",
              "expires_in": "90000"}


@pytest.fixture
def settings():
    return zalo_settings()


def filed_on_zalo(session, settings) -> Ticket:
    """A report filed through the webhook (its replies still queued, not sent)."""
    with zalo_client(session) as client:
        post(client, text_event(VI_REPORT))
        post(client, text_event("xong"))
    run_tasks(session, settings, only={"intake.zalo_event"})
    return session.execute(select(Ticket)).scalar_one()


def zalo_rows(session) -> list[OutboundMessage]:
    return list(session.execute(
        select(OutboundMessage).where(OutboundMessage.channel == "zalo")
        .order_by(OutboundMessage.id)).scalars())


def test_an_expired_access_token_is_refreshed_and_the_reply_goes_out_once(
    pg_session, settings
) -> None:
    filed_on_zalo(pg_session, settings)
    question, receipt = zalo_rows(pg_session)
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json={"error": -216, "message": "Access token invalid"})
        caught.add(responses.POST, OAUTH_URL, json=NEW_TOKENS)
        caught.add(responses.POST, CS_URL, json=cs_ok("m-1"))
        caught.add(responses.POST, CS_URL, json=cs_ok("m-2"))
        first = notify_service.deliver(session=pg_session, message_id=question.id,
                                       settings=settings)
        second = notify_service.deliver(session=pg_session, message_id=receipt.id,
                                        settings=settings)
        again = notify_service.deliver(session=pg_session, message_id=question.id,
                                       settings=settings)
        calls = [(call.request.url, call.request.headers.get("access_token"))
                 for call in caught.calls]
        refresh_form = parse_qs(caught.calls[1].request.body)
        refresh_headers = caught.calls[1].request.headers
    assert (first, second, again) == ("sent", "sent", "sent")
    assert calls == [
        (CS_URL, ACCESS),  # refused: expired
        (OAUTH_URL, None),  # one refresh
        (CS_URL, "access-token-second"),  # the same message, once more, with the new token
        (CS_URL, "access-token-second"),  # the next message uses it directly
    ]
    assert refresh_form == {"app_id": [APP_ID], "grant_type": ["refresh_token"],
                            "refresh_token": [REFRESH]}
    assert refresh_headers["secret_key"] == APP_SECRET
    assert (question.provider_id, question.backend, question.attempts) == ("m-1", "zalo", 1)
    row = pg_session.get(ZaloToken, 1)
    assert row.refreshed_count == 1
    assert zalo_tokens.decrypt(row.refresh_token, settings) == "refresh-token-second"


def test_tokens_are_encrypted_at_rest(pg_session, settings) -> None:
    token = zalo_tokens.access_token(session=pg_session, settings=settings)
    assert token == ACCESS
    stored = pg_session.execute(text("SELECT access_token, refresh_token FROM zalo_token")).one()
    assert ACCESS not in stored[0] and REFRESH not in stored[1]
    other_key = settings.model_copy(update={"secret_key": settings.secret_key.__class__("x")})
    with pytest.raises(Exception):  # noqa: B017 (cryptography's InvalidToken)
        zalo_tokens.decrypt(stored[0], other_key)


def test_a_token_past_its_expiry_is_refreshed_before_sending(pg_session, settings) -> None:
    zalo_tokens.access_token(session=pg_session, settings=settings)
    row = pg_session.get(ZaloToken, 1)
    row.expires_at = utcnow() - timedelta(minutes=1)
    pg_session.add(row)
    with caught_zalo() as caught:
        caught.add(responses.POST, OAUTH_URL, json=NEW_TOKENS)
        assert zalo_tokens.access_token(session=pg_session, settings=settings) == (
            "access-token-second")
        assert len(caught.calls) == 1


def test_a_worker_that_waited_for_the_refresh_uses_the_new_token(pg_session, settings) -> None:
    zalo_tokens.access_token(session=pg_session, settings=settings)
    with caught_zalo() as caught:
        caught.add(responses.POST, OAUTH_URL, json=NEW_TOKENS)
        first = zalo_tokens.refresh(session=pg_session, settings=settings, stale=ACCESS)
        second = zalo_tokens.refresh(session=pg_session, settings=settings, stale=ACCESS)
        assert len(caught.calls) == 1  # the second saw the token already replaced
    assert first == second == "access-token-second"


def test_a_refused_refresh_keeps_the_message_for_a_retry(pg_session, settings) -> None:
    filed_on_zalo(pg_session, settings)
    question = zalo_rows(pg_session)[0]
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json={"error": -216, "message": "expired"})
        caught.add(responses.POST, OAUTH_URL, json={"error": -14014,
                                                    "error_description": "Invalid refresh token"})
        with pytest.raises(TransientError):
            notify_service.deliver(session=pg_session, message_id=question.id, settings=settings)
    pg_session.refresh(question)
    assert question.status == MessageStatus.pending  # not lost: retried with backoff


def test_transient_errors_are_retried_and_the_message_sent_once(pg_session, settings) -> None:
    filed_on_zalo(pg_session, settings)
    question = zalo_rows(pg_session)[0]
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, status=503)
        caught.add(responses.POST, CS_URL, json={"error": -32, "message": "rate limit"})
        caught.add(responses.POST, CS_URL, json=cs_ok("m-late"))
        for _ in range(2):
            with pytest.raises(TransientError):
                notify_service.deliver(session=pg_session, message_id=question.id,
                                       settings=settings)
            pg_session.refresh(question)
            assert question.status == MessageStatus.pending
        assert notify_service.deliver(session=pg_session, message_id=question.id,
                                      settings=settings) == "sent"
        assert len(caught.calls) == 3
    assert (question.provider_id, question.attempts) == ("m-late", 3)


def test_outside_the_window_a_message_is_held_until_the_resident_writes(
    pg_session, settings
) -> None:
    ticket = filed_on_zalo(pg_session, settings)
    with clock_moved(49 * 3600), caught_zalo() as caught:
        notify_service.message_resident(session=pg_session, ticket=ticket, kind="resolved",
                                        values={"resolution": "Đã dọn cây."}, settings=settings)
        run_tasks(pg_session, settings, only={"notify.send"})
        assert len(caught.calls) == 0  # Zalo would refuse (or charge) outside the window
    assert {m.status for m in zalo_rows(pg_session)} == {MessageStatus.held}
    with clock_moved(50 * 3600), caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json=cs_ok())
        with zalo_client(pg_session) as client:
            post(client, text_event("TT " + ticket.code))
        run_tasks(pg_session, settings, only={"intake.zalo_event", "notify.send"})
        bodies = [sent["message"]["text"] for sent in sent_texts(caught)]
    assert len(bodies) == 4  # the question, the receipt, the resolution, the status answer
    assert any("Đã dọn cây." in body for body in bodies)
    assert {m.status for m in zalo_rows(pg_session)} == {MessageStatus.sent}


def test_zalo_refusing_for_the_window_holds_the_message(pg_session, settings) -> None:
    filed_on_zalo(pg_session, settings)
    question = zalo_rows(pg_session)[0]
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json={"error": -230, "message": "not interacted"})
        status = notify_service.deliver(session=pg_session, message_id=question.id,
                                        settings=settings)
    assert status == MessageStatus.held


def test_status_changes_of_a_zalo_report_are_sent_on_zalo(pg_session, settings) -> None:
    ticket = filed_on_zalo(pg_session, settings)
    ticket.reporter_phone = "+84901234567"  # even with a phone number, Zalo is where it came from
    queued = notify_service.message_resident(
        session=pg_session, ticket=ticket, kind="info_requested",
        values={"question": "Số nhà chính xác là bao nhiêu?"}, settings=settings)
    contact = pg_session.execute(select(ZaloContact)).scalar_one()
    assert queued is not None
    assert (queued.channel, queued.recipient) == ("zalo", str(contact.id))
    assert "Hãy trả lời ngay tại Zalo" in queued.body and codes.display(ticket.code) in queued.body
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json=cs_ok("m-info"))
        assert notify_service.deliver(session=pg_session, message_id=queued.id,
                                      settings=settings) == "sent"
        assert sent_texts(caught)[0]["recipient"] == {"user_id": USER}


def test_without_tokens_messages_go_to_the_console(pg_session) -> None:
    settings = zalo_settings(zalo_access_token=None, zalo_refresh_token=None)
    filed_on_zalo(pg_session, settings)
    zalo_notify.ConsoleZaloSender.sent.clear()
    with caught_zalo() as caught:
        run_tasks(pg_session, settings, only={"notify.send"})
        assert len(caught.calls) == 0
    assert len(zalo_notify.ConsoleZaloSender.sent) == 2
    assert all(USER not in str(line) for line in zalo_notify.ConsoleZaloSender.sent)
    assert {m.backend for m in zalo_rows(pg_session)} == {"console"}


def test_zalo_receipts_mark_messages_delivered(pg_session, settings) -> None:
    filed_on_zalo(pg_session, settings)
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json=cs_ok("m-a"))
        caught.add(responses.POST, CS_URL, json=cs_ok("m-b"))
        run_tasks(pg_session, settings, only={"notify.send"})
    from tests.intake.zalo_helpers import event

    with zalo_client(pg_session) as client:
        post(client, event("user_received_message", {"msg_ids": ["m-a", "m-b"]}))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    assert {m.status for m in zalo_rows(pg_session)} == {MessageStatus.delivered}
    assert count(pg_session, Ticket) == 1


def test_a_zalo_report_is_followed_on_zalo_through_the_workflow(pg_session, settings) -> None:
    from tickets import workflow
    from tickets.models import ActorType, TicketEvent
    from tickets.service import Actor

    ticket = filed_on_zalo(pg_session, settings)
    staff = Actor(type=ActorType.staff, label="agent")
    workflow.send_to_triage(session=pg_session, ticket=ticket, reason="test")
    workflow.route(session=pg_session, ticket=ticket, agency_id="transport",
                   category_id="roads", actor=staff)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=staff)
    # no phone, no e-mail: Zalo is how this resident is asked
    workflow.request_information(session=pg_session, ticket=ticket,
                                 question="Cây đổ trước số nhà nào?", actor=staff)
    with zalo_client(pg_session) as client:
        post(client, text_event("Trước số 20, cạnh trạm xe buýt."))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    pg_session.refresh(ticket)
    assert ticket.state == "in_progress"  # the answer came back through Zalo
    answer = pg_session.execute(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "info_received")).scalar_one()
    assert answer.message == "Trước số 20, cạnh trạm xe buýt."
    workflow.resolve(session=pg_session, ticket=ticket, resolution="Đã cắt dọn cây.",
                     actor=staff)
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json=cs_ok())
        run_tasks(pg_session, settings)
        bodies = [sent["message"]["text"] for sent in sent_texts(caught)]
        assert {sent["recipient"]["user_id"] for sent in sent_texts(caught)} == {USER}
    kinds = [m.kind for m in zalo_rows(pg_session) if m.ticket_id == ticket.id]
    assert {"acknowledged", "info_requested", "resolved"} <= set(kinds)
    assert any("Hãy trả lời ngay tại Zalo" in body for body in bodies)
    assert any("Đã cắt dọn cây." in body for body in bodies)
    assert count(pg_session, OutboundMessage) == len(zalo_rows(pg_session))  # no SMS, no e-mail


@pytest.mark.parametrize(("answer", "fix_answer", "state"), [
    ("Đã sửa, cảm ơn nhiều", "fixed", "resolved"),
    ("chua sua, cay van nam do", "not_fixed", "in_progress"),  # back with the agency
])
def test_is_it_fixed_is_asked_and_answered_on_zalo(
    pg_session, settings, answer, fix_answer, state
) -> None:
    from notify import followup
    from tickets import workflow
    from tickets.models import ActorType, TicketEvent
    from tickets.service import Actor

    ticket = filed_on_zalo(pg_session, settings)
    staff = Actor(type=ActorType.staff, label="agent")
    workflow.route(session=pg_session, ticket=ticket, agency_id="urban_infrastructure",
                   category_id="lighting", actor=staff)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=staff)
    resolved = workflow.resolve(session=pg_session, ticket=ticket,
                                resolution="Đã dọn cây.", actor=staff)
    assert followup.ask(session=pg_session, ticket_id=ticket.id, event_id=resolved.id) == "asked"
    run_tasks(pg_session, settings, only=_subscriber_tasks())
    question = [m for m in zalo_rows(pg_session) if m.kind == "fix_question"]
    assert len(question) == 1 and "DA SUA" in question[0].body
    with zalo_client(pg_session) as client:
        post(client, text_event(answer))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    pg_session.refresh(ticket)
    assert (ticket.fix_answer, ticket.state) == (fix_answer, state)
    assert count(pg_session, Ticket) == 1  # an answer, not a new report
    if fix_answer == "not_fixed":
        words = pg_session.execute(select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.message == answer)).scalars().all()
        assert words  # the resident's words went back to the agency


def test_stop_questions_on_zalo(pg_session, settings) -> None:
    from notify import service as notify_service_module

    ticket = filed_on_zalo(pg_session, settings)
    with zalo_client(pg_session) as client:
        post(client, text_event("Dừng hỏi"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    assert notify_service_module.stops_questions(session=pg_session, ticket=ticket)
    assert "không hỏi" in zalo_rows(pg_session)[-1].body.lower()


def _subscriber_tasks() -> set[str]:
    from core import events

    events.subscribers("ticket.filed")
    return set(events.BY_TASK)
