"""A Zalo conversation: texts, a location pin and photos gathered into one report.

The first text opens a draft and is answered with "do you want to send a photo or your
location?"; what follows (more text, the pin, photos) joins the draft. The draft is filed when
the resident sends XONG / DONE, or by a delayed task once they have been quiet for
ZALO_QUIET_SECONDS; the answer carries the tracking code and the status link. An emergency is
answered at once with 113 / 114 / 115 and filed without waiting. Commands (TT / STATUS <code>,
HD / HELP) are answered and file nothing. Replies go out as Zalo messages through notify.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core import outbox
from core.clock import as_utc, utcnow
from core.errors import Conflict
from core.i18n import gettext
from core.settings import Settings
from intake import dossier_reply, emergency, filing, sms
from intake.zalo import ZaloEvent, parse
from intake.zalo_models import DraftState, ZaloDraft
from notify import service as notify_service
from notify import zalo as zalo_notify
from notify.models import MessageStatus, OutboundMessage
from notify.zalo_models import ZaloContact
from places import service as places_service
from routing.models import Area
from routing.taxonomy import PROCEDURE_CATEGORY
from tickets import codes, links, workflow
from tickets import service as tickets_service
from tickets.lifecycle import OPEN_STATES
from tickets.models import Channel, FixAnswer, InboundMessage, Ticket, TicketState

log = logging.getLogger(__name__)

FILE_DRAFT_TASK = "intake.zalo_file_draft"
FETCH_PHOTO_TASK = "intake.fetch_zalo_photo"
MAX_PHOTOS = 10
MAX_DRAFT_MESSAGES = 200  # inbound rows linked to the report when it is filed
DONE_WORDS = {"XONG", "DONE", "HET", "GUI", "GUI DI", "HOAN TAT", "DU ROI", "FINISH", "SEND"}
MAX_WARD_DISTANCE_KM = 15.0  # ward centres are a few km apart; farther means another province
USER_EVENTS = {"user_send_text", "user_send_image", "user_send_location"}


@dataclass
class Outcome:
    handled_as: str
    ticket_id: int | None = None
    replies: list[str] = field(default_factory=list)


# --- the event task --------------------------------------------------------------------------


def handle_event(*, session: Session, inbound_id: int, settings: Settings) -> str:
    """Act on one stored event, once: the InboundMessage records how it was handled."""
    row = session.get(InboundMessage, inbound_id)
    if row is None:
        raise LookupError(f"inbound message {inbound_id} does not exist")
    if row.payload.get("handled_as") != "queued":
        return "already_handled"
    event = parse(row.payload.get("event") or {})
    contact = _contact(session, event) if event.user_id else None
    if contact is None:
        outcome = Outcome("no_sender")
    else:
        outcome = _dispatch(session=session, event=event, contact=contact, row=row,
                            settings=settings)
        for index, text in enumerate(outcome.replies):
            zalo_notify.queue_message(
                session=session, contact=contact, body=text, kind="zalo_reply",
                language=contact.language, ticket_id=outcome.ticket_id,
                dedupe_key=f"zalo-reply-{inbound_id}-{index}",
            )
    row.payload = {**row.payload, "handled_as": outcome.handled_as}
    row.ticket_id = row.ticket_id or outcome.ticket_id
    session.add(row)
    session.flush()
    return outcome.handled_as


def _contact(session: Session, event: ZaloEvent) -> ZaloContact:
    """The sender's contact, locked so that one resident's events are handled one at a time."""
    assert event.user_id is not None
    try:
        with session.begin_nested():
            contact = zalo_notify.contact_for(session=session, user_id=event.user_id)
    except IntegrityError:  # created concurrently by the handling of another event
        contact = zalo_notify.contact_for(session=session, user_id=event.user_id)
    assert contact.id is not None
    _lock_contact(session, contact.id)
    return contact


def _lock_contact(session: Session, contact_id: int) -> None:
    """One resident's events and quiet-draft filings are handled one at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(col(ZaloContact.id)).where(col(ZaloContact.id) == contact_id).with_for_update()
        )


