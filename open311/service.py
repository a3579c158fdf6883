"""Open311 GeoReport v2 operations: clients and keys, services, filing and reading requests.

The tracker stays the source of truth: a request filed here is a ticket (channel "open311")
that goes through classification and routing like any other; the client's service_code is kept
as the resident's own choice (`requested_category_id`). What is read back is the public view:
no reporter, no contact, personal data masked in text.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from core.errors import Forbidden, InvalidInput, NotFound
from core.i18n import gettext
from core.settings import Settings
from intake import emergency, filing, procedures, validation
from intake import service as intake_service
from open311.models import Open311Client
from routing import service as routing_service
from routing.models import Agency, Category
from routing.taxonomy import PROCEDURE_CATEGORY
from tickets import codes, dossiers, media, policy, redact
from tickets import service as tickets_service
from tickets.lifecycle import OPEN_STATES
from tickets.models import Attachment, Channel, DossierProblem, SubmittedVia, Ticket
from tickets.public import STATE_LABELS

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# the jurisdiction's main web site root, as the spec suggests; one jurisdiction per server
JURISDICTION_ID = "hcmc.gov.vn"
# the date this API's discovery document last changed
CHANGESET = "2026-11-23T00:00:00Z"
MAX_RANGE = timedelta(days=90)
PAGE_LIMIT = 1000
STATUSES = ("open", "closed")
LINK_CONTENT_TYPE = "text/uri-list"


# ---------------------------------------------------------------------------- jurisdiction


def jurisdiction_id(settings: Settings) -> str:
    return str(getattr(settings, "open311_jurisdiction_id", None) or JURISDICTION_ID)


def check_jurisdiction(value: str | None, *, settings: Settings) -> None:
    """Optional (one jurisdiction per server); a jurisdiction that is not ours is a 404."""
    given = validation.clean_text(value)
    if given and given.lower() != jurisdiction_id(settings).lower():
        raise NotFound(
            "Unknown jurisdiction_id %(value)s: this server serves %(ours)s.",
            field="jurisdiction_id",
            value=given,
            ours=jurisdiction_id(settings),
        )


# ---------------------------------------------------------------------------- clients and keys


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def create_client(*, session: Session, name: str) -> tuple[Open311Client, str]:
    """A new client and its API key; the key is returned once and only its hash is stored."""
    name = validation.clean_text(name)
    if not name or len(name) > 200:
        raise InvalidInput("A client needs a name of 1 to 200 characters.", field="name")
    taken = session.execute(
        select(col(Open311Client.id)).where(col(Open311Client.name) == name)
    ).scalar_one_or_none()
    if taken is not None:
        raise InvalidInput("A client named %(value)s already exists.", field="name", value=name)
    api_key = secrets.token_urlsafe(32)
    client = Open311Client(name=name, api_key_hash=hash_key(api_key), created_at=utcnow())
    session.add(client)
    session.flush()
    return client, api_key


def list_clients(*, session: Session) -> list[Open311Client]:
    return list(session.execute(select(Open311Client).order_by(col(Open311Client.id))).scalars())


def revoke_client(*, session: Session, name: str) -> Open311Client:
    client = session.execute(
        select(Open311Client).where(col(Open311Client.name) == name)
    ).scalar_one_or_none()
    if client is None:
        raise NotFound("No Open311 client is named %(value)s.", field="name", value=name)
    client.active = False
    session.add(client)
    session.flush()
    return client


def authenticate(*, session: Session, api_key: str | None) -> Open311Client:
    key = (api_key or "").strip()
    if not key:
        raise Forbidden("Missing api_key: filing a request needs an API key.", field="api_key")
    client = session.execute(
        select(Open311Client).where(col(Open311Client.api_key_hash) == hash_key(key))
    ).scalar_one_or_none()
    if client is None or not client.active:
        raise Forbidden("Invalid api_key received: cannot file the request.", field="api_key")
    return client


# ---------------------------------------------------------------------------- services


def _name(row: Any, language: str) -> str | None:
    if row is None:
        return None
    return str(row.name_vi if language == "vi" else row.name_en)


def active_categories(*, session: Session) -> list[Category]:
    return list(
        session.execute(select(Category).where(col(Category.active)).order_by(Category.id))
        .scalars()
        .all()
    )


def get_service(*, session: Session, service_code: str | None) -> Category:
    code = validation.clean_text(service_code)
    if not code:
        raise InvalidInput("service_code is required.", field="service_code")
    category = session.get(Category, code)
    if category is None or not category.active:
        raise NotFound("Unknown service_code %(value)s.", field="service_code", value=code)
    return category


def service_list(*, session: Session, language: str) -> list[dict[str, Any]]:
    """One service per category of the taxonomy, named in the requested language."""
    agencies = {a.id: a for a in session.execute(select(Agency)).scalars()}
    return [
        {
            "service_code": category.id,
            "service_name": _name(category, language),
            "description": _service_description(category, language),
            "metadata": category.id == PROCEDURE_CATEGORY,
            "type": "realtime",
            "keywords": category.covers,
            "group": _name(agencies.get(category.default_agency_id), language),
        }
        for category in active_categories(session=session)
    ]


def _service_description(category: Category, language: str) -> str:
    return gettext(
        language,
        "%(name)s. Answered within %(days)s working days.",
        name=_name(category, language),
        days=category.resolve_working_days,
    )


def service_definition(
    *, session: Session, service_code: str, language: str = "vi"
) -> dict[str, Any]:
    """Only complaints about an administrative procedure ask for attributes (the service
    centre, the procedure, the dossier); the other services' descriptions say it all."""
    category = get_service(session=session, service_code=service_code)
    if category.id == PROCEDURE_CATEGORY:
        return {
            "service_code": category.id,
            "attributes": _procedure_attributes(session=session, language=language),
        }
    return {"service_code": category.id, "attributes": []}


