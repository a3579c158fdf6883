"""Zalo OA in: signed webhooks, one report from a conversation, retries, commands, refusals."""

from __future__ import annotations

import json

import pytest
import responses
from sqlalchemy import select

from core.outbox import OutboxMessage
from intake import zalo_conversation
from intake.zalo_models import ZaloDraft
from notify.models import MessageStatus, OutboundMessage
from notify.zalo_models import ZaloContact, ZaloTicket
from routing.models import Area
from tests import factories
from tests.intake.helpers import count, jpeg_bytes
from tests.intake.zalo_helpers import (
    CS_URL,
    PHOTO_URL,
    USER,
    caught_zalo,
    clock_moved,
    cs_ok,
    event,
    image_event,
    location_event,
    now_ms,
    post,
    run_tasks,
    sent_texts,
    sign,
    text_event,
    zalo_client,
    zalo_settings,
)
from tickets import codes
from tickets.models import Attachment, InboundMessage, Ticket

VI_REPORT = "Đèn đường hẻm 42 Lý Tự Trọng tắt cả tuần nay, tối rất nguy hiểm."
EN_REPORT = "The street light in alley 42 Ly Tu Trong has been off all week."
PIN = (10.7769, 106.7009)


@pytest.fixture
def zalo(pg_session):
    with zalo_client(pg_session) as client:
        yield client


@pytest.fixture
def settings():
    return zalo_settings()


def only_ticket(session) -> Ticket:
    return session.execute(select(Ticket)).scalar_one()


def zalo_messages(session) -> list[OutboundMessage]:
    return list(session.execute(
        select(OutboundMessage).where(OutboundMessage.channel == "zalo")
        .order_by(OutboundMessage.id)).scalars())


def test_a_text_a_pin_and_a_photo_become_one_report_with_a_place_and_a_photo(
    zalo, pg_session, settings
) -> None:
    for body in (text_event(VI_REPORT), location_event(*PIN), image_event()):
        answer = post(zalo, body)
        assert answer.status_code == 200, answer.text
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json=cs_ok("m-ask"))
        run_tasks(pg_session, settings)
        asked = sent_texts(caught)
    assert count(pg_session, Ticket) == 0  # still being written: the resident may add more
    assert len(asked) == 1 and asked[0]["recipient"] == {"user_id": USER}
    assert "Bạn có muốn gửi ảnh hoặc vị trí không?" in asked[0]["message"]["text"]

    with clock_moved(301), caught_zalo() as caught:  # the quiet interval has passed
        caught.add(responses.POST, CS_URL, json=cs_ok("m-receipt"))
        caught.add(responses.GET, PHOTO_URL, body=jpeg_bytes(), content_type="image/jpeg")
        run_tasks(pg_session, settings)
        receipts = sent_texts(caught)
    ticket = only_ticket(pg_session)
    assert (ticket.channel, ticket.language, ticket.description) == ("zalo", "vi", VI_REPORT)
    assert (ticket.latitude, ticket.longitude) == PIN
    ward = pg_session.get(Area, ticket.area_id)  # the ward whose centre is nearest the pin
    assert ward is not None and ward.name_vi == "Phường Sài Gòn"
    photo = pg_session.execute(select(Attachment)).scalar_one()
    assert photo.ticket_id == ticket.id and photo.source_url == PHOTO_URL
    assert photo.storage_path and photo.sha256 and photo.public is False  # private by default
    assert len(receipts) == 1
    assert codes.display(ticket.code) in receipts[0]["message"]["text"]
    assert f"http://testserver/status/{ticket.code}?lang=vi" in receipts[0]["message"]["text"]
    inbound = pg_session.execute(select(InboundMessage)).scalars().all()
    assert len(inbound) == 3 and {row.ticket_id for row in inbound} == {ticket.id}
    assert pg_session.get(ZaloTicket, ticket.id) is not None  # followed on Zalo
    assert USER not in (ticket.reporter_phone or "") + ticket.description


