"""Delivery task: takes the message id, never the number or the text."""

from __future__ import annotations

from core.db import session_scope
from core.tasks import task
from notify import (
    dossier_question,  # noqa: F401  (its subscriber registers on import)
    followup,  # noqa: F401  (its subscriber and tasks register on import)
    merged,  # noqa: F401  (its subscriber registers on import)
    reactions,  # noqa: F401  (its subscribers register on import)
    service,
)


@task("notify.send")
def send(*, message_id: int) -> str:
    with session_scope() as session:
        return service.deliver(session=session, message_id=message_id)