def _procedure_attributes(*, session: Session, language: str) -> list[dict[str, Any]]:
    def attribute(
        order: int, code: str, datatype: str, required: bool, description: str,
        values: list[tuple[str, str]] | None = None,
    ) -> dict[str, Any]:
        return {
            "variable": True,
            "code": code,
            "datatype": datatype,
            "required": required,
            "datatype_description": None,
            "order": order,
            "description": gettext(language, description),
            "values": [{"key": key, "name": name} for key, name in values or []],
        }

    areas = routing_service.list_areas(session=session)
    procedures = routing_service.list_procedures(session=session)
    return [
        attribute(1, "centre", "singlevaluelist", True,
                  "Service centre (ward or commune) where the dossier was filed",
                  [(a.id, _name(a, language) or a.id) for a in areas]),
        attribute(2, "procedure", "singlevaluelist", True, "Procedure",
                  [(p.id, _name(p, language) or p.id) for p in procedures]),
        attribute(3, "dossier_code", "string", False, "Dossier code (on the receipt)"),
        attribute(4, "submitted_on", "datetime", False, "Date submitted"),
        attribute(5, "submitted_via", "singlevaluelist", False, "How was it submitted?",
                  [(v.value, v.value) for v in SubmittedVia]),
        attribute(6, "problem", "singlevaluelist", False, "What went wrong?",
                  [(v.value, v.value) for v in DossierProblem]),
    ]


def _procedure_fields(fields: Mapping[str, str]) -> procedures.ProcedureInput:
    """GeoReport v2 sends attributes as attribute[code]; a date-time keeps only its day."""

    def value(code: str) -> str | None:
        return fields.get(f"attribute[{code}]")

    submitted = (value("submitted_on") or "").strip()[:10] or None
    return procedures.ProcedureInput(
        centre_area_id=value("centre") or fields.get("address_id"),
        procedure_id=value("procedure"),
        dossier_code=value("dossier_code"),
        submitted_on=submitted,
        submitted_via=value("submitted_via"),
        problem=value("problem"),
    )


# ---------------------------------------------------------------------------- filing


@dataclass(frozen=True)
class Filed:
    ticket: Ticket
    service_notice: str | None
    account_id: str | None


def _media_url(value: str | None) -> str | None:
    text = validation.clean_text(value)
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(text) > 1000 or (
        any(ch.isspace() for ch in text)
    ):
        raise InvalidInput(
            "media_url must be an http or https address (at most 1000 characters).",
            field="media_url",
        )
    return text


