"""The web form, the JSON API and the call centre check a resident's report here, then file it
through the one intake door (intake.filing)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from core.db import hold
from core.errors import InvalidInput
from core.settings import Settings
from intake import filing, photos, validation
from places import service as places_service
from routing.models import Area, Category
from tickets import service as tickets_service


@dataclass
class ReportInput:
    """What a resident sent, as sent: every field is checked by `submit_report`."""

    description: str | None
    language: str | None = None
    area_id: str | None = None
    address: str | None = None
    latitude: str | float | None = None
    longitude: str | float | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    anonymous: bool = False
    category_id: str | None = None
    photo: bytes | None = None


Submitted = filing.Filed


@dataclass
class Checked:
    """A report that passed every check, with what the checks found on the way."""

    report: tickets_service.NewReport
    photo: photos.CheckedPhoto | None
    emergency_kind: str | None


def names_a_place(text: str) -> bool:
    """The text names a ward, a former ward or district, or a landmark (places' reader)."""
    reading = places_service.read_place(text)
    return reading.ward_code is not None or bool(reading.candidates)


def validate(
    *, session: Session, form: ReportInput, settings: Settings, require_place: bool = True
) -> Checked:
    """Check everything before anything is written; the first problem raises InvalidInput."""
    text = validation.description(form.description, max_chars=settings.max_description_chars)
    language = validation.language(form.language, default=settings.default_language)
    area_id = validation.clean_text(form.area_id) or None
    if area_id is not None and hold(session, session.get(Area, area_id)) is None:
        raise InvalidInput(
            "Unknown ward %(value)s: choose one from the list.", field="area_id", value=area_id
        )
    address = validation.optional_text(form.address, field="address", max_chars=300)
    latitude, longitude = validation.coordinates(
        validation.parse_float(form.latitude, field="latitude"),
        validation.parse_float(form.longitude, field="longitude"),
    )
    # An emergency in progress is filed (and answered with 113/114/115) even without a place:
    # a resident in danger must not be sent back to the form.
    emergency_kind = filing.screen(text)
    if (
        require_place
        and area_id is None
        and address is None
        and latitude is None
        and emergency_kind is None
        and not names_a_place(text)
    ):
        raise InvalidInput(
            "Tell us where: choose a ward, type an address or give coordinates.", field="area_id"
        )
    category_id = validation.clean_text(form.category_id) or None
    if category_id is not None and session.get(Category, category_id) is None:
        raise InvalidInput("Unknown category %(value)s.", field="category_id", value=category_id)
    name = validation.optional_text(form.name, field="name", max_chars=200)
    phone = validation.phone_number(form.phone, region=settings.default_phone_region)
    email = validation.email_address(form.email)
    photo = None
    if form.photo:
        photo = photos.check_photo(form.photo, max_bytes=settings.max_photo_bytes)
    report = tickets_service.NewReport(
        description=text,
        channel="web",
        language=language,
        address=address,
        area_id=area_id,
        latitude=latitude,
        longitude=longitude,
        reporter_name=name,
        reporter_phone=phone,
        reporter_email=email,
        anonymous=bool(form.anonymous),
        requested_category_id=category_id,
    )
    return Checked(report=report, photo=photo, emergency_kind=emergency_kind)


def submit_report(
    *,
    session: Session,
    form: ReportInput,
    settings: Settings,
    channel: str = "web",
    require_place: bool = True,
) -> Submitted:
    checked = validate(
        session=session, form=form, settings=settings, require_place=require_place
    )
    return file_checked(session=session, checked=checked, settings=settings, channel=channel)


def file_checked(
    *, session: Session, checked: Checked, settings: Settings, channel: str = "web"
) -> Submitted:
    """File a report `validate` accepted (the web form asks about likely duplicates between)."""
    report, photo = checked.report, checked.photo
    report.channel = channel
    attachments = []
    if photo is not None:
        path = photos.store_photo(photo, media_dir=settings.media_dir)
        attachments.append(
            tickets_service.NewAttachment(
                content_type=photo.content_type,
                size_bytes=photo.size_bytes,
                sha256=photo.sha256,
                storage_path=path,
            )
        )
    return filing.file_report(
        session=session,
        report=report,
        attachments=attachments,
        emergency_kind=checked.emergency_kind,
    )
