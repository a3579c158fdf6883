"""SMS in: a text is a command (STATUS, HELP, STOP, START), an answer to a request, or a report.

Every message is kept as an InboundMessage (channel "sms", external_id = MessageSid) holding the
raw parameters and the reply that was given, so a retried webhook gets the same answer and never
files a second ticket. Replies are TwiML built by the twilio library, in the language the
resident wrote in.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from limits import RateLimitItemPerMinute
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col
from twilio.twiml.messaging_response import MessagingResponse

from core import outbox, ratelimit
from core.clock import utcnow
from core.errors import InvalidInput, NotFound
from core.i18n import gettext
from core.settings import Settings
from intake import dossier_reply, emergency, filing, validation
from notify import service as notify_service
from places import service as places_service
from places.models import PlaceReading
from routing.models import Area
from tickets import codes, links, workflow
from tickets import replies as ticket_replies
from tickets import service as tickets_service
from tickets.models import Channel, InboundMessage, Ticket
from tickets.public import STATE_LABELS
from tickets.service import RESIDENT

log = logging.getLogger(__name__)

FETCH_MEDIA_TASK = "intake.fetch_mms_media"
TWILIO_MEDIA_PREFIX = "https://api.twilio.com/"
MAX_MEDIA = 10  # Twilio delivers at most 10 media per MMS
# After "which ward?", a short text naming a place within this time answers it; anything else
# (longer, or naming no place) is a new report.
WARD_ANSWER_HOURS = 24
WARD_ANSWER_MAX_CHARS = 60

# Whole-message keywords (after removing accents and punctuation): Twilio's own opt-out words
# and their Vietnamese forms. A report that merely starts with "stop" is still a report.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "HUY", "DUNG", "TU CHOI"}
START_WORDS = {"START", "UNSTOP", "YES", "BAT DAU", "BATDAU", "DANG KY", "DK"}
HELP_WORDS = {"HELP": "en", "INFO": "en", "HD": "vi", "TRO GIUP": "vi", "HUONG DAN": "vi"}
STATUS_WORDS = {"STATUS": "en", "TT": "vi", "TRACUU": "vi", "TRA CUU": "vi"}
# Answers to "is it fixed?" (the start of the message; what follows is the resident's words),
# and the words that stop those questions
FIXED_PREFIXES = {"DA SUA": "vi", "DA XONG": "vi", "FIXED": "en", "IT IS FIXED": "en"}
NOT_FIXED_PREFIXES = {"CHUA SUA": "vi", "CHUA XONG": "vi", "NOT FIXED": "en", "NOT YET": "en"}
STOP_QUESTION_WORDS = {"DUNG HOI": "vi", "KHONG HOI": "vi", "NO QUESTIONS": "en",
                       "STOP QUESTIONS": "en"}
VI_KEYWORDS = {"HUY", "DUNG", "TU CHOI", "BAT DAU", "BATDAU", "DANG KY", "DK"}

# Vietnamese typed without accents is common on phones; these words are rare in English.
_VI_WORDS = frozenset(
    (
        "khong", "duoc", "nguoi", "nhung", "trong", "ngoai", "duong", "nuoc", "rac", "thai", "nha",
        "cua", "toi", "chung", "minh", "bi", "da", "dang", "roi", "qua", "lam", "rat", "xin",
        "cam", "phuong", "quan", "huyen", "hem", "ngo", "truoc", "sau", "cay", "den", "dien",
        "ngap", "hu", "hong", "o", "ga", "xe", "may", "oto", "chay", "lon", "tieng", "dem", "ngay",
        "hom", "nay", "cho", "voi", "va", "la", "co", "con", "gi", "sao",
    )
)
_EN_WORDS = frozenset(
    (
        "the", "is", "are", "was", "an", "and", "of", "in", "at", "to", "there", "street", "road",
        "please", "my", "our", "your", "with", "for", "this", "that", "it", "not", "broken",
        "light", "water", "trash", "noise", "near", "outside", "since", "from",
    )
)
_VI_LETTERS = frozenset("ăâđêôơưĂÂĐÊÔƠƯ")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@dataclass
class Outcome:
    """What a text did: the replies to send back and the ticket it concerned, if any."""

    handled_as: str
    replies: list[str] = field(default_factory=list)
    ticket_id: int | None = None


# --- language and keywords -------------------------------------------------------------------


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def detect_language(text: str, *, default: str = "vi") -> str:
    """vi or en, cheaply: Vietnamese letters or tone marks, else common unaccented words."""
    if any(ch in _VI_LETTERS for ch in text):
        return "vi"
    decomposed = unicodedata.normalize("NFD", text)
    if any(unicodedata.category(ch) == "Mn" for ch in decomposed):
        return "vi"
    words = [word.lower() for word in _WORD.findall(text)]
    vi_score = sum(word in _VI_WORDS for word in words)
    en_score = sum(word in _EN_WORDS for word in words)
    if vi_score == en_score:
        return default
    return "vi" if vi_score > en_score else "en"


def keyword_form(text: str) -> str:
    """STOP, Stop!, 'hủy' and ' Huỷ. ' all become the same upper-case, unaccented keyword."""
    plain = strip_accents(text).upper()
    plain = re.sub(r"[^\w<>-]+", " ", plain)
    return " ".join(plain.split())


def parse_status_command(text: str) -> tuple[str, str] | None:
    """(language, code typed) for `STATUS <code>` / `TT <code>`, else None."""
    form = keyword_form(text)
    for word, language in sorted(STATUS_WORDS.items(), key=lambda item: -len(item[0])):
        if form == word or form.startswith(word + " "):
            return language, form[len(word) :].strip()
    return None


# --- flood control ---------------------------------------------------------------------------

def _limiter(settings: Settings) -> ratelimit.ResilientLimiter:
    """Redis when REDIS_URL is set (shared by every web process), memory otherwise; short
    timeouts and a circuit breaker, so a hanging Redis never delays the answer to a text."""
    return ratelimit.limiter_for(settings.redis_url)


def reset_flood_control() -> None:
    """Forget the in-memory counters (tests); shared Redis counters are left alone."""
    ratelimit.reset_memory_limits()


def _phone_key(phone: str) -> str:
    # the number itself never becomes a Redis key
    return hashlib.sha256(phone.encode()).hexdigest()[:24]


def is_flooding(*, phone: str, settings: Settings) -> bool:
    # a limiter that is down must not stop residents from reporting: it answers "allowed"
    return not _limiter(settings).hit(
        RateLimitItemPerMinute(settings.sms_flood_per_minute), "sms", _phone_key(phone)
    )


def first_slow_down_notice(*, phone: str, settings: Settings) -> bool:
    """One "slow down" answer per minute: answering every extra text would flood them back."""
    return _limiter(settings).hit(RateLimitItemPerMinute(1), "sms-notice", _phone_key(phone))


# --- handling --------------------------------------------------------------------------------


def sender_phone(raw: str | None, *, settings: Settings) -> str | None:
    try:
        return validation.phone_number(raw, region=settings.default_phone_region, field="From")
    except InvalidInput:
        text = (raw or "").strip()
        return text if re.fullmatch(r"\+\d{5,15}", text) else None


def media_items(params: dict[str, str]) -> list[tuple[str, str]]:
    """(url, content type) of each photo in an MMS; only Twilio's own media URLs."""
    try:
        count = min(int(params.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    items = []
    for index in range(count):
        url = params.get(f"MediaUrl{index}", "")
        content_type = params.get(f"MediaContentType{index}", "")
        if url.startswith(TWILIO_MEDIA_PREFIX) and content_type.startswith("image/"):
            items.append((url, content_type))
    return items


def previous_outcome(*, session: Session, message_sid: str) -> InboundMessage | None:
    return session.execute(
        select(InboundMessage).where(
            col(InboundMessage.channel) == Channel.sms,
            col(InboundMessage.external_id) == message_sid,
        )
    ).scalar_one_or_none()


def handle_incoming(*, session: Session, params: dict[str, str], settings: Settings) -> list[str]:
    """Act on one inbound text (once per MessageSid) and return the replies to send back."""
    message_sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    if not message_sid or len(message_sid) > 100:
        raise InvalidInput("The message has no MessageSid.", field="MessageSid")
    earlier = previous_outcome(session=session, message_sid=message_sid)
    if earlier is not None:  # Twilio retried: answer as before, do nothing again
        return list(earlier.payload.get("replies") or [])
    try:
        with session.begin_nested():
            outcome = _handle_new(
                session=session, message_sid=message_sid, params=params, settings=settings
            )
    except IntegrityError:  # a concurrent retry of the same message was stored first
        earlier = previous_outcome(session=session, message_sid=message_sid)
        if earlier is None:
            raise
        return list(earlier.payload.get("replies") or [])
    return outcome.replies


def _handle_new(
    *, session: Session, message_sid: str, params: dict[str, str], settings: Settings
) -> Outcome:
    phone = sender_phone(params.get("From"), settings=settings)
    body = validation.clean_text(params.get("Body"))[: settings.max_description_chars]
    outcome = _decide(
        session=session,
        message_sid=message_sid,
        phone=phone,
        body=body,
        params=params,
        settings=settings,
    )
    if phone is not None and outcome.handled_as != "stop" and notify_service.is_opted_out(
        session=session, phone=phone
    ):
        outcome.replies = []  # the number said STOP: nothing goes back until START
    payload: dict[str, Any] = {
        "params": params,
        "handled_as": outcome.handled_as,
        "replies": outcome.replies,
    }
    stored = previous_outcome(session=session, message_sid=message_sid)
    if stored is None:
        session.add(
            InboundMessage(
                channel=Channel.sms,
                external_id=message_sid,
                ticket_id=outcome.ticket_id,
                payload=payload,
            )
        )
    else:  # file_report stored the row with the ticket; add what was answered
        stored.payload = payload
        session.add(stored)
    session.flush()
    return outcome


def _decide(
    *,
    session: Session,
    message_sid: str,
    phone: str | None,
    body: str,
    params: dict[str, str],
    settings: Settings,
) -> Outcome:
    form = keyword_form(body)
    language = detect_language(body, default=settings.default_language)
    if form in STOP_WORDS:
        if phone is not None:
            notify_service.set_opt_out(session=session, phone=phone, opted_out=True)
        return Outcome("stop")  # carriers require silence after STOP
    if form in START_WORDS:
        language = "vi" if form in VI_KEYWORDS else "en"
        if phone is not None:
            notify_service.set_opt_out(session=session, phone=phone, opted_out=False)
        return Outcome(
            "start",
            [gettext(language, "Hotline 1022: you will receive our messages again. "
                               "Text STOP to stop them.")],
        )
    if phone is not None and is_flooding(phone=phone, settings=settings):
        notice = first_slow_down_notice(phone=phone, settings=settings)
        text = gettext(
            language,
            "Hotline 1022: you sent many messages in a short time. Please wait a minute and "
            "send your report in one message. For an emergency call 113, 114 or 115.",
        )
        return Outcome("throttled", [text] if notice else [])
    if form in HELP_WORDS:
        return Outcome("help", [help_text(HELP_WORDS[form])])
    if phone is not None:
        answered = _fix_answer(session=session, phone=phone, body=body, form=form)
        if answered is not None:
            return answered
    dossier_code = dossier_reply.parse(body)
    if phone is not None and dossier_code is not None:
        return Outcome("dossier_code", [dossier_reply.answer(
            session=session, phone=phone, code=dossier_code, language=language,
            channel=Channel.sms,
        )])
    status = parse_status_command(body)
    if status is not None:
        return Outcome("status", [status_text(session=session, language=status[0],
                                              typed=status[1], settings=settings)])
    photos = media_items(params)
    if not body and not photos:
        return Outcome(
            "empty",
            [gettext(language, "Hotline 1022: your message was empty. Describe the problem and "
                               "where it is in one message.")],
        )
    kind = filing.screen(body)
    advice = [emergency.advice(language)] if kind else []
    waiting = None
    if phone is not None and kind is None:  # an emergency is a new report, never an answer
        waiting = ticket_replies.latest_waiting_ticket(session=session, phone=phone)
    if waiting is not None:
        text = body or gettext(language, "(photo sent by MMS)")
        workflow.take_answer(session=session, ticket=waiting, text=text, channel=Channel.sms)
        attach_photos(session=session, ticket=waiting, photos=photos)
        answer = gettext(
            language,
            "Hotline 1022: thank you, your answer was added to report %(code)s.",
            code=codes.display(waiting.code),
        )
        return Outcome("information", [*advice, answer], ticket_id=waiting.id)
    asked = None
    if phone is not None and kind is None and body and len(body) <= WARD_ANSWER_MAX_CHARS:
        asked = ticket_asking_ward(session=session, phone=phone)
    if asked is not None:
        found = places_service.read_place(body)
        if found.ward_code is not None or found.candidates:
            return take_ward_answer(session=session, ticket=asked, body=body, found=found,
                                    language=language)
    report = tickets_service.NewReport(
        description=body or gettext(language, "(photo sent by MMS)"),
        channel=Channel.sms,
        language=language,
        reporter_phone=phone,
        emergency=kind is not None,
        external_id=message_sid,
        raw_payload={"params": params, "handled_as": "report"},
    )
    ticket = filing.file_report(session=session, report=report, emergency_kind=kind).ticket
    attach_photos(session=session, ticket=ticket, photos=photos)
    receipt = gettext(
        language,
        "Hotline 1022: we received your report. Tracking code %(code)s. Follow it: %(link)s",
        code=codes.display(ticket.code),
        link=links.status_url(ticket.code, settings=settings, lang=language),
    )
    question = ask_ward(session=session, ticket=ticket, language=language)
    return Outcome("report", [*advice, receipt, *question], ticket_id=ticket.id)


def ask_ward(*, session: Session, ticket: Ticket, language: str) -> list[str]:
    """"Which ward?" for a report whose place could not be read (never for an emergency)."""
    if ticket.area_id is not None or ticket.emergency or ticket.id is None:
        return []
    reading = places_service.reading_of(session=session, ticket_id=ticket.id)
    if reading is None:
        return []
    reading.asked_at = utcnow()
    session.add(reading)
    return [places_service.ward_question(language=language, code=codes.display(ticket.code))]


def ticket_asking_ward(*, session: Session, phone: str) -> Ticket | None:
    """The newest report of this number that was asked for its ward lately and has none."""
    since = utcnow() - timedelta(hours=WARD_ANSWER_HOURS)
    return session.execute(
        select(Ticket)
        .join(PlaceReading, col(PlaceReading.ticket_id) == col(Ticket.id))
        .where(
            col(Ticket.reporter_phone) == phone,
            col(Ticket.area_id).is_(None),
            col(PlaceReading.asked_at) >= since,
        )
        .order_by(col(Ticket.id).desc())
        .limit(1)
    ).scalar_one_or_none()


def take_ward_answer(
    *, session: Session, ticket: Ticket, body: str, found: places_service.Reading, language: str
) -> Outcome:
    """The resident's answer to "which ward?" goes to the same report: a ward read in it is
    set (and kept as a correction); a place that is not one ward ("Q8") is kept, in the
    resident's words, for the triage desk."""
    assert ticket.id is not None
    reading = places_service.reading_of(session=session, ticket_id=ticket.id)
    if reading is not None:
        reading.asked_at = None  # one answer per question
        session.add(reading)
    code = codes.display(ticket.code)
    if found.ward_code is not None and session.get(Area, found.ward_code) is not None:
        workflow.set_place(session=session, ticket=ticket, area_id=found.ward_code,
                           actor=RESIDENT, source="resident", message=body)
        ward = found.ward or found.ward_code
        return Outcome("ward_answer",
                       [places_service.ward_added(language=language, code=code, ward=ward)],
                       ticket_id=ticket.id)
    workflow.take_answer(session=session, ticket=ticket, text=body, channel=Channel.sms)
    answer = gettext(
        language,
        "Hotline 1022: thank you, your answer was added to report %(code)s.",
        code=code,
    )
    return Outcome("ward_answer", [answer], ticket_id=ticket.id)


def fix_answer_kind(form: str) -> str | None:
    """What a message (in keyword form) says to "is it fixed?": "stop" (no more questions),
    "not_fixed", "fixed", or None when it is not an answer to it. Shared with Zalo."""
    if form in STOP_QUESTION_WORDS:
        return "stop"
    for kind, table in (("not_fixed", NOT_FIXED_PREFIXES), ("fixed", FIXED_PREFIXES)):
        if any(form == prefix or form.startswith(prefix + " ") for prefix in table):
            return kind
    return None


def apply_fix_answer(
    *, session: Session, kind: str, ticket: Ticket, text: str, channel: str
) -> None:
    """Through the workflow: "not fixed" reopens to the same agency with the resident's words."""
    if kind == "stop":
        notify_service.stop_questions(session=session, ticket=ticket)
    elif kind == "not_fixed":
        workflow.report_not_fixed(session=session, ticket=ticket, text=text, channel=channel)
    else:
        workflow.confirm_fixed(session=session, ticket=ticket, channel=channel, text=text)


def stop_questions_reply(language: str) -> str:
    return gettext(
        language,
        "Hotline 1022: we will not ask you whether your reports are fixed any more.",
    )


def _fix_answer(*, session: Session, phone: str, body: str, form: str) -> Outcome | None:
    """An answer to "is it fixed?" from a number that was asked; None when it is not one."""
    kind = fix_answer_kind(form)
    if kind is None:
        return None
    asked = ticket_replies.latest_asked_ticket(session=session, phone=phone)
    if kind == "stop":
        ticket = asked or ticket_replies.latest_ticket(session=session, phone=phone)
        if ticket is None:
            return None
        apply_fix_answer(session=session, kind=kind, ticket=ticket, text=body, channel="sms")
        return Outcome("stop_questions", [stop_questions_reply(STOP_QUESTION_WORDS[form])],
                       ticket_id=ticket.id)
    if asked is None:
        return None
    apply_fix_answer(session=session, kind=kind, ticket=asked, text=body, channel=Channel.sms)
    # "not fixed" is answered by the reopening message, "fixed" by the thanks (notify)
    return Outcome(kind, [], ticket_id=asked.id)


def help_text(language: str) -> str:
    if language == "vi":
        return gettext(
            "vi",
            "Hotline 1022: text a problem in the city (what and where) and we reply with a "
            "tracking code. TT <code>: the state of a report. HUY: no more messages. "
            "Emergencies: 113, 114, 115.",
        )
    return gettext(
        "en",
        "Hotline 1022: text a problem in the city (what and where) and we reply with a "
        "tracking code. STATUS <code>: the state of a report. STOP: no more messages. "
        "Emergencies: 113, 114, 115.",
    )


def status_text(*, session: Session, language: str, typed: str, settings: Settings) -> str:
    if not typed:
        return gettext(
            language,
            "Hotline 1022: send the command followed by your tracking code, for example "
            "%(example)s.",
            example=("TT " if language == "vi" else "STATUS ") + "ACD3-EF4H",
        )
    try:
        ticket = tickets_service.get_by_code(session=session, code=typed)
    except (InvalidInput, NotFound) as error:
        return gettext(language, "Hotline 1022: %(problem)s", problem=error.localized(language))
    return gettext(
        language,
        "Hotline 1022: report %(code)s: %(state)s. Details: %(link)s",
        code=codes.display(ticket.code),
        state=gettext(language, STATE_LABELS.get(ticket.state, ticket.state)),
        link=links.status_url(ticket.code, settings=settings, lang=language),
    )


def attach_photos(*, session: Session, ticket: Ticket, photos: list[tuple[str, str]]) -> None:
    """Each MMS photo becomes an attachment now and is downloaded by a task after the commit.

    Until the task has fetched and re-encoded it, the attachment is only a link to Twilio's
    copy (which needs the account's credentials) and is not shown publicly.
    """
    for url, content_type in photos:
        attachment = tickets_service.add_attachment(
            session=session,
            ticket=ticket,
            attachment=tickets_service.NewAttachment(
                content_type=content_type, size_bytes=0, source_url=url
            ),
        )
        attachment.public = False
        session.add(attachment)
        session.flush()
        outbox.enqueue(
            session=session, task=FETCH_MEDIA_TASK, args={"attachment_id": attachment.id}
        )


def reply_twiml(texts: list[str]) -> str:
    """The TwiML answer; no <Message> at all when nothing should be sent (STOP)."""
    response = MessagingResponse()
    for text in texts:
        response.message(text)
    return str(response)