def file_request(
    *,
    session: Session,
    fields: Mapping[str, str],
    client: Open311Client,
    settings: Settings,
    language: str,
) -> Filed:
    """Check everything, then file one ticket; the first problem raises before any write."""
    category = get_service(session=session, service_code=fields.get("service_code"))
    dossier = None
    if category.id == PROCEDURE_CATEGORY:  # the service centre is the place: no location
        centre, dossier = procedures.check(session=session, form=_procedure_fields(fields))
        fields = {**fields, "address_id": centre}
    has_place = any(
        validation.clean_text(fields.get(name))
        for name in ("lat", "long", "address_string", "address_id")
    ) or intake_service.names_a_place(validation.clean_text(fields.get("description")))
    if not has_place:
        raise InvalidInput(
            "A location is required: give lat and long, address_string or address_id.",
            field="lat",
        )
    media_url = _media_url(fields.get("media_url"))
    device_id = validation.optional_text(fields.get("device_id"), field="device_id", max_chars=200)
    account_id = validation.optional_text(
        fields.get("account_id"), field="account_id", max_chars=200
    )
    description = validation.clean_text(fields.get("description")) or _name(category, language)
    name = " ".join(
        part
        for part in (
            validation.clean_text(fields.get("first_name")),
            validation.clean_text(fields.get("last_name")),
        )
        if part
    )
    form = intake_service.ReportInput(
        description=description,
        language=language,
        area_id=fields.get("address_id"),
        address=fields.get("address_string"),
        latitude=fields.get("lat"),
        longitude=fields.get("long"),
        name=name or None,
        phone=fields.get("phone"),
        email=fields.get("email"),
        category_id=category.id,
    )
    checked = intake_service.validate(session=session, form=form, settings=settings)
    report = checked.report
    if dossier is not None:
        report.description = dossiers.mask_code(report.description, dossier.dossier_code)
    report.channel = Channel.open311
    report.external_id = f"{client.id}:{uuid.uuid4().hex}"
    report.raw_payload = {
        **{key: value for key, value in fields.items() if key != "api_key"},
        "client_id": client.id,
        "client_name": client.name,
        "device_id": device_id,
        "account_id": account_id,
    }
    attachments = []
    if media_url:
        attachments.append(
            tickets_service.NewAttachment(
                content_type=LINK_CONTENT_TYPE, size_bytes=0, source_url=media_url, kind="link"
            )
        )
    ticket = filing.file_report(
        session=session,
        report=report,
        attachments=attachments,
        emergency_kind=checked.emergency_kind,
    ).ticket
    if dossier is not None:
        dossiers.attach(session=session, ticket=ticket, dossier=dossier)
    return Filed(
        ticket=ticket,
        service_notice=service_notice(ticket=ticket, category=category, language=language),
        account_id=account_id,
    )


def service_notice(*, ticket: Ticket, category: Category | None, language: str) -> str | None:
    if ticket.emergency:
        return emergency.advice(language)
    if category is None:
        return None
    return gettext(
        language,
        "The responsible agency answers reports of this kind within %(days)s working days.",
        days=category.resolve_working_days,
    )


# ---------------------------------------------------------------------------- reading


def status(ticket: Ticket) -> str:
    """The spec knows two: open (reported) and closed (resolved, closed or rejected)."""
    return "open" if ticket.state in OPEN_STATES else "closed"


def w3_datetime(value: datetime | None, *, timezone: str) -> str | None:
    """ISO 8601 with the city's UTC offset, e.g. 2026-11-23T09:30:00+07:00."""
    value = as_utc(value)
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")


def parse_w3_datetime(value: str | None, *, field: str, timezone: str) -> datetime | None:
    """A w3 date or date-time; without an offset it is read in the city's time zone."""
    text = validation.clean_text(value)
    if not text:
        return None
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time())
        else:
            parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as error:
        raise InvalidInput(
            "%(field)s is not a w3 date-time (e.g. 2026-01-01T00:00:00Z): %(value)s.",
            field=field,
            value=text,
        ) from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(timezone))
    return as_utc(parsed)


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@dataclass(frozen=True)
class RequestQuery:
    service_request_ids: list[str]
    service_codes: list[str]
    start: datetime
    end: datetime
    statuses: list[str]
    page: int = 1
    page_size: int = PAGE_LIMIT