def test_xong_files_the_report_at_once(zalo, pg_session, settings) -> None:
    post(zalo, text_event(EN_REPORT))
    post(zalo, text_event("done"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    ticket = only_ticket(pg_session)
    assert ticket.language == "en" and ticket.description == EN_REPORT
    bodies = [m.body for m in zalo_messages(pg_session)]
    assert bodies[0].startswith("Hotline 1022: thank you. Do you want to send a photo")
    assert codes.display(ticket.code) in bodies[1]
    draft_task = run_tasks(pg_session, settings, only={"intake.zalo_file_draft"})
    assert draft_task == []  # not due yet; and when it is, the draft is already filed
    with clock_moved(301):
        assert run_tasks(pg_session, settings, only={"intake.zalo_file_draft"}) == [
            ("intake.zalo_file_draft", "already_filed")]
    assert count(pg_session, Ticket) == 1


def test_a_later_message_delays_the_filing(zalo, pg_session, settings) -> None:
    post(zalo, text_event(VI_REPORT))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    with clock_moved(200):
        post(zalo, text_event("Ngay trước cổng trường tiểu học.", ))
        run_tasks(pg_session, settings, only={"intake.zalo_event"})
    with clock_moved(310):  # 310 s after the first text, 110 s after the second
        results = run_tasks(pg_session, settings, only={"intake.zalo_file_draft"})
    assert results == [("intake.zalo_file_draft", "not_quiet_yet")]
    assert count(pg_session, Ticket) == 0
    with clock_moved(520):
        run_tasks(pg_session, settings, only={"intake.zalo_file_draft"})
    assert only_ticket(pg_session).description == VI_REPORT + "\nNgay trước cổng trường tiểu học."


def test_the_same_event_delivered_twice_files_once(zalo, pg_session, settings) -> None:
    body = text_event(VI_REPORT)
    first, again = post(zalo, body), post(zalo, body)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"status": "duplicate"}
    assert count(pg_session, InboundMessage) == 1
    done = post(zalo, text_event("xong"))
    done_again = post(zalo, json.loads(done.request.content))
    assert done_again.json() == {"status": "duplicate"}
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    assert count(pg_session, Ticket) == 1
    assert len(zalo_messages(pg_session)) == 2  # the question and the receipt, once each


def test_handling_an_event_twice_does_nothing_more(zalo, pg_session, settings) -> None:
    post(zalo, text_event(VI_REPORT))
    row = pg_session.execute(select(InboundMessage)).scalar_one()
    first = zalo_conversation.handle_event(session=pg_session, inbound_id=row.id,
                                           settings=settings)
    second = zalo_conversation.handle_event(session=pg_session, inbound_id=row.id,
                                            settings=settings)
    assert (first, second) == ("draft", "already_handled")
    assert count(pg_session, ZaloDraft) == 1 and len(zalo_messages(pg_session)) == 1


@pytest.mark.parametrize(
    ("case", "status"),
    [("missing", 401), ("wrong", 403), ("other_secret", 403), ("other_app", 403),
     ("stale", 403), ("future", 403), ("tampered", 403), ("not_json", 403)],
)
def test_unsigned_wrongly_signed_or_stale_events_are_refused_and_nothing_is_written(
    zalo, pg_session, case, status
) -> None:
    body = text_event(VI_REPORT)
    raw = json.dumps(body, ensure_ascii=False).encode()
    if case == "missing":
        answer = post(zalo, body, signature="")
    elif case == "wrong":
        answer = post(zalo, body, signature="mac=" + "0" * 64)
    elif case == "other_secret":
        answer = post(zalo, body, secret="not-the-oa-secret")
    elif case == "other_app":
        answer = post(zalo, body, signature=sign(raw, body["timestamp"], app_id="42"))
    elif case in ("stale", "future"):
        body = text_event(VI_REPORT, timestamp=now_ms(-3600 if case == "stale" else 3600))
        answer = post(zalo, body)  # signed correctly, but outside the replay window
    elif case == "tampered":
        signature = sign(raw, body["timestamp"])
        tampered = raw.replace(b"42", b"24")
        answer = post(zalo, body, signature=signature, body=tampered)
    else:
        answer = post(zalo, body, body=b"\xff\xfe not json", signature="mac=00")
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] in ("unauthorized", "forbidden")
    assert count(pg_session, InboundMessage) == 0
    assert count(pg_session, OutboxMessage) == 0


