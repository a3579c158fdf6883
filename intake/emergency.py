"""An emergency in progress is answered at once with the emergency numbers, and still filed."""

from __future__ import annotations

import logging

from classify import emergency_model
from core.i18n import gettext

log = logging.getLogger(__name__)


def detect(text: str) -> str | None:
    """The kind of emergency (fire, crime, medical, rescue), or None: the rules, then the
    served model version's learned detector (recall first: a false alarm only adds the
    emergency numbers to the answer; the report is filed as usual). About a millisecond."""
    try:
        return emergency_model.detect(text)
    except Exception:  # detection must never stop a report from being filed
        log.exception("emergency detection failed")
        return None


def advice(language: str) -> str:
    return gettext(
        language,
        "If this is an emergency happening now, call 113 (police), 114 (fire and rescue) "
        "or 115 (ambulance) at once.",
    )
