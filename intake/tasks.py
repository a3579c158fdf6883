"""Intake's background work: fetching MMS photos from Twilio (they need the account's auth)."""

from __future__ import annotations

import logging

from core.db import session_scope
from core.settings import get_settings
from core.tasks import task
from intake import media

log = logging.getLogger(__name__)


@task("intake.fetch_mms_media")
def fetch_mms_media(*, attachment_id: int) -> str:
    with session_scope() as session:
        return media.fetch_attachment(
            session=session, attachment_id=attachment_id, settings=get_settings()
        )



from intake import zalo_tasks  # noqa: E402,F401  (registers the Zalo tasks)