def build_query(
    *,
    session: Session,
    params: Mapping[str, str | None],
    settings: Settings,
) -> RequestQuery:
    """The spec's filters, checked: a range of at most 90 days (the last 90 by default)."""
    timezone = settings.city_timezone
    ids = _split(params.get("service_request_id"))
    if len(ids) > PAGE_LIMIT:
        raise InvalidInput(
            "At most %(limit)s service_request_id values at once.",
            field="service_request_id",
            limit=PAGE_LIMIT,
        )
    service_codes = _split(params.get("service_code"))
    for code in service_codes:
        get_service(session=session, service_code=code)
    statuses = [value.lower() for value in _split(params.get("status"))]
    for value in statuses:
        if value not in STATUSES:
            raise InvalidInput(
                "Unknown status %(value)s: use open or closed.", field="status", value=value
            )
    start = parse_w3_datetime(params.get("start_date"), field="start_date", timezone=timezone)
    end = parse_w3_datetime(params.get("end_date"), field="end_date", timezone=timezone)
    if start is None and end is None:
        end = utcnow()
        start = end - MAX_RANGE
    elif start is None:
        assert end is not None
        start = end - MAX_RANGE
    elif end is None:
        end = start + MAX_RANGE
    if start > end:
        raise InvalidInput("start_date is after end_date.", field="start_date")
    if end - start > MAX_RANGE:
        raise InvalidInput(
            "The date range may not span more than 90 days.", field="end_date"
        )
    page = _positive_int(params.get("page"), field="page", default=1, limit=1_000_000)
    page_size = _positive_int(
        params.get("page_size"), field="page_size", default=PAGE_LIMIT, limit=PAGE_LIMIT
    )
    return RequestQuery(
        service_request_ids=ids,
        service_codes=service_codes,
        start=start,
        end=end,
        statuses=statuses,
        page=page,
        page_size=page_size,
    )


PUBLIC_ID_LIMIT = 10


def check_public_listing(params: Mapping[str, str | None]) -> None:
    """Without an api_key only known requests are answered: listing by date, status or
    service would hand out every tracking code (the spec lets a server limit what it lists)."""
    ids = _split(params.get("service_request_id"))
    if not ids:
        raise Forbidden(
            "Listing service requests needs an api_key; without one, ask for known requests "
            "by service_request_id.",
            field="api_key",
        )
    if len(ids) > PUBLIC_ID_LIMIT:
        raise InvalidInput(
            "At most %(limit)s service_request_id values at once without an api_key.",
            field="service_request_id",
            limit=PUBLIC_ID_LIMIT,
        )


def _positive_int(value: str | None, *, field: str, default: int, limit: int) -> int:
    text = validation.clean_text(value)
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= limit:
        raise InvalidInput(
            "%(field)s must be a whole number from 1 to %(limit)s.",
            field=field,
            limit=limit,
        )
    return int(text)


def find_requests(*, session: Session, query: RequestQuery) -> list[Ticket]:
    """service_request_id overrides every other filter, as the spec says."""
    statement = select(Ticket)
    if query.service_request_ids:
        normalized = [code for code in map(_normalized_code, query.service_request_ids) if code]
        if not normalized:
            return []
        statement = statement.where(col(Ticket.code).in_(normalized))
    else:
        statement = statement.where(
            col(Ticket.created_at) >= query.start, col(Ticket.created_at) <= query.end
        )
        if query.service_codes:
            shown_code = func.coalesce(Ticket.category_id, Ticket.requested_category_id)
            statement = statement.where(shown_code.in_(query.service_codes))
        if query.statuses and len(set(query.statuses)) == 1:
            open_states = [state.value for state in OPEN_STATES]
            if query.statuses[0] == "open":
                statement = statement.where(col(Ticket.state).in_(open_states))
            else:
                statement = statement.where(col(Ticket.state).not_in(open_states))
    statement = (
        statement.order_by(col(Ticket.created_at).desc(), col(Ticket.id).desc())
        .offset((query.page - 1) * query.page_size)
        .limit(query.page_size)
    )
    return list(session.execute(statement).scalars().all())


def _normalized_code(raw: str) -> str | None:
    try:
        return codes.normalize(raw)
    except InvalidInput:
        return None


