"""Two languages everywhere: every string shown to people has a Vietnamese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from core.i18n import catalog, gettext, missing_translations

ROOT = Path(__file__).resolve().parent.parent
# gettext(language, message) carries the message second; _("...") in templates and code
KEYWORDS = {
    "_": None,
    "gettext": (2,),
    "ngettext": (2, 3),
    "N_": None,
    # the project's errors carry a message a person reads
    **{
        name: None
        for name in (
            "HotlineError",
            "InvalidInput",
            "NotFound",
            "Forbidden",
            "Unauthorized",
            "Conflict",
            "IllegalTransition",
            "TooLarge",
            "RateLimited",
            "ModelUnavailable",
        )
    },
}
METHOD_MAP = [
    ("**/.venv/**", "ignore"),
    ("**/tests/**", "ignore"),
    ("**/bench/**", "ignore"),
    ("**/alembic/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]


def extracted_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, keywords=KEYWORDS, strip_comment_tags=True
    ):
        text = message[0] if isinstance(message, tuple) else message
        if text:
            found.add(text)
    return found


def marked_constants() -> set[str]:
    """Labels kept in dicts (states, events, message templates) are catalog keys too."""
    from notify.service import SUBJECTS, TEMPLATES
    from tickets.public import EVENT_LABELS, STATE_LABELS

    return {*STATE_LABELS.values(), *EVENT_LABELS.values(), *TEMPLATES.values(), *SUBJECTS.values()}


def test_every_shown_string_has_a_vietnamese_translation() -> None:
    messages = extracted_messages() | marked_constants()
    assert len(messages) > 50, "the extraction found suspiciously few strings"
    missing = missing_translations(messages, "vi")
    assert not missing, "no Vietnamese for:\n" + "\n".join(sorted(missing))


def test_translation_keeps_placeholders() -> None:
    for message, translated in catalog("vi").items():
        text = translated[0] if isinstance(translated, tuple | list) else translated
        for placeholder in ("%(code)s", "%(link)s", "%(value)s"):
            if placeholder in message:
                assert placeholder in text, f"{placeholder} lost in the translation of {message!r}"


def test_english_is_the_source_and_vietnamese_differs() -> None:
    assert gettext("en", "Report a problem") == "Report a problem"
    assert gettext("vi", "Report a problem") != "Report a problem"
