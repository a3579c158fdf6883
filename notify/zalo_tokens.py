"""The OA's access token: kept Fernet-encrypted, refreshed one at a time, never lost.

Zalo access tokens live about 25 hours; a refresh token is used once and replaced by a new one,
so two workers refreshing at the same moment would leave one of them holding a dead refresh
token. The refresh therefore runs under a lock (a thread lock in this process and the token
row locked FOR UPDATE on PostgreSQL; SQLite takes its write lock up front): a worker that
waited finds the token already replaced and uses the new one instead of refreshing again.

The key is derived from SECRET_KEY with HKDF, so a database dump alone does not give the tokens.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlmodel import Session, col

from core.clock import as_utc, utcnow
from core.settings import Settings
from core.tasks import TransientError
from notify import zalo_client
from notify.zalo_models import ZaloToken

log = logging.getLogger(__name__)
TOKEN_ROW = 1
EARLY_REFRESH = timedelta(minutes=5)
_refresh_lock = threading.Lock()


class NoZaloTokens(Exception):
    """No tokens configured or stored: the OA cannot send."""


def fernet(settings: Settings) -> Fernet:
    secret = settings.secret_key.get_secret_value().encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"hotline/zalo-oa-tokens"
    ).derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str, settings: Settings) -> str:
    return fernet(settings).encrypt(value.encode()).decode()


def decrypt(value: str, settings: Settings) -> str:
    return fernet(settings).decrypt(value.encode()).decode()


def _seed_hash(settings: Settings) -> str:
    token = settings.zalo_refresh_token.get_secret_value() if settings.zalo_refresh_token else ""
    return hashlib.sha256(token.encode()).hexdigest() if token else ""


def _row(session: Session, *, for_update: bool = False) -> ZaloToken | None:
    query = select(ZaloToken).where(col(ZaloToken.id) == TOKEN_ROW)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _seeded(session: Session, settings: Settings, *, for_update: bool = False) -> ZaloToken:
    """The stored row; written from the settings the first time, or when they were replaced."""
    row = _row(session, for_update=for_update)
    seed = _seed_hash(settings)
    readable = row is not None and _readable(row, settings)
    if row is not None and readable and (not seed or row.seeded_from == seed):
        return row
    access = settings.zalo_access_token.get_secret_value() if settings.zalo_access_token else ""
    refresh_token = (
        settings.zalo_refresh_token.get_secret_value() if settings.zalo_refresh_token else ""
    )
    if not (access or refresh_token):
        raise NoZaloTokens("no Zalo OA tokens are configured")
    if row is None:
        row = ZaloToken(id=TOKEN_ROW, access_token="", refresh_token="")
    row.access_token = encrypt(access, settings)
    row.refresh_token = encrypt(refresh_token, settings)
    # an access token pasted without its expiry is used until Zalo refuses it
    row.expires_at = None if access else utcnow()
    row.seeded_from = seed
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return row


def _readable(row: ZaloToken, settings: Settings) -> bool:
    try:
        decrypt(row.refresh_token, settings)
    except InvalidToken:  # SECRET_KEY changed: start again from the configured tokens
        log.warning("stored Zalo tokens cannot be decrypted with this SECRET_KEY")
        return False
    return True


def access_token(*, session: Session, settings: Settings) -> str:
    """A usable access token, refreshed first if it has expired (or is about to)."""
    row = _seeded(session, settings)
    token = decrypt(row.access_token, settings)
    expires_at = as_utc(row.expires_at)
    if not token or (expires_at is not None and expires_at - EARLY_REFRESH <= utcnow()):
        return refresh(session=session, settings=settings, stale=token)
    return token


def refresh(*, session: Session, settings: Settings, stale: str) -> str:
    """Replace the access token `stale` (once, whoever asks) and return the current one.

    Commits the session: the new refresh token must be durable before anything else happens.
    """
    with _refresh_lock:
        row = _seeded(session, settings, for_update=True)
        current = decrypt(row.access_token, settings)
        expires_at = as_utc(row.expires_at)
        fresh = expires_at is None or expires_at - EARLY_REFRESH > utcnow()
        if current and current != stale and fresh:
            session.commit()  # another worker refreshed while this one waited
            return current
        assert settings.zalo_app_id is not None
        secret = settings.zalo_app_secret_key
        if secret is None:
            session.rollback()
            raise NoZaloTokens("ZALO_APP_SECRET_KEY is needed to refresh the access token")
        try:
            tokens = zalo_client.refresh(
                oauth_url=settings.zalo_oauth_url,
                app_id=settings.zalo_app_id,
                app_secret=secret.get_secret_value(),
                refresh_token=decrypt(row.refresh_token, settings),
            )
        except zalo_client.ZaloRefused as error:
            session.rollback()
            # the refresh token is dead: a person must authorize the OA again; the message
            # stays pending and is retried, not dropped
            log.error("Zalo OA token refresh refused; re-authorize the OA: %s", error)
            raise TransientError("the Zalo refresh token was refused") from error
        except Exception:
            session.rollback()
            raise
        row.access_token = encrypt(tokens.access_token, settings)
        row.refresh_token = encrypt(tokens.refresh_token, settings)
        row.expires_at = tokens.expires_at
        row.refreshed_count += 1
        row.updated_at = utcnow()
        session.add(row)
        session.commit()
        log.info("Zalo OA access token refreshed (refresh #%s)", row.refreshed_count)
        return tokens.access_token