def test_the_channel_is_off_and_the_webhook_answers_404_without_settings(pg_session) -> None:
    from tests.conftest import make_client

    with make_client(pg_session) as client:
        answer = post(client, text_event(VI_REPORT))
    assert answer.status_code == 404
    assert count(pg_session, InboundMessage) == 0


@pytest.mark.parametrize(("command", "phrase"), [("TT", "Đã tiếp nhận"), ("status", "Received")])
def test_a_status_command_answers_in_the_residents_language(
    zalo, pg_session, settings, command, phrase
) -> None:
    ticket = factories.ticket(pg_session)
    post(zalo, text_event(f"{command} {codes.display(ticket.code).lower()}"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    [reply] = zalo_messages(pg_session)
    assert codes.display(ticket.code) in reply.body and phrase in reply.body
    assert reply.language == ("vi" if command == "TT" else "en")
    assert count(pg_session, Ticket) == 1 and count(pg_session, ZaloDraft) == 0


def test_help_is_answered_in_the_language_of_the_keyword(zalo, pg_session, settings) -> None:
    post(zalo, text_event("HD"))
    post(zalo, text_event("help"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    vietnamese, english = (m.body for m in zalo_messages(pg_session))
    assert "TT <mã>" in vietnamese and "STATUS <code>" in english


def test_an_emergency_is_answered_first_and_filed_at_once(zalo, pg_session, settings) -> None:
    post(zalo, text_event("Nhà số 5 Lê Lợi đang cháy lớn"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    ticket = only_ticket(pg_session)
    advice, receipt = (m.body for m in zalo_messages(pg_session))
    assert "113" in advice and "114" in advice and "115" in advice
    assert ticket.emergency is True and codes.display(ticket.code) in receipt


def test_hostile_text_is_cleaned_at_the_door_and_huge_bodies_refused(
    zalo, pg_session, settings
) -> None:
    nasty = "Ống nước\u0000 vỡ \ud800 trước nhà" + "x" * 9000
    raw = json.dumps(text_event(nasty)).encode()  # \u0000 and \ud800 as JSON escapes
    body = json.loads(raw)
    assert post(zalo, body, body=raw).status_code == 200
    stored = pg_session.execute(select(InboundMessage)).scalar_one()
    text = stored.payload["event"]["message"]["text"]
    assert "\x00" not in text and "\ud800" not in text and len(text) <= 5000
    huge = text_event("a" * 70_000)
    assert post(zalo, huge).status_code == 413
    assert count(pg_session, InboundMessage) == 1
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    assert only_ticket(pg_session).description.startswith("Ống nước vỡ  trước nhà")


def test_odd_events_are_kept_but_do_nothing(zalo, pg_session, settings) -> None:
    odd = event("user_send_sticker", {"msg_id": "s1", "attachments": "not a list"})
    anonymous = text_event(VI_REPORT, user="not a valid id!")
    assert post(zalo, odd).status_code == 200 and post(zalo, anonymous).status_code == 200
    results = run_tasks(pg_session, settings, only={"intake.zalo_event"})
    assert sorted(result for _, result in results) == ["ignored", "no_sender"]
    assert count(pg_session, Ticket) == 0 and zalo_messages(pg_session) == []


def test_a_photo_after_filing_joins_the_open_report(zalo, pg_session, settings) -> None:
    post(zalo, text_event(VI_REPORT))
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    post(zalo, image_event())
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    ticket = only_ticket(pg_session)
    photo = pg_session.execute(select(Attachment)).scalar_one()
    assert photo.ticket_id == ticket.id and photo.public is False
    assert "ảnh của bạn đã được thêm" in zalo_messages(pg_session)[-1].body


def test_follow_is_greeted_and_unfollow_stops_messages(zalo, pg_session, settings) -> None:
    post(zalo, event("follow"))
    post(zalo, text_event(VI_REPORT))
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    greeting = zalo_messages(pg_session)[0]
    assert "quan tâm" in greeting.body
    post(zalo, event("unfollow"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    contact = pg_session.execute(select(ZaloContact)).scalar_one()
    assert contact.opted_out is True
    with caught_zalo() as caught:
        run_tasks(pg_session, settings, only={"notify.send"})
        assert len(caught.calls) == 0  # nothing goes to a resident who unfollowed
    assert {m.status for m in zalo_messages(pg_session)} == {MessageStatus.suppressed}


def test_photos_from_other_hosts_are_never_fetched(zalo, pg_session, settings) -> None:
    post(zalo, text_event(VI_REPORT))
    post(zalo, image_event("https://evil.example/inside.jpg"))
    post(zalo, text_event("xong"))
    with caught_zalo() as caught:
        results = run_tasks(pg_session, settings, only={"intake.zalo_event",
                                                        "intake.fetch_zalo_photo"})
        assert len(caught.calls) == 0
    assert ("intake.fetch_zalo_photo", "not_zalo_media") in results


def test_a_pin_far_outside_the_city_gives_no_ward(zalo, pg_session, settings) -> None:
    post(zalo, text_event(VI_REPORT))
    post(zalo, location_event(21.0285, 105.8542))  # Hà Nội
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    ticket = only_ticket(pg_session)
    assert (ticket.latitude, ticket.area_id) == (21.0285, None)


def test_writing_again_after_unfollow_is_answered(zalo, pg_session, settings) -> None:
    post(zalo, event("unfollow"))
    post(zalo, text_event("HD"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    contact = pg_session.execute(select(ZaloContact)).scalar_one()
    assert (contact.following, contact.opted_out) == (False, False)
    with caught_zalo() as caught:
        caught.add(responses.POST, CS_URL, json=cs_ok())
        run_tasks(pg_session, settings, only={"notify.send"})
        assert len(sent_texts(caught)) == 1


def test_a_photo_the_agency_waited_for_resumes_its_clock(zalo, pg_session, settings) -> None:
    from tickets import workflow
    from tickets.models import ActorType, TicketEvent
    from tickets.service import Actor

    post(zalo, text_event(VI_REPORT))
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    ticket = only_ticket(pg_session)
    staff = Actor(type=ActorType.staff, label="agent")
    workflow.route(session=pg_session, ticket=ticket, agency_id="transport",
                   category_id="roads", actor=staff)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=staff)
    workflow.request_information(session=pg_session, ticket=ticket,
                                 question="Gửi giúp ảnh cột đèn.", actor=staff)
    post(zalo, image_event())
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    pg_session.refresh(ticket)
    assert ticket.state == "in_progress" and ticket.paused_at is None
    answer = pg_session.execute(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "info_received")).scalar_one()
    assert answer.message == "(ảnh gửi qua Zalo)" and answer.data == {"channel": "zalo"}
    assert pg_session.execute(select(Attachment)).scalar_one().ticket_id == ticket.id


def test_a_resident_who_keeps_typing_cannot_grow_the_draft_without_bound(
    zalo, pg_session, settings
) -> None:
    for n in range(4):
        post(zalo, text_event(f"{n} " + "ổ gà " * 600))  # 3,000 characters each
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    draft = pg_session.execute(select(ZaloDraft)).scalar_one()
    assert sum(len(text) + 1 for text in draft.texts) <= settings.max_description_chars + 1
    assert count(pg_session, InboundMessage) == 4  # every message is still kept as received
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    assert len(only_ticket(pg_session).description) <= settings.max_description_chars
