"""SMS in: reports, retries, commands, answers to questions, photos, emergencies, floods."""

from __future__ import annotations

import uuid

import pytest
import responses
from sqlalchemy import select

from core import outbox
from core.tasks import TransientError
from intake import media, sms
from notify import service as notify_service
from notify.models import MessageStatus, OptOut, OutboundMessage
from tests import factories
from tests.intake.helpers import (
    CALLER,
    MESSAGES_URL,
    caught_twilio,
    count,
    jpeg_bytes,
    messages,
    signed_post,
    sms_params,
    twilio_client,
    twilio_settings,
)
from tickets import codes, workflow
from tickets.models import Attachment, InboundMessage, Ticket, TicketEvent, TicketState

# the texts name their ward: a report without one is also asked "which ward?" (test_sms_place)
VI_REPORT = "Đèn đường hẻm 42 Lý Tự Trọng, phường Bến Thành tắt cả tuần nay, tối rất nguy hiểm."
EN_REPORT = "The street light in alley 42 Ly Tu Trong has been off all week."


@pytest.fixture(autouse=True)
def _fresh_flood_control():
    sms.reset_flood_control()
    yield
    sms.reset_flood_control()


@pytest.fixture
def twilio(pg_session):
    with twilio_client(pg_session) as client:
        yield client


def only_ticket(session) -> Ticket:
    return session.execute(select(Ticket)).scalar_one()


def test_a_text_becomes_a_ticket_answered_with_its_code_and_link(twilio, pg_session) -> None:
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params(VI_REPORT)))
    ticket = only_ticket(pg_session)
    assert (ticket.channel, ticket.language, ticket.reporter_phone) == ("sms", "vi", CALLER)
    assert ticket.description == VI_REPORT
    assert len(replies) == 1
    assert codes.display(ticket.code) in replies[0]
    assert f"http://testserver/status/{ticket.code}?lang=vi" in replies[0]
    assert "Mã tra cứu" in replies[0]  # answered in Vietnamese
    queued = [row.task for row in pg_session.execute(select(outbox.OutboxMessage)).scalars()]
    assert queued == ["tickets.process"]


def test_an_english_text_is_answered_in_english(twilio, pg_session) -> None:
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params(EN_REPORT)))
    assert only_ticket(pg_session).language == "en"
    assert replies[0].startswith("Hotline 1022: we received your report.")


def test_unaccented_vietnamese_is_recognised_as_vietnamese() -> None:
    assert sms.detect_language("den duong o hem 42 bi hu roi") == "vi"
    assert sms.detect_language("the light in my street is broken") == "en"
    assert sms.detect_language("Cây đổ") == "vi"


def test_twilio_retries_make_one_ticket_and_the_same_single_reply(twilio, pg_session) -> None:
    params = sms_params(VI_REPORT)
    with caught_twilio() as caught:
        answers = [messages(signed_post(twilio, "/twilio/sms", params)) for _ in range(3)]
        assert len(caught.calls) == 0  # the reply is the TwiML answer, never a REST send
    assert answers[0] == answers[1] == answers[2] and len(answers[0]) == 1
    assert count(pg_session, Ticket) == 1
    assert count(pg_session, InboundMessage) == 1
    assert count(pg_session, OutboundMessage) == 0


@pytest.mark.parametrize(("command", "phrase"), [("STATUS", "Received"), ("tt", "Đã tiếp nhận")])
def test_status_with_a_valid_code_answers_the_state(twilio, pg_session, command, phrase) -> None:
    ticket = factories.ticket(pg_session, language="vi")
    typed = codes.display(ticket.code).lower()
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params(f"{command} {typed}")))
    assert replies and codes.display(ticket.code) in replies[0]
    assert phrase in replies[0]
    assert count(pg_session, Ticket) == 1  # a command files nothing


def test_status_follows_the_ticket_through_its_states(twilio, pg_session) -> None:
    ticket = factories.routed_ticket(pg_session)
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params(f"STATUS {ticket.code}")))
    assert "Sent to the responsible agency" in replies[0]


def test_status_with_an_unknown_code_says_so(twilio, pg_session) -> None:
    unknown = codes.new_code()
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params(f"STATUS {unknown}")))
    assert replies == ["Hotline 1022: No report has this tracking code."]


def test_status_with_a_mistyped_code_names_the_mistake(twilio, pg_session) -> None:
    ticket = factories.ticket(pg_session)
    body = ticket.code[:7] + next(c for c in codes.ALPHABET if c != ticket.code[7])
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params(f"STATUS {body}")))
    assert "typing mistake" in replies[0]
    short = messages(signed_post(twilio, "/twilio/sms", sms_params("TT ACD3")))
    assert "8 ký tự" in short[0]