def _dispatch(
    *, session: Session, event: ZaloEvent, contact: ZaloContact, row: InboundMessage,
    settings: Settings,
) -> Outcome:
    if event.name in USER_EVENTS:
        contact.last_inbound_at = utcnow()  # a new customer-service window opens
        contact.opted_out = False  # writing to the OA asks for an answer, even after unfollow
        if event.text:
            contact.language = sms.detect_language(event.text, default=contact.language)
        session.add(contact)
        zalo_notify.release_held(session=session, contact=contact)
    if event.name == "follow":
        contact.following, contact.opted_out = True, False
        contact.last_inbound_at = utcnow()
        session.add(contact)
        return Outcome("follow", replies=[greeting(contact.language)])
    if event.name == "unfollow":
        contact.following, contact.opted_out = False, True
        session.add(contact)
        return Outcome("unfollow")  # nothing more is sent until they follow again
    if event.name in ("user_received_message", "user_seen_message"):
        return Outcome(record_receipt(session=session, msg_ids=event.msg_ids))
    if event.name == "user_send_text":
        return _text(session=session, event=event, contact=contact, row=row, settings=settings)
    if event.name == "user_send_image":
        return _extra(session=session, event=event, contact=contact, row=row, settings=settings)
    if event.name == "user_send_location":
        return _extra(session=session, event=event, contact=contact, row=row, settings=settings)
    return Outcome("ignored")


# --- texts -----------------------------------------------------------------------------------


def _text(
    *, session: Session, event: ZaloEvent, contact: ZaloContact, row: InboundMessage,
    settings: Settings,
) -> Outcome:
    text = event.text[: settings.max_description_chars]
    language = contact.language
    form = sms.keyword_form(text)
    if form in sms.HELP_WORDS:
        contact.language = sms.HELP_WORDS[form]
        return Outcome("help", replies=[help_text(contact.language)])
    status = sms.parse_status_command(text)
    if status is not None:
        contact.language = status[0]
        answer = sms.status_text(session=session, language=status[0], typed=status[1],
                                 settings=settings)
        return Outcome("status", replies=[answer])
    answered = _fix_answer(session=session, contact=contact, text=text, form=form)
    if answered is not None:
        return answered
    dossier_code = dossier_reply.parse(text)
    if dossier_code is not None:  # the answer to "what is the dossier code?"
        ticket = _open_procedure_ticket(session, contact)
        return Outcome("dossier_code", ticket_id=ticket.id if ticket else None, replies=[
            dossier_reply.attach(session=session, ticket=ticket, code=dossier_code,
                                 language=language, channel=Channel.zalo)])
    draft = open_draft(session=session, contact=contact)
    if form in DONE_WORDS:
        if draft is None:
            return Outcome("nothing_to_file", replies=[gettext(
                language, "Hotline 1022: there is no report to send. Describe the problem and "
                          "where it is.")])
        return file_draft(session=session, draft=draft, contact=contact, settings=settings)
    if not text:
        return Outcome("empty")
    kind = emergency.detect(text)
    if draft is None and kind is None:
        waiting = _waiting_ticket(session, contact)
        if waiting is not None:  # the agency asked this resident a question
            workflow.take_answer(
                session=session, ticket=waiting, text=text, channel=Channel.zalo
            )
            return Outcome("information", ticket_id=waiting.id, replies=[gettext(
                language, "Hotline 1022: thank you, your answer was added to report %(code)s.",
                code=codes.display(waiting.code))])
    opened = draft is None
    draft = draft or _new_draft(session, contact)
    _add_text(draft, text, settings=settings)
    return _continue(session=session, draft=draft, contact=contact, row=row, opened=opened,
                     emergency_kind=kind, settings=settings)


def _extra(
    *, session: Session, event: ZaloEvent, contact: ZaloContact, row: InboundMessage,
    settings: Settings,
) -> Outcome:
    """A photo or a pin: joins the report being written, else the newest open report."""
    if not event.photos and event.coordinates is None:
        return Outcome("empty")
    kind = emergency.detect(event.text) if event.text else None
    draft = open_draft(session=session, contact=contact)
    if draft is None and not event.text:
        ticket = _open_ticket(session, contact)
        if ticket is not None:
            return _add_to_ticket(session=session, ticket=ticket, event=event,
                                  language=contact.language)
    opened = draft is None
    draft = draft or _new_draft(session, contact)
    if event.text:
        _add_text(draft, event.text, settings=settings)
    room = MAX_PHOTOS - len(draft.photos)
    if event.photos and room > 0:
        draft.photos = [*draft.photos, *({"url": url} for url in event.photos[:room])]
    if event.coordinates is not None:
        draft.latitude, draft.longitude = event.coordinates
    return _continue(session=session, draft=draft, contact=contact, row=row, opened=opened,
                     emergency_kind=kind, settings=settings)


