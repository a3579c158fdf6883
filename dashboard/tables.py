"""The dashboard's tables as the page shows them; the CSV export writes the very same cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from core import i18n
from core.errors import NotFound
from core.i18n import gettext
from dashboard import service
from dashboard.models import RESOLVE_BUCKETS
from dashboard.service import NONE, Filters

TABLES = ("volumes", "rising", "categories", "agencies", "wards", "channels")


@dataclass
class Column:
    key: str
    label: str
    figure: str | None = None  # the drill-down figure behind the number, if any


@dataclass
class Row:
    cells: list[str]
    links: dict[int, str] = field(default_factory=dict)  # cell index -> drill-down URL
    raw: dict[str, Any] = field(default_factory=dict)
    flagged: bool = False


@dataclass
class TableView:
    name: str
    title: str
    columns: list[Column]
    rows: list[Row]
    note: str | None = None

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([column.label for column in self.columns])
        for row in self.rows:
            writer.writerow(row.cells)
        return out.getvalue()


# The language figures are written in (Babel's formats: "6.160" and "75,6%" in Vietnamese):
# set by `build` and by the pages (`in_language`) for the time they format
_LANGUAGE: ContextVar[str] = ContextVar("dashboard_language", default="en")


@contextmanager
def in_language(language: str) -> Iterator[None]:
    token = _LANGUAGE.set(language)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def fmt_count(value: int | None) -> str:
    return "" if value is None else i18n.format_number(value, _LANGUAGE.get())


def fmt_share(value: float | None) -> str:
    return "" if value is None else i18n.format_percent(value, _LANGUAGE.get(), digits=1)


def fmt_hours(value: float | None) -> str:
    return "" if value is None else i18n.format_number(value, _LANGUAGE.get(), digits=1)


def fmt_number(value: float | None, digits: int = 2) -> str:
    return "" if value is None else i18n.format_number(value, _LANGUAGE.get(), digits=digits)


def fmt_day(value: date) -> str:
    return i18n.format_date(value, _LANGUAGE.get(), format="short")


def drill_url(filters: Filters, figure: str, **overrides: str | None) -> str:
    params = {**filters.as_params(), "figure": figure}
    for key, value in overrides.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "/dashboard/tickets?" + urlencode(params)


class Labels:
    """Display names of the keys (category, ward, agency, channel) in the page language."""

    def __init__(self, session: Session, language: str) -> None:
        self.language = language
        self.names = service.names(session=session, language=language)

    def __call__(self, group: str, key: str | None) -> str:
        if key is None:
            return gettext(self.language, "Not set")
        if group == "channel":
            return channel_label(self.language, key)
        return self.names.get(group, {}).get(key, key)


def channel_label(language: str, channel: str) -> str:
    _ = lambda text: gettext(language, text)  # noqa: E731
    labels = {
        "web": _("Web form"),
        "sms": _("SMS"),
        "phone": _("Phone"),
        "open311": _("Open311 apps"),
        "api": _("API"),
        "zalo": _("Zalo"),
    }
    return labels.get(channel, channel)


def build(
    name: str, *, session: Session, filters: Filters, language: str, by: str = "day"
) -> TableView:
    builders: dict[str, Callable[..., TableView]] = {
        "volumes": _volumes,
        "rising": _rising,
        "categories": _categories,
        "agencies": _agencies,
        "wards": _wards,
        "channels": _channels,
    }
    if name not in builders:
        raise NotFound("There is no table named %(value)s.", value=name[:40])
    labels = Labels(session, language)
    with in_language(language):
        return builders[name](
            session=session, filters=filters, language=language, labels=labels, by=by
        )


def _key_param(key: str | None) -> str:
    return NONE if key is None else key


def _volumes(
    *, session: Session, filters: Filters, language: str, labels: Labels, by: str
) -> TableView:
    _ = lambda text: gettext(language, text)  # noqa: E731
    columns = [Column("period", _("Period starting")), Column("created", _("Reports"), "created")]
    rows = []
    for item in service.volumes(session=session, filters=filters, by=by):
        first: date = item["period"]
        if by == "week":
            last = first + timedelta(days=6)
        elif by == "month":
            last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        else:
            last = first
        first, last = max(first, filters.start), min(last, filters.end)
        url = drill_url(filters, "created", start=first.isoformat(), end=last.isoformat())
        rows.append(
            Row(
                cells=[fmt_day(item["period"]), fmt_count(item["created"])],
                links={1: url},
                raw={"period": item["period"].isoformat(), "created": item["created"]},
            )
        )
    return TableView("volumes", _("Reports over time"), columns, rows)


def _rising(
    *, session: Session, filters: Filters, language: str, labels: Labels, by: str
) -> TableView:
    _ = lambda text: gettext(language, text)  # noqa: E731
    columns = [
        Column("category", _("Category")),
        Column("this_week", _("This week"), "created"),
        Column("mean", _("Weekly average, 8 weeks before")),
        Column("change", _("Change")),
        Column("z", _("How far above normal (in usual ups and downs)")),
        Column("p_value", _("Chance of such a week by luck alone")),
        Column("flagged", _("Rising")),
    ]
    week_start = (filters.end - timedelta(days=6)).isoformat()
    rows = []
    for item in service.rising(session=session, filters=filters):
        url = drill_url(
            filters, "created", start=week_start, category_id=_key_param(item.key)
        )
        rows.append(
            Row(
                cells=[
                    labels("category_id", item.key),
                    fmt_count(item.this_week),
                    fmt_number(item.mean, 1),
                    fmt_share(item.change),
                    fmt_number(item.z, 1),
                    fmt_share(item.p_value),
                    _("yes") if item.flagged else _("no"),
                ],
                links={1: url},
                raw={
                    "category_id": item.key,
                    "this_week": item.this_week,
                    "weekly": item.weekly,
                    "mean": item.mean,
                    "deviation": item.deviation,
                    "z": item.z,
                    "change": item.change,
                    "p_value": item.p_value,
                    "flagged": item.flagged,
                },
                flagged=item.flagged,
            )
        )
    return TableView(
        "rising", _("Rising categories"), columns, rows, note=_(service.RISING_METHOD)
    )


def _figure_table(
    *,
    name: str,
    title: str,
    group: str,
    rows_data: list[dict[str, Any]],
    spec: list[tuple[str, str, str | None, Callable[[Any], str]]],
    first_label: str,
    filters: Filters,
    labels: Labels,
) -> TableView:
    columns = [Column(group, first_label)] + [
        Column(key, label, figure) for key, label, figure, _fmt in spec
    ]
    rows = []
    for item in rows_data:
        cells = [labels(group, item["key"])]
        links = {}
        for index, (key, _label, figure, formatter) in enumerate(spec, start=1):
            cells.append(formatter(item.get(key)))
            if figure is not None:
                links[index] = drill_url(filters, figure, **{group: _key_param(item["key"])})
        raw = {group: item["key"], **{key: item.get(key) for key, *_rest in spec}}
        rows.append(Row(cells=cells, links=links, raw=raw))
    return TableView(name, title, columns, rows)


def _categories(
    *, session: Session, filters: Filters, language: str, labels: Labels, by: str
) -> TableView:
    _ = lambda text: gettext(language, text)  # noqa: E731
    spec: list[tuple[str, str, str | None, Callable[[Any], str]]] = [
        ("created", _("Reports"), "created", fmt_count),
        ("backlog_open", _("Open now"), "open", fmt_count),
        ("backlog_overdue", _("Overdue now"), "overdue", fmt_count),
        ("resolved_on_time_share", _("Resolved on time"), "resolved_on_time", fmt_share),
        ("resolve_median_hours", _("Median hours to resolve"), "resolved", fmt_hours),
        ("rating_average", _("Average rating"), "rated", fmt_number),
    ]
    return _figure_table(
        name="categories",
        title=_("By category"),
        group="category_id",
        rows_data=service.breakdown(
            session=session,
            filters=filters,
            group="category_id",
            columns=(*service.RESOLUTION_COLUMNS, *RESOLVE_BUCKETS),
        ),
        spec=spec,
        first_label=_("Category"),
        filters=filters,
        labels=labels,
    )


def _agencies(
    *, session: Session, filters: Filters, language: str, labels: Labels, by: str
) -> TableView:
    _ = lambda text: gettext(language, text)  # noqa: E731
    spec: list[tuple[str, str, str | None, Callable[[Any], str]]] = [
        ("created", _("Reports"), "created", fmt_count),
        ("backlog_open", _("Open now"), "open", fmt_count),
        ("backlog_overdue", _("Overdue now"), "overdue", fmt_count),
        ("ack_on_time_share", _("Acknowledged on time"), "ack_on_time", fmt_share),
        ("resolved_on_time_share", _("Resolved on time"), "resolved_on_time", fmt_share),
        ("ack_median_hours", _("Median hours to acknowledge"), "ack_on_time", fmt_hours),
        ("ack_p90_hours", _("Hours within which 9 in 10 were acknowledged"), None, fmt_hours),
        ("resolve_median_hours", _("Median hours to resolve"), "resolved", fmt_hours),
        ("resolve_p90_hours", _("Hours within which 9 in 10 were resolved"), None, fmt_hours),
        ("transfers_out", _("Transferred away"), "transferred_out", fmt_count),
        ("rating_average", _("Average rating"), "rated", fmt_number),
        ("rating_high_share", _("Rated 4 or 5"), "rating_high", fmt_share),
    ]
    return _figure_table(
        name="agencies",
        title=_("By agency"),
        group="agency_id",
        rows_data=service.agencies(session=session, filters=filters),
        spec=spec,
        first_label=_("Agency"),
        filters=filters,
        labels=labels,
    )


def _wards(
    *, session: Session, filters: Filters, language: str, labels: Labels, by: str
) -> TableView:
    _ = lambda text: gettext(language, text)  # noqa: E731
    spec: list[tuple[str, str, str | None, Callable[[Any], str]]] = [
        ("created", _("Reports"), "created", fmt_count),
        ("backlog_open", _("Open now"), "open", fmt_count),
        ("backlog_overdue", _("Overdue now"), "overdue", fmt_count),
        ("resolved_on_time_share", _("Resolved on time"), "resolved_on_time", fmt_share),
        ("rating_average", _("Average rating"), "rated", fmt_number),
    ]
    return _figure_table(
        name="wards",
        title=_("By ward"),
        group="area_id",
        rows_data=service.breakdown(
            session=session, filters=filters, group="area_id", columns=service.RESOLUTION_COLUMNS
        ),
        spec=spec,
        first_label=_("Ward"),
        filters=filters,
        labels=labels,
    )


def _channels(
    *, session: Session, filters: Filters, language: str, labels: Labels, by: str
) -> TableView:
    _ = lambda text: gettext(language, text)  # noqa: E731
    spec: list[tuple[str, str, str | None, Callable[[Any], str]]] = [
        ("created", _("Reports"), "created", fmt_count),
        ("share", _("Share"), None, fmt_share),
    ]
    return _figure_table(
        name="channels",
        title=_("By channel"),
        group="channel",
        rows_data=service.by_channel(session=session, filters=filters),
        spec=spec,
        first_label=_("Channel"),
        filters=filters,
        labels=labels,
    )