def test_help_explains_the_service_in_the_language_of_the_keyword(twilio) -> None:
    english = messages(signed_post(twilio, "/twilio/sms", sms_params("help")))
    vietnamese = messages(signed_post(twilio, "/twilio/sms", sms_params("HD")))
    assert "STATUS <code>" in english[0] and "STOP" in english[0]
    assert "TT <mã>" in vietnamese[0] and "HUY" in vietnamese[0]


def test_stop_opts_out_with_an_empty_answer_and_start_opts_back_in(twilio, pg_session) -> None:
    assert messages(signed_post(twilio, "/twilio/sms", sms_params("Stop"))) == []
    assert pg_session.get(OptOut, CALLER) is not None
    again = messages(signed_post(twilio, "/twilio/sms", sms_params("START")))
    assert pg_session.get(OptOut, CALLER) is None
    assert again and "again" in again[0]


def test_vietnamese_stop_word_opts_out(twilio, pg_session) -> None:
    assert messages(signed_post(twilio, "/twilio/sms", sms_params("Hủy"))) == []
    assert pg_session.get(OptOut, CALLER) is not None


def test_after_stop_a_resolution_sends_no_sms(twilio, pg_session) -> None:
    signed_post(twilio, "/twilio/sms", sms_params(VI_REPORT))
    signed_post(twilio, "/twilio/sms", sms_params("STOP"))
    ticket = only_ticket(pg_session)
    queued = notify_service.message_resident(
        session=pg_session, ticket=ticket, kind="resolved", values={"resolution": "Đã sửa."}
    )
    assert queued is not None
    with caught_twilio() as caught:
        caught.add(responses.POST, MESSAGES_URL, json={"sid": "SMshouldnotbesent"}, status=201)
        status = notify_service.deliver(
            session=pg_session, message_id=queued.id, settings=twilio_settings()
        )
        assert len(caught.calls) == 0
    assert status == MessageStatus.suppressed


def test_a_text_after_stop_is_filed_but_not_answered(twilio, pg_session) -> None:
    signed_post(twilio, "/twilio/sms", sms_params("STOP"))
    assert messages(signed_post(twilio, "/twilio/sms", sms_params(VI_REPORT))) == []
    assert count(pg_session, Ticket) == 1


def test_a_text_answering_a_question_is_added_to_the_waiting_ticket(twilio, pg_session) -> None:
    ticket = factories.routed_ticket(pg_session, reporter_phone=CALLER)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=factories.STAFF)
    workflow.request_information(
        session=pg_session, ticket=ticket, question="Which house?", actor=factories.STAFF
    )
    answer = "Số nhà chính xác là 42/7, cạnh tiệm tạp hóa."
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params(answer)))
    pg_session.refresh(ticket)
    assert ticket.state == TicketState.in_progress
    added = pg_session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                  TicketEvent.kind == "info_received")
    ).scalar_one()
    assert added.message == answer and added.data == {"channel": "sms"}
    assert count(pg_session, Ticket) == 1
    assert codes.display(ticket.code) in replies[0]


def test_mms_photos_become_attachments_fetched_by_a_task(twilio, pg_session) -> None:
    media_url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM1/Media/ME1"
    params = sms_params(VI_REPORT, NumMedia="2", MediaUrl0=media_url,
                        MediaContentType0="image/jpeg",
                        MediaUrl1="https://evil.example/x.jpg", MediaContentType1="image/jpeg")
    signed_post(twilio, "/twilio/sms", params)
    ticket = only_ticket(pg_session)
    attachment = pg_session.execute(select(Attachment)).scalar_one()  # not the foreign URL
    assert (attachment.ticket_id, attachment.source_url) == (ticket.id, media_url)
    assert attachment.public is False and attachment.storage_path is None
    rows = pg_session.execute(select(outbox.OutboxMessage)).scalars()
    tasks = {row.task: row.args for row in rows}
    assert tasks["intake.fetch_mms_media"] == {"attachment_id": attachment.id}

    with caught_twilio() as caught:
        caught.add(responses.GET, media_url, body=jpeg_bytes(), content_type="image/jpeg")
        result = media.fetch_attachment(
            session=pg_session, attachment_id=attachment.id, settings=twilio_settings()
        )
        assert caught.calls[0].request.headers["Authorization"].startswith("Basic ")
        again = media.fetch_attachment(
            session=pg_session, attachment_id=attachment.id, settings=twilio_settings()
        )
        assert len(caught.calls) == 1
    assert (result, again) == ("stored", "already_stored")
    # stored re-encoded, and private until staff publish it (tests/web/test_media.py)
    assert attachment.public is False and attachment.storage_path and attachment.sha256