def _continue(
    *, session: Session, draft: ZaloDraft, contact: ZaloContact, row: InboundMessage,
    opened: bool, emergency_kind: str | None, settings: Settings,
) -> Outcome:
    assert row.id is not None
    draft.inbound_ids = [*draft.inbound_ids, row.id][-MAX_DRAFT_MESSAGES:]
    draft.last_message_at = utcnow()
    session.add(draft)
    session.flush()
    if emergency_kind is not None:  # answered first and filed now, without the quiet wait
        draft.emergency = True
        filed = file_draft(session=session, draft=draft, contact=contact, settings=settings)
        filed.replies = [emergency.advice(contact.language), *filed.replies]
        return filed
    outbox.enqueue(session=session, task=FILE_DRAFT_TASK, args={"draft_id": draft.id},
                   delay_seconds=settings.zalo_quiet_seconds)
    if not opened:
        return Outcome("added_to_draft")
    minutes = max(1, round(settings.zalo_quiet_seconds / 60))
    if draft.texts:
        ask = gettext(
            contact.language,
            "Hotline 1022: thank you. Do you want to send a photo or your location? Send them "
            "now, then XONG when you are done; otherwise your report is sent in %(minutes)s "
            "minutes.", minutes=minutes)
    else:
        ask = gettext(
            contact.language,
            "Hotline 1022: thank you. Now describe the problem in a message, then send XONG "
            "when you are done; otherwise your report is sent in %(minutes)s minutes.",
            minutes=minutes)
    return Outcome("draft", replies=[ask])


def _fix_answer(
    *, session: Session, contact: ZaloContact, text: str, form: str
) -> Outcome | None:
    """An answer to "is it fixed?" (ĐÃ SỬA / CHƯA SỬA ... / DỪNG HỎI), as by SMS; else None."""
    stop = sms.STOP_QUESTION_WORDS.get(form)
    asked = _asked_ticket(session, contact)
    if stop is not None:
        ticket = asked or _contact_tickets(session, contact, None)
        if ticket is None:
            return None
        notify_service.stop_questions(session=session, ticket=ticket)
        return Outcome("stop_questions", ticket_id=ticket.id, replies=[gettext(
            stop, "Hotline 1022: we will not ask you whether your reports are fixed any more.")])
    if asked is None:
        return None
    try:
        if _starts_with(form, sms.NOT_FIXED_PREFIXES):
            workflow.report_not_fixed(session=session, ticket=asked, text=text,
                                      channel=Channel.zalo)
            return Outcome("not_fixed", ticket_id=asked.id)  # the reopening message follows
        if _starts_with(form, sms.FIXED_PREFIXES):
            workflow.confirm_fixed(session=session, ticket=asked, channel=Channel.zalo, text=text)
            return Outcome("fixed", ticket_id=asked.id)  # the thanks follow
    except Conflict:  # the answer window closed meanwhile: an ordinary message then
        return None
    return None


def _starts_with(form: str, table: dict[str, str]) -> bool:
    return any(form == prefix or form.startswith(prefix + " ") for prefix in table)


def _asked_ticket(session: Session, contact: ZaloContact) -> Ticket | None:
    ids = zalo_notify.tickets_of(session=session, contact=contact)
    if not ids:
        return None
    return session.execute(
        select(Ticket)
        .where(
            col(Ticket.id).in_(ids[:50]),
            col(Ticket.fix_answer) == FixAnswer.asked,
            col(Ticket.state).in_((TicketState.resolved, TicketState.closed)),
        )
        .order_by(col(Ticket.fix_asked_at).desc())
        .limit(1)
    ).scalar_one_or_none()


# --- drafts ----------------------------------------------------------------------------------


def open_draft(*, session: Session, contact: ZaloContact) -> ZaloDraft | None:
    return session.execute(
        select(ZaloDraft).where(
            col(ZaloDraft.contact_id) == contact.id, col(ZaloDraft.state) == DraftState.open
        )
    ).scalar_one_or_none()


def _add_text(draft: ZaloDraft, text: str, *, settings: Settings) -> None:
    """A draft holds at most one description's worth of text (the rest stays in the raw
    messages): a resident who keeps typing cannot grow a row without bound."""
    room = settings.max_description_chars - sum(len(t) + 1 for t in draft.texts)
    if room > 0 and text:
        draft.texts = [*draft.texts, text[:room]]


