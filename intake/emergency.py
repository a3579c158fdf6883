"""An emergency in progress is answered at once with the emergency numbers, and still filed."""

from __future__ import annotations

import logging

from classify import emergency as classify_emergency
from core.i18n import gettext

log = logging.getLogger(__name__)


def detect(text: str) -> str | None:
    """The kind of emergency in progress (fire, crime, medical), or None. Cheap: no model."""
    try:
        return classify_emergency.detect(text)
    except Exception:  # detection must never stop a report from being filed
        log.exception("emergency detection failed")
        return None


def advice(language: str) -> str:
    return gettext(
        language,
        "If this is an emergency happening now, call 113 (police), 114 (fire and rescue) "
        "or 115 (ambulance) at once.",
    )
