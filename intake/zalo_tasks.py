"""Zalo's background work: handle an event, file a quiet draft, fetch a photo. Ids only."""

from __future__ import annotations

from core.db import session_scope
from core.settings import get_settings
from core.tasks import task
from intake import zalo_conversation, zalo_media


@task("intake.zalo_event")
def zalo_event(*, inbound_id: int) -> str:
    with session_scope() as session:
        return zalo_conversation.handle_event(
            session=session, inbound_id=inbound_id, settings=get_settings()
        )


@task("intake.zalo_file_draft")
def zalo_file_draft(*, draft_id: int) -> str:
    with session_scope() as session:
        return zalo_conversation.file_when_quiet(
            session=session, draft_id=draft_id, settings=get_settings()
        )


@task("intake.fetch_zalo_photo")
def fetch_zalo_photo(*, attachment_id: int) -> str:
    with session_scope() as session:
        return zalo_media.fetch_photo(
            session=session, attachment_id=attachment_id, settings=get_settings()
        )