def _new_draft(session: Session, contact: ZaloContact) -> ZaloDraft:
    assert contact.id is not None
    draft = ZaloDraft(contact_id=contact.id, language=contact.language)
    session.add(draft)
    session.flush()
    return draft


def file_when_quiet(*, session: Session, draft_id: int, settings: Settings) -> str:
    """The delayed task: file the draft if the resident has been quiet long enough."""
    draft = session.get(ZaloDraft, draft_id)
    if draft is None:
        raise LookupError(f"Zalo draft {draft_id} does not exist")
    _lock_contact(session, draft.contact_id)  # no event of this resident is handled meanwhile
    session.refresh(draft)
    if draft.state != DraftState.open:
        return "already_filed"
    last = as_utc(draft.last_message_at) or utcnow()
    if utcnow() - last < timedelta(seconds=settings.zalo_quiet_seconds) - timedelta(seconds=1):
        return "not_quiet_yet"  # a later message queued its own, later, task
    contact = session.get(ZaloContact, draft.contact_id)
    assert contact is not None
    outcome = file_draft(session=session, draft=draft, contact=contact, settings=settings)
    for index, text in enumerate(outcome.replies):
        zalo_notify.queue_message(
            session=session, contact=contact, body=text, kind="zalo_reply",
            language=contact.language, ticket_id=outcome.ticket_id,
            dedupe_key=f"zalo-draft-{draft_id}-{index}",
        )
    return outcome.handled_as


def file_draft(
    *, session: Session, draft: ZaloDraft, contact: ZaloContact, settings: Settings
) -> Outcome:
    """One ticket from everything the draft gathered; answered with its code and link."""
    language = draft.language = contact.language
    if not draft.texts and not draft.photos:
        draft.state, draft.filed_at = DraftState.filed, utcnow()
        session.add(draft)
        return Outcome("draft_without_report", replies=[gettext(
            language, "Hotline 1022: describe the problem and where it is in a message, and "
                      "we will file your report.")])
    description = "\n".join(draft.texts)[: settings.max_description_chars] or gettext(
        language, "(photo sent on Zalo)")
    report = tickets_service.NewReport(
        description=description,
        channel=Channel.zalo,
        language=language,
        area_id=ward_of_pin(session=session, latitude=draft.latitude, longitude=draft.longitude),
        latitude=draft.latitude,
        longitude=draft.longitude,
        emergency=draft.emergency,
    )
    ticket = filing.file_report(session=session, report=report).ticket
    assert ticket.id is not None
    zalo_notify.follow_ticket(session=session, ticket_id=ticket.id, contact=contact)
    for inbound_id in draft.inbound_ids:
        inbound = session.get(InboundMessage, inbound_id)
        if inbound is not None and inbound.ticket_id is None:
            inbound.ticket_id = ticket.id
            session.add(inbound)
    attach_photos(session=session, ticket=ticket, urls=[p["url"] for p in draft.photos])
    draft.state, draft.ticket_id, draft.filed_at = DraftState.filed, ticket.id, utcnow()
    session.add(draft)
    session.flush()
    receipt = gettext(
        language,
        "Hotline 1022: we received your report. Tracking code %(code)s. Follow it: %(link)s",
        code=codes.display(ticket.code),
        link=links.status_url(ticket.code, settings=settings, lang=language),
    )
    return Outcome("report", ticket_id=ticket.id, replies=[receipt])


def ward_of_pin(*, session: Session, latitude: float | None, longitude: float | None) -> str | None:
    """The ward whose centre is nearest to the pin, if the pin is within the city's reach."""
    if latitude is None or longitude is None:
        return None
    try:
        ward = places_service.nearest_ward(lat=latitude, lon=longitude)
    except Exception:  # the place lookup must never stop a report from being filed
        log.exception("nearest ward lookup failed")
        return None
    if ward is None or ward.lat is None or ward.lon is None:
        return None
    if _distance_km(latitude, longitude, ward.lat, ward.lon) > MAX_WARD_DISTANCE_KM:
        return None  # a pin far outside the province names no ward of ours
    return ward.code if session.get(Area, ward.code) is not None else None


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


# --- photos and pins for a filed report ------------------------------------------------------


