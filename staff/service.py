"""Staff operations: accounts, passwords (argon2), sessions and tokens, who may do what."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from core.errors import Conflict, Forbidden, InvalidInput, Unauthorized
from routing.models import Agency
from routing.taxonomy import TRIAGE_AGENCY
from staff.models import AGENCY_ROLES, ROLES, Role, StaffSession, StaffUser
from tickets.models import Ticket, TicketState

BROWSER_SESSION_HOURS = 12
API_TOKEN_DAYS = 365
MIN_PASSWORD_LENGTH = 10
_hasher = PasswordHasher()
# a hash to verify against when the e-mail is unknown, so timing does not tell accounts apart
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput("This is not a valid e-mail address.", field="email") from error


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "The password needs at least %(count)s characters.",
            field="password",
            count=MIN_PASSWORD_LENGTH,
        )
    return _hasher.hash(password)


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    password: str,
    role: str,
    agency_id: str | None = None,
    language: str = "vi",
) -> StaffUser:
    email = normalize_email(email)
    name = name.strip()
    if not name:
        raise InvalidInput("A name is required.", field="name")
    if role not in ROLES:
        raise InvalidInput("Unknown role %(value)s.", field="role", value=role)
    if role in AGENCY_ROLES:
        if not agency_id or session.get(Agency, agency_id) is None:
            raise InvalidInput(
                "Agents and agency heads need an existing agency.", field="agency_id"
            )
    elif role == Role.triage_agent:
        agency_id = agency_id or TRIAGE_AGENCY
    else:
        agency_id = None
    if session.execute(select(col(StaffUser.id)).where(col(StaffUser.email) == email)).first():
        raise Conflict("A staff account with this e-mail already exists.", field="email")
    user = StaffUser(
        email=email,
        name=name,
        password_hash=hash_password(password),
        role=role,
        agency_id=agency_id,
        language=language if language in ("vi", "en") else "vi",
    )
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str) -> StaffUser:
    user = session.execute(
        select(StaffUser).where(col(StaffUser.email) == email.strip().lower())
    ).scalar_one_or_none()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise Unauthorized("The e-mail or the password is not right.")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(*, session: Session, user: StaffUser, kind: str = "browser") -> str:
    """A new random token for this user; the caller puts it in a cookie or hands it out once."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = timedelta(hours=BROWSER_SESSION_HOURS)
    if kind == "api":
        lifetime = timedelta(days=API_TOKEN_DAYS)
    session.add(
        StaffSession(
            token_hash=_digest(token),
            user_id=user.id,
            kind=kind,
            created_at=now,
            expires_at=now + lifetime,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


def issue_api_token(*, session: Session, user: StaffUser) -> str:
    return start_session(session=session, user=user, kind="api")


def user_for_token(*, session: Session, token: str, kind: str) -> StaffUser | None:
    if not token or len(token) > 200:
        return None
    row = session.get(StaffSession, _digest(token))
    now = utcnow()
    if row is None or row.kind != kind:
        return None
    expires_at = as_utc(row.expires_at)
    if expires_at is None or expires_at <= now:
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active:
        return None
    return user


def end_session(*, session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(col(StaffSession.token_hash) == _digest(token)))
    session.flush()


def purge_expired_sessions(*, session: Session) -> int:
    result = session.execute(
        delete(StaffSession).where(col(StaffSession.expires_at) <= utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def count_users(*, session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(StaffUser)).scalar_one())


# Who may do what -------------------------------------------------------------------------

SEES_ALL = frozenset({Role.official, Role.admin})


def can_view(user: StaffUser, ticket: Ticket) -> bool:
    if user.role in SEES_ALL:
        return True
    if user.role == Role.triage_agent:
        return ticket.state == TicketState.triage or ticket.agency_id == TRIAGE_AGENCY
    return user.agency_id is not None and ticket.agency_id == user.agency_id


def check_view(user: StaffUser, ticket: Ticket) -> None:
    if not can_view(user, ticket):
        raise Forbidden("This ticket belongs to another agency.")


def check_act(user: StaffUser, ticket: Ticket, *, triage: bool = False) -> None:
    """Agency staff act on their agency's tickets; the triage desk sorts; officials only read."""
    if user.role == Role.official:
        raise Forbidden("City officials can read tickets but not change them.")
    check_view(user, ticket)
    if triage and user.role not in (Role.triage_agent, Role.admin):
        raise Forbidden("Only the triage desk sets the category of a ticket.")
    if not triage and user.role == Role.triage_agent and ticket.agency_id != TRIAGE_AGENCY:
        raise Forbidden("This ticket belongs to another agency.")


def can_see_contact(user: StaffUser, ticket: Ticket) -> bool:
    """The resident's phone and e-mail, for the staff who must call back: the responsible
    agency's agents and head (and the triage desk while the ticket is with it)."""
    if ticket.anonymous or not (ticket.reporter_phone or ticket.reporter_email):
        return False
    if user.role in (Role.agent, Role.agency_head):
        return user.agency_id is not None and user.agency_id == ticket.agency_id
    if user.role == Role.triage_agent:
        return ticket.state == TicketState.triage or ticket.agency_id == TRIAGE_AGENCY
    return False