def test_an_emergency_is_answered_with_the_emergency_numbers_and_filed(twilio, pg_session) -> None:
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params("Nhà số 5 Lê Lợi đang cháy")))
    assert "113" in replies[0] and "114" in replies[0] and "115" in replies[0]
    ticket = only_ticket(pg_session)
    assert ticket.emergency is True
    assert codes.display(ticket.code) in replies[1]


def test_an_empty_text_asks_for_a_description_and_files_nothing(twilio, pg_session) -> None:
    replies = messages(signed_post(twilio, "/twilio/sms", sms_params("   ")))
    assert replies and "tin nhắn của bạn trống" in replies[0]
    assert count(pg_session, Ticket) == 0 and count(pg_session, InboundMessage) == 1


def test_a_flood_from_one_number_is_slowed_down_politely(pg_session) -> None:
    with twilio_client(pg_session, sms_flood_per_minute=3) as client:
        answers = [
            messages(signed_post(client, "/twilio/sms", sms_params(f"{VI_REPORT} ({n})")))
            for n in range(5)
        ]
        other = messages(
            signed_post(client, "/twilio/sms", sms_params(VI_REPORT, sender="+84912345678"))
        )
    assert count(pg_session, Ticket) == 4  # three from the flood, one from another number
    assert "đợi một phút" in answers[3][0]
    assert answers[4] == []  # one notice per minute, not one per message
    assert count(pg_session, InboundMessage) == 6  # every text is kept, none silently lost
    assert other and "Mã tra cứu" in other[0]


def test_a_message_without_sid_is_refused_with_a_clear_error(twilio, pg_session) -> None:
    params = sms_params(VI_REPORT)
    params.pop("MessageSid")
    answer = signed_post(twilio, "/twilio/sms", params)
    assert answer.status_code == 422
    assert count(pg_session, Ticket) == 0


def test_a_photo_download_that_fails_is_retried_and_a_gone_one_is_not(twilio, pg_session) -> None:
    media_url = "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM2/Media/ME2"
    params = sms_params(VI_REPORT, NumMedia="1", MediaUrl0=media_url,
                        MediaContentType0="image/png")
    signed_post(twilio, "/twilio/sms", params)
    attachment = pg_session.execute(select(Attachment)).scalar_one()
    with caught_twilio() as caught:
        caught.add(responses.GET, media_url, status=503)
        caught.add(responses.GET, media_url, status=404)
        with pytest.raises(TransientError):
            media.fetch_attachment(
                session=pg_session, attachment_id=attachment.id, settings=twilio_settings()
            )
        gone = media.fetch_attachment(
            session=pg_session, attachment_id=attachment.id, settings=twilio_settings()
        )
    assert gone == "missing" and attachment.storage_path is None and attachment.public is False


def test_flood_control_is_shared_through_redis_when_it_is_configured() -> None:
    import redis

    from tests.conftest import REDIS_TEST_URL, unavailable

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        unavailable("Redis is not reachable for the flood-control test")
    settings = twilio_settings(redis_url=REDIS_TEST_URL, sms_flood_per_minute=2)
    phone = f"+8490{uuid.uuid4().int % 10**7:07d}"  # a fresh counter on every run
    verdicts = [sms.is_flooding(phone=phone, settings=settings) for _ in range(3)]
    in_memory = twilio_settings(redis_url=None, sms_flood_per_minute=2)
    assert verdicts == [False, False, True]
    assert sms.is_flooding(phone=phone, settings=in_memory) is False  # another store entirely
    keys = redis.Redis.from_url(REDIS_TEST_URL).keys("*sms*")
    assert keys and all(phone.encode() not in key for key in keys)  # never the number itself


def test_sms_and_its_retry_work_on_both_databases(session) -> None:
    params = sms_params(EN_REPORT)
    with twilio_client(session) as client:
        first = messages(signed_post(client, "/twilio/sms", params))
        retry = messages(signed_post(client, "/twilio/sms", params))
    # only this message's rows: SQLite's test isolation does not survive a route's commit
    tickets = session.execute(
        select(Ticket).join(InboundMessage, InboundMessage.ticket_id == Ticket.id)
        .where(InboundMessage.external_id == params["MessageSid"])
    ).scalars().all()
    assert first == retry and len(tickets) == 1
    assert codes.display(tickets[0].code) in first[0]