def get_request(*, session: Session, service_request_id: str) -> Ticket:
    code = _normalized_code(service_request_id)
    ticket = (
        session.execute(select(Ticket).where(col(Ticket.code) == code)).scalar_one_or_none()
        if code
        else None
    )
    if ticket is None:
        raise NotFound(
            "No service request has the id %(value)s.",
            field="service_request_id",
            value=service_request_id,
        )
    return ticket


def token_request(*, session: Session, token: str) -> dict[str, Any]:
    """Requests are realtime here, so no token is ever issued; a request's own id is accepted."""
    code = _normalized_code(token)
    found = None
    if code:
        found = session.execute(
            select(col(Ticket.code)).where(col(Ticket.code) == code)
        ).scalar_one_or_none()
    if found is None:
        raise NotFound("Unknown token %(value)s.", field="token", value=token)
    return {"service_request_id": found, "token": token}


def describe_requests(
    *,
    session: Session,
    tickets: Sequence[Ticket],
    language: str,
    settings: Settings,
) -> list[dict[str, Any]]:
    """The spec's request fields, in the spec's order; nothing about the reporter."""
    categories = {c.id: c for c in session.execute(select(Category)).scalars()}
    agencies = {a.id: a for a in session.execute(select(Agency)).scalars()}
    media = _media_urls(session=session, tickets=tickets, settings=settings)
    timezone = settings.city_timezone
    described = []
    for ticket in tickets:
        code = ticket.category_id or ticket.requested_category_id
        category = categories.get(code) if code else None
        closed = status(ticket) == "closed"
        updated = (ticket.closed_at or ticket.resolved_at or ticket.updated_at) if closed else (
            ticket.updated_at
        )
        described.append(
            {
                "service_request_id": ticket.code,
                "status": status(ticket),
                "status_notes": _status_notes(ticket, language),
                "service_name": _name(category, language),
                "service_code": code,
                "description": redact.mask_text(ticket.description) or None,
                "agency_responsible": _name(agencies.get(ticket.agency_id or ""), language),
                "service_notice": service_notice(
                    ticket=ticket, category=category, language=language
                ),
                "requested_datetime": w3_datetime(ticket.created_at, timezone=timezone),
                "updated_datetime": w3_datetime(updated, timezone=timezone),
                "expected_datetime": w3_datetime(
                    policy.expected_resolution(ticket), timezone=timezone
                ),
                "address": redact.mask_text(ticket.address) or None,
                "address_id": ticket.area_id,
                "zipcode": None,
                "lat": ticket.latitude,
                "long": ticket.longitude,
                "media_url": media.get(ticket.id or 0),
            }
        )
    return described


def _status_notes(ticket: Ticket, language: str) -> str:
    label = gettext(language, STATE_LABELS[ticket.state])
    resolution = redact.mask_text(ticket.resolution)
    return f"{label}: {resolution}" if resolution else label


def _media_urls(
    *, session: Session, tickets: Sequence[Ticket], settings: Settings
) -> dict[int, str]:
    """The first public photo (served by the site) or link given with each request."""
    ids = [ticket.id for ticket in tickets if ticket.id is not None]
    if not ids:
        return {}
    rows = session.execute(
        select(Attachment)
        .where(col(Attachment.ticket_id).in_(ids))
        .where(
            # a stored photo once staff published it; a link is the client's own public URL
            or_(
                col(Attachment.public) & col(Attachment.storage_path).is_not(None),
                col(Attachment.kind) == "link",
            )
        )
        .order_by(col(Attachment.id))
    ).scalars()
    found: dict[int, str] = {}
    base = settings.public_base_url.rstrip("/")
    for attachment in rows:
        if attachment.ticket_id in found:
            continue
        if attachment.storage_path and attachment.id is not None:
            found[attachment.ticket_id] = base + media.url(attachment.id)
        elif attachment.source_url:
            found[attachment.ticket_id] = attachment.source_url
    return found


# ---------------------------------------------------------------------------- discovery


def discovery(*, settings: Settings, language: str) -> dict[str, Any]:
    base = settings.public_base_url.rstrip("/")
    return {
        "changeset": CHANGESET,
        "contact": gettext(
            language,
            "Hotline 1022 of Ho Chi Minh City: %(url)s",
            url=base,
        ),
        "key_service": gettext(
            language,
            "API keys for filing requests are issued by the hotline's administrators on request.",
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/open311/v2",
                "changeset": CHANGESET,
                "type": "production" if settings.environment == "production" else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