def attach_photos(*, session: Session, ticket: Ticket, urls: list[str]) -> None:
    """Each photo is a private link to Zalo's copy until a task fetches and checks it."""
    for url in urls[:MAX_PHOTOS]:
        attachment = tickets_service.add_attachment(
            session=session,
            ticket=ticket,
            attachment=tickets_service.NewAttachment(
                content_type="image/jpeg", size_bytes=0, source_url=url
            ),
        )
        attachment.public = False  # private by default; staff decide what is published
        session.add(attachment)
        session.flush()
        outbox.enqueue(
            session=session, task=FETCH_PHOTO_TASK, args={"attachment_id": attachment.id}
        )


def _add_to_ticket(
    *, session: Session, ticket: Ticket, event: ZaloEvent, language: str
) -> Outcome:
    attach_photos(session=session, ticket=ticket, urls=event.photos)
    if event.coordinates is not None and ticket.latitude is None:
        ticket.latitude, ticket.longitude = event.coordinates
        ticket.area_id = ticket.area_id or ward_of_pin(
            session=session, latitude=ticket.latitude, longitude=ticket.longitude
        )
        session.add(ticket)
    # through the workflow: a photo or pin the agency was waiting for resumes its clock
    workflow.take_answer(
        session=session,
        ticket=ticket,
        text=gettext(language, "(photo sent on Zalo)") if event.photos
        else gettext(language, "(location sent on Zalo)"),
        channel=Channel.zalo,
    )
    session.flush()
    code = codes.display(ticket.code)
    if event.photos:
        answer = gettext(language, "Hotline 1022: your photo was added to report %(code)s.",
                         code=code)
    else:
        answer = gettext(language, "Hotline 1022: your location was added to report %(code)s.",
                         code=code)
    return Outcome("added_to_report", ticket_id=ticket.id, replies=[answer])


def _contact_tickets(
    session: Session, contact: ZaloContact, states: list[str] | None,
    category: str | None = None,
) -> Ticket | None:
    """The contact's newest ticket (in one of `states`, of `category`, when given)."""
    ids = zalo_notify.tickets_of(session=session, contact=contact)
    if not ids:
        return None
    query = select(Ticket).where(col(Ticket.id).in_(ids[:50]))
    if states is not None:
        query = query.where(col(Ticket.state).in_(states))
    if category is not None:
        query = query.where(col(Ticket.category_id) == category)
    return session.execute(query.order_by(col(Ticket.id).desc()).limit(1)).scalar_one_or_none()


def _open_ticket(session: Session, contact: ZaloContact) -> Ticket | None:
    return _contact_tickets(session, contact, [state.value for state in OPEN_STATES])


def _open_procedure_ticket(session: Session, contact: ZaloContact) -> Ticket | None:
    return _contact_tickets(
        session, contact, [state.value for state in OPEN_STATES], category=PROCEDURE_CATEGORY
    )


def _waiting_ticket(session: Session, contact: ZaloContact) -> Ticket | None:
    return _contact_tickets(session, contact, [TicketState.waiting_for_resident.value])


# --- receipts and fixed answers --------------------------------------------------------------


def record_receipt(*, session: Session, msg_ids: list[str]) -> str:
    """Zalo says our messages reached (or were seen by) the resident: record it on the rows."""
    if not msg_ids:
        return "receipt"
    rows = session.execute(
        select(OutboundMessage).where(
            col(OutboundMessage.channel) == zalo_notify.CHANNEL,
            col(OutboundMessage.provider_id).in_(msg_ids[:50]),
            col(OutboundMessage.status) == MessageStatus.sent,
        )
    ).scalars()
    for message in rows:
        message.status, message.status_at = MessageStatus.delivered, utcnow()
        session.add(message)
    return "receipt"


def greeting(language: str) -> str:
    return gettext(
        language,
        "Hotline 1022 on Zalo: thank you for following. Describe a problem in the city (what "
        "and where), add a photo and your location, and we reply with a tracking code. "
        "TT <code>: the state of a report. Emergencies: 113, 114, 115.",
    )


def help_text(language: str) -> str:
    return gettext(
        language,
        "Hotline 1022 on Zalo: describe a problem in the city (what and where), add a photo "
        "and your location, then send XONG. We reply with a tracking code. TT <code> or "
        "STATUS <code>: the state of a report. Emergencies: 113, 114, 115.",
    )
