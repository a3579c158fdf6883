"""What the public view of a ticket (`tickets.public`) promises, rule by rule.

- Every state and every step of the timeline is shown in words, in Vietnamese and in English;
  a step the view does not know is shown as "Status changed", never as its internal name.
- Staff words are public, masked; a resident's own words (an answer, a reason to reopen, the
  answer to "is it fixed?") stay private until staff publish them, and then are masked too.
- A step staff kept private is not on the timeline; an empty message is no message.
- Only published photos that were stored are shown; a voice recording never is.
- What the resident answered to "is it fixed?" is shown only once answered ("fixed" or "not
  fixed"), never "asked" or "no answer".
- Names (ward, category, agency, the procedure of a dossier complaint) in the reader's language.
- The answer to a report filed in the same request comes from what was just written: the
  same public rows only.

Expected words and names are written out from the catalog (web/translations) and the taxonomy
(routing/data), not computed.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from tests import factories
from tickets import dossiers, media, public, workflow
from tickets import service as tickets_service
from tickets.models import ActorType, Attachment, Ticket, TicketEvent

STAFF = workflow.Actor(type="staff", id=None, label="agent")

# state -> (English, Vietnamese), as a resident reads them
STATES = {
    "received": ("Received", "Đã tiếp nhận"),
    "triage": ("Being sorted by the hotline desk", "Tổng đài đang phân loại"),
    "routed": ("Sent to the responsible agency", "Đã chuyển cơ quan xử lý"),
    "acknowledged": ("Acknowledged by the agency", "Cơ quan đã tiếp nhận"),
    "in_progress": ("Being handled", "Đang xử lý"),
    "waiting_for_resident": (
        "Waiting for information from the resident", "Chờ người dân bổ sung thông tin"
    ),
    "resolved": ("Resolved", "Đã giải quyết"),
    "closed": ("Closed", "Đã đóng"),
    "rejected": ("Rejected", "Từ chối"),
}
# timeline step -> (English, Vietnamese)
STEPS = {
    "merged": (
        "Same problem as another report: followed there",
        "Trùng với một phản ánh khác: được theo dõi ở phản ánh đó",
    ),
    "unmerged": ("Followed on its own again", "Được theo dõi riêng trở lại"),
    "created": ("Report received", "Đã nhận phản ánh"),
    "sent_to_triage": ("Passed to the hotline desk for sorting", "Chuyển tổng đài viên phân loại"),
    "routed": ("Sent to the responsible agency", "Đã chuyển cơ quan xử lý"),
    "transferred": ("Transferred to another agency", "Đã chuyển cơ quan khác"),
    "state_changed": ("Status changed", "Thay đổi tình trạng"),
    "acknowledged": ("Acknowledged by the agency", "Cơ quan đã tiếp nhận"),
    "info_requested": (
        "The agency asked for more information", "Cơ quan xử lý đề nghị bổ sung thông tin"
    ),
    "info_received": ("The resident added information", "Người dân đã bổ sung thông tin"),
    "resolved": ("Resolved", "Đã giải quyết"),
    "reopened": ("Reopened by the resident", "Người dân đã mở lại"),
    "rated": ("Rated by the resident", "Người dân đã đánh giá"),
    "rejected": ("Rejected", "Từ chối"),
    "closed": ("Closed", "Đã đóng"),
    "escalated": ("Deadline passed: escalated", "Quá hạn: đã báo cáo cấp trên"),
    "scheduled": ("Scheduled by the agency", "Cơ quan đã lên lịch thực hiện"),
    "fix_confirmed": ("The resident confirmed it is fixed", "Người dân xác nhận đã sửa xong"),
    "not_fixed": (
        "The resident says it is not fixed: reopened", "Người dân báo chưa sửa xong: đã mở lại"
    ),
}


def add_event(session: Session, ticket: Ticket, kind: str, **values: Any) -> TicketEvent:
    assert ticket.id is not None
    event = TicketEvent(ticket_id=ticket.id, kind=kind, **values)
    session.add(event)
    session.flush()
    return event


def view(session: Session, ticket: Ticket, language: str = "en") -> public.PublicTicket:
    return public.public_ticket(session=session, ticket=ticket, language=language)


@pytest.mark.parametrize("state", list(STATES))
def test_every_state_is_shown_in_words_in_both_languages(pg_session: Session, state: str) -> None:
    ticket = factories.ticket(pg_session)
    ticket.state = state  # type: ignore[assignment]
    english, vietnamese = STATES[state]
    assert view(pg_session, ticket, "en").state_label == english
    assert view(pg_session, ticket, "vi").state_label == vietnamese
    assert view(pg_session, ticket).state == state


def test_every_step_is_shown_in_words_in_both_languages(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session)  # its "created" step is the first
    for kind in STEPS:
        if kind != "created":
            add_event(pg_session, ticket, kind, actor_type=ActorType.staff)
    add_event(pg_session, ticket, "something_new", actor_type=ActorType.staff)
    expected = ["created", *(k for k in STEPS if k != "created"), "something_new"]
    for language, column in (("en", 0), ("vi", 1)):
        timeline = view(pg_session, ticket, language).timeline
        assert [e.kind for e in timeline] == expected
        labels = [e.label for e in timeline]
        assert labels[:-1] == [STEPS[k][column] for k in expected[:-1]], language
        # a step the view has no words for is a change of status, in the reader's language
        assert labels[-1] == ("Status changed", "Thay đổi tình trạng")[column]


def test_each_step_shows_the_state_it_led_to(pg_session: Session) -> None:
    ticket = factories.routed_ticket(pg_session)
    workflow.acknowledge(session=pg_session, ticket=ticket, actor=STAFF)
    timeline = view(pg_session, ticket).timeline
    assert [(e.kind, e.state) for e in timeline] == [
        ("created", "received"), ("sent_to_triage", "triage"), ("routed", "routed"),
        ("acknowledged", "acknowledged"),
    ]
    assert all(e.at is not None for e in timeline)


def test_whose_words_are_public(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session)
    add_event(pg_session, ticket, "info_requested", actor_type=ActorType.staff,
              message="Gọi 0903 123 456 giúp tôi.")
    add_event(pg_session, ticket, "info_received", actor_type=ActorType.resident,
              message="Nhà số 12, gọi 0903 123 456.")
    add_event(pg_session, ticket, "reopened", actor_type=ActorType.resident,
              message="Lại bể, mail lan@example.vn.", data={"published": True})
    add_event(pg_session, ticket, "fix_confirmed", actor_type=ActorType.system,
              message="Đã sửa, cảm ơn.")
    add_event(pg_session, ticket, "not_fixed", actor_type=ActorType.system,
              message="Chưa sửa, gọi 0903 123 456.", data={"published": True})
    add_event(pg_session, ticket, "resolved", actor_type=ActorType.staff, message="")
    add_event(pg_session, ticket, "escalated", actor_type=ActorType.system, message="Internal.",
              public=False)
    messages = [(e.kind, e.message) for e in view(pg_session, ticket).timeline]
    assert messages == [
        ("created", None),
        # staff words: public, masked
        ("info_requested", "Gọi [phone hidden] giúp tôi."),
        # a resident's answer: private until published
        ("info_received", None),
        # published by staff: shown, masked
        ("reopened", "Lại bể, mail [email hidden]."),
        # the answer to "is it fixed?" is the resident's, whoever recorded it
        ("fix_confirmed", None),
        ("not_fixed", "Chưa sửa, gọi [phone hidden]."),
        # an empty message is no message
        ("resolved", None),
        # the private step is not on the timeline at all
    ]


def test_only_published_stored_photos_are_shown(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session)
    assert ticket.id is not None

    def attach(**values: Any) -> Attachment:
        row = Attachment(ticket_id=ticket.id, content_type="image/jpeg", **values)
        pg_session.add(row)
        pg_session.flush()
        return row

    shown = attach(kind="photo", storage_path="a.jpg", public=True)
    attach(kind="photo", storage_path="b.jpg", public=False)  # not published
    attach(kind="photo", storage_path=None, public=True)  # never stored (a failed fetch)
    attach(kind="recording", storage_path="c.ogg", public=True)  # a voice: never public
    assert shown.id is not None
    assert view(pg_session, ticket).photos == [media.url(shown.id)]
    assert media.url(shown.id).startswith("/media/")


@pytest.mark.parametrize(
    ("answer", "shown"),
    [(None, None), ("asked", None), ("no_answer", None), ("fixed", "fixed"),
     ("not_fixed", "not_fixed")],
)
def test_the_fix_answer_is_shown_once_answered(
    pg_session: Session, answer: str | None, shown: str | None
) -> None:
    ticket = factories.ticket(pg_session)
    ticket.fix_answer = answer  # type: ignore[assignment]
    assert view(pg_session, ticket).fix_answer == shown


def test_names_are_in_the_readers_language(pg_session: Session) -> None:
    ticket = factories.routed_ticket(pg_session, category_id="roads", area_id="26743")
    english, vietnamese = view(pg_session, ticket, "en"), view(pg_session, ticket, "vi")
    assert (english.category, vietnamese.category) == (
        "Roads, bridges & sidewalks", "Đường sá, cầu, vỉa hè"
    )
    assert (english.agency, vietnamese.agency) == (
        "Department of Transport", "Sở Giao thông Vận tải"
    )
    assert (english.category_id, english.agency_id) == ("roads", "transport")
    assert vietnamese.area == "Phường Bến Thành"
    assert english.area and "Ben Thanh" in english.area
    assert english.procedure is None  # not a complaint about a procedure


def test_a_ticket_not_yet_sorted_names_nothing(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, area_id=None)
    shown = view(pg_session, ticket)
    assert (shown.area, shown.category, shown.agency, shown.procedure) == (None, None, None, None)


def test_a_dossier_complaint_names_its_procedure_never_the_dossier(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session)
    dossiers.attach(
        session=pg_session, ticket=ticket,
        dossier=dossiers.Dossier(procedure_id="birth_registration", dossier_code="HS-000123",
                                 submitted_on=None, submitted_via="in_person", problem="late"),
    )
    assert view(pg_session, ticket, "en").procedure == "Birth registration"
    assert view(pg_session, ticket, "vi").procedure == "Đăng ký khai sinh"
    assert "HS-000123" not in str(view(pg_session, ticket).as_json())


def test_texts_are_masked_and_an_empty_resolution_is_none(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session, description="Ổ gà, gọi 0903 123 456.")
    shown = view(pg_session, ticket)
    assert shown.description == "Ổ gà, gọi [phone hidden]."
    assert shown.resolution is None
    assert shown.code == ticket.code
    assert shown.display_code != "" and shown.display_code.replace("-", "") == ticket.code.replace(
        "-", ""
    )
    ticket.resolution = "Đã vá; hỏi lan@example.vn."
    assert view(pg_session, ticket).resolution == "Đã vá; hỏi [email hidden]."


def test_the_json_form_carries_the_timeline_as_plain_objects(pg_session: Session) -> None:
    ticket = factories.ticket(pg_session)
    data = view(pg_session, ticket).as_json()
    assert data["code"] == ticket.code and data["state"] == "received"
    assert data["timeline"] == [
        {"at": data["timeline"][0]["at"], "kind": "created", "label": "Report received",
         "state": "received", "message": None}
    ]
    assert "reporter_phone" not in data and "reporter_name" not in data


def test_a_report_just_filed_is_answered_from_what_was_written(pg_session: Session) -> None:
    ticket = workflow.file(
        session=pg_session,
        report=factories.report(description="Đèn đường hỏng"),
        attachments=[tickets_service.NewAttachment(content_type="image/jpeg", size_bytes=10,
                                                   storage_path="x.jpg")],
    )
    shown = public.public_ticket(session=pg_session, ticket=ticket, language="en",
                                 just_filed=True)
    # the created step; the photo is private until staff publish it
    assert [(e.kind, e.label) for e in shown.timeline] == [("created", "Report received")]
    assert shown.photos == []
    # the same answer as a later read
    later = view(pg_session, ticket)
    assert [e.kind for e in later.timeline] == ["created"] and later.photos == []


def test_the_dates_and_the_outcome_residents_are_promised_are_shown(pg_session: Session) -> None:
    from datetime import UTC, date, datetime

    ticket = factories.ticket(pg_session, emergency=True, channel="sms")
    ack_due, resolve_due = datetime(2027, 1, 4, 3, tzinfo=UTC), datetime(2027, 1, 8, 10, tzinfo=UTC)
    resolved_at = datetime(2027, 1, 7, 9, 30, tzinfo=UTC)
    ticket.ack_due_at, ticket.resolve_due_at, ticket.resolved_at = ack_due, resolve_due, resolved_at
    ticket.outcome = "scheduled"
    ticket.scheduled_for = date(2027, 1, 12)
    shown = view(pg_session, ticket)
    assert (shown.acknowledge_due_at, shown.resolve_due_at, shown.resolved_at) == (
        ack_due, resolve_due, resolved_at
    )
    assert (shown.outcome, shown.scheduled_for) == ("scheduled", date(2027, 1, 12))
    assert (shown.emergency, shown.channel) == (True, "sms")
    assert shown.created_at == ticket.created_at and shown.updated_at == ticket.updated_at
