"""The dashboard's pages (/dashboard...), its JSON API (/api/v1/dashboard/...) and CSV export.

Officials and administrators see the whole city; an agency head sees their own agency only.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlmodel import Session

from core.errors import Forbidden, HotlineError, InvalidInput
from core.i18n import format_datetime, gettext
from core.settings import get_settings
from dashboard import (
    drilldown,
    hotspots,
    procedures,
    rollup,
    scoreboard_views,
    service,
    tables,
)
from dashboard.service import Filters
from httpbase.deps import LanguageDep, SessionDep
from httpbase.render import render
from staff.deps import require_roles
from staff.models import Role, StaffUser
from tickets import codes
from tickets.models import Channel
from tickets.public import STATE_LABELS

VIEW_ROLES = (Role.official.value, Role.admin.value, Role.agency_head.value)
Viewer = Annotated[StaffUser, Depends(require_roles(*VIEW_ROLES))]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


def get_filters(
    session: SessionDep,
    viewer: Viewer,
    start: str | None = None,
    end: str | None = None,
    category_id: str | None = None,
    area_id: str | None = None,
    agency_id: str | None = None,
    channel: str | None = None,
) -> Filters:
    if viewer.role == Role.agency_head.value:
        if agency_id and agency_id != viewer.agency_id:
            raise Forbidden("You can see the figures of your own agency only.")
        agency_id = viewer.agency_id
    return service.parse_filters(
        session=session,
        start=start,
        end=end,
        category_id=category_id,
        area_id=area_id,
        agency_id=agency_id,
        channel=channel,
    )


FiltersDep = Annotated[Filters, Depends(get_filters)]


def _by(by: str | None, filters: Filters) -> str:
    if by in (None, ""):
        days = (filters.end - filters.start).days + 1
        return "day" if days <= 92 else ("week" if days <= 400 else "month")
    if by not in ("day", "week", "month"):
        raise InvalidInput("Unknown value %(value)s.", field="by", value=str(by)[:20])
    return by


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _charts(
    views: dict[str, tables.TableView], totals: dict[str, Any], language: str
) -> dict[str, Any]:
    _ = lambda text: gettext(language, text)  # noqa: E731
    volumes = views["volumes"]
    categories = views["categories"].rows
    agencies = [row for row in views["agencies"].rows if row.raw.get("created")]
    channels = views["channels"].rows
    return {
        "volume": {
            "labels": [row.cells[0] for row in volumes.rows],
            "values": [row.raw["created"] for row in volumes.rows],
            "links": [row.links.get(1) for row in volumes.rows],
            "label": _("Reports"),
        },
        "category": {
            "labels": [row.cells[0] for row in categories],
            "values": [row.raw["created"] for row in categories],
            "links": [row.links.get(1) for row in categories],
            "label": _("Reports"),
        },
        "agency": {
            "labels": [row.cells[0] for row in agencies],
            "ack": [_percent(row.raw.get("ack_on_time_share")) for row in agencies],
            "resolved": [_percent(row.raw.get("resolved_on_time_share")) for row in agencies],
            "links": [row.links.get(4) for row in agencies],
            "ack_label": _("Acknowledged on time"),
            "resolved_label": _("Resolved on time"),
        },
        "channel": {
            "labels": [row.cells[0] for row in channels],
            "values": [row.raw["created"] for row in channels],
            "links": [row.links.get(1) for row in channels],
        },
    }


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


@pages.get("/dashboard")
def overview(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    language: LanguageDep,
    start: str | None = None,
    end: str | None = None,
    category_id: str | None = None,
    area_id: str | None = None,
    agency_id: str | None = None,
    channel: str | None = None,
    by: str | None = None,
) -> Response:
    submitted = {
        "start": start,
        "end": end,
        "category_id": category_id,
        "area_id": area_id,
        "agency_id": agency_id,
        "channel": channel,
    }
    error: HotlineError | None = None
    try:
        filters = get_filters(session, viewer, **submitted)
        grouping = _by(by, filters)
    except InvalidInput as refused:
        # the form again, with what was typed and what is wrong (the figures of the default
        # period below it), never a dead-end error page
        error = refused
        filters = get_filters(session, viewer, agency_id=agency_id if not refused.field
                              or refused.field != "agency_id" else None)
        grouping = _by(None, filters)
    views = {
        name: tables.build(
            name, session=session, filters=filters, language=language, by=grouping
        )
        for name in tables.TABLES
    }
    totals = service.totals(session=session, filters=filters)
    labels = tables.Labels(session, language)
    with tables.in_language(language):
        return render(
            request,
            "dashboard/overview.html",
            {
                "viewer": viewer,
                "filters": filters,
                "error": error,
                "form": {
                    "start": start if error else filters.start.isoformat(),
                    "end": end if error else filters.end.isoformat(),
                },
                "by": grouping,
                "totals": totals,
                "views": views,
                # serialised by the template's tojson (<, >, & and ' escaped), never pasted
                "charts": _charts(views, totals, language),
                "choices": {
                    group: sorted(labels.names[group].items(), key=lambda item: item[1])
                    for group in ("category_id", "area_id", "agency_id")
                },
                "channels": [(c.value, tables.channel_label(language, c.value)) for c in Channel],
                "fmt_share": tables.fmt_share,
                "fmt_hours": tables.fmt_hours,
                "fmt_number": tables.fmt_number,
                "fmt_count": tables.fmt_count,
                "rising_method": gettext(language, service.RISING_METHOD),
                "drill": lambda figure: tables.drill_url(filters, figure),
                "export_query": _query(filters, grouping),
                "refreshed_at": rollup.last_refresh(session=session),
                "agency_locked": viewer.role == Role.agency_head.value,
            },
            status_code=error.status_code if error else 200,
        )


@pages.get("/dashboard/procedures")
def procedure_complaints(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    filters: FiltersDep,
    language: LanguageDep,
) -> Response:
    """Complaints about administrative procedures, per procedure and per service centre."""
    return render(
        request,
        "dashboard/procedures.html",
        {
            "viewer": viewer,
            "filters": filters,
            "breakdown": procedures.breakdown(session=session, filters=filters, language=language),
            "fmt_share": tables.fmt_share,
        },
    )


@pages.get("/dashboard/hotspots")
def hotspot_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    filters: FiltersDep,
    language: LanguageDep,
) -> Response:
    """Clusters of one category in one ward, with size and growth; problems against reports."""
    labels = tables.Labels(session, language)
    return render(
        request,
        "dashboard/hotspots.html",
        {
            "viewer": viewer,
            "filters": filters,
            "summary": hotspots.summary(session=session, filters=filters),
            "names": labels.names,
            "fmt_share": tables.fmt_share,
            "drill": lambda spot: tables.drill_url(
                filters, "created", category_id=spot.category_id, area_id=spot.area_id
            ),
        },
    )


def _query(filters: Filters, by: str) -> str:
    from urllib.parse import urlencode

    return urlencode({**filters.as_params(), "by": by})


def _csv_response(view: tables.TableView, filters: Filters) -> Response:
    name = f"{view.name}_{filters.start.isoformat()}_{filters.end.isoformat()}.csv"
    return Response(
        content="\ufeff" + view.csv(),  # the BOM lets spreadsheet programs read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@pages.get("/dashboard/export/{name}.csv")
def export_table(
    name: str,
    session: SessionDep,
    viewer: Viewer,
    filters: FiltersDep,
    language: LanguageDep,
    by: str | None = None,
) -> Response:
    view = tables.build(
        name, session=session, filters=filters, language=language, by=_by(by, filters)
    )
    return _csv_response(view, filters)


TICKET_COLUMNS = (
    ("id", "Ticket"),
    ("code", "Tracking code"),
    ("created_at", "Filed (city time)"),
    ("state", "State"),
    ("category_id", "Category"),
    ("area_id", "Ward"),
    ("agency_id", "Agency"),
    ("channel", "Channel"),
    ("resolved_at", "Resolved (city time)"),
    ("rating", "Rating"),
)


def _ticket_cells(row: dict[str, Any], language: str, labels: tables.Labels) -> list[str]:
    zone = get_settings().city_timezone

    def local(moment: datetime | None) -> str:
        return format_datetime(moment, language, timezone=zone, format="short") if moment else ""

    label = STATE_LABELS.get(row["state"])
    return [
        str(row["id"]),
        codes.display(row["code"]) if len(row["code"]) == 8 else row["code"],
        local(row["created_at"]),
        gettext(language, label) if label else row["state"],
        labels("category_id", row["category_id"]),
        labels("area_id", row["area_id"]),
        labels("agency_id", row["agency_id"]),
        tables.channel_label(language, row["channel"]),
        local(row["resolved_at"]),
        "" if row["rating"] is None else str(row["rating"]),
    ]


def _ticket_table(page: drilldown.Page, language: str, labels: tables.Labels) -> tables.TableView:
    columns = [tables.Column(key, gettext(language, title)) for key, title in TICKET_COLUMNS]
    rows = [
        tables.Row(
            cells=_ticket_cells(row, language, labels),
            links={0: f"/staff/tickets/{row['id']}"},
            raw=row,
        )
        for row in page.rows
    ]
    return tables.TableView(
        "tickets", gettext(language, "Tickets behind the figure"), columns, rows
    )


@pages.get("/dashboard/tickets")
def drill_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    filters: FiltersDep,
    language: LanguageDep,
    figure: str = "created",
    page: Annotated[int, Query(ge=1, le=drilldown.MAX_PAGE)] = 1,
) -> Response:
    found = drilldown.tickets(session=session, filters=filters, figure=figure, page=page)
    total = drilldown.count(session=session, filters=filters, figure=figure)
    labels = tables.Labels(session, language)
    view = _ticket_table(found, language, labels)
    from urllib.parse import urlencode

    base = {**filters.as_params(), "figure": figure}
    with tables.in_language(language):
        return render(
            request,
            "dashboard/tickets.html",
            {
                "viewer": viewer,
                "filters": filters,
                "figure": figure,
                "figures": drilldown.FIGURES,
                "figure_label": lambda name: figure_label(language, name),
                "view": view,
                "page": found,
                "total": total,
                "first_shown": (page - 1) * drilldown.PAGE_SIZE + 1 if found.rows else 0,
                "last_shown": (page - 1) * drilldown.PAGE_SIZE + len(found.rows),
                "labels": labels,
                "prev_url": f"/dashboard/tickets?{urlencode({**base, 'page': page - 1})}"
                if page > 1
                else None,
                "next_url": f"/dashboard/tickets?{urlencode({**base, 'page': page + 1})}"
                if found.has_next
                else None,
                "csv_url": f"/dashboard/tickets.csv?{urlencode(base)}",
                "back_url": f"/dashboard?{urlencode(filters.as_params())}",
            },
        )


CSV_BATCH = 1000


@pages.get("/dashboard/tickets.csv")
def drill_csv(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    filters: FiltersDep,
    language: LanguageDep,
    figure: str = "created",
) -> Response:
    """Every ticket behind the figure (not one page), streamed in batches from a cursor of its
    own, so a large export takes little memory and starts at once."""
    drilldown.check_figure(figure)
    labels = tables.Labels(session, language)
    engine = request.app.state.engine
    header = [gettext(language, title) for _key, title in TICKET_COLUMNS]

    def lines() -> Iterator[str]:
        out = io.StringIO()
        writer = csv.writer(out)
        out.write("\ufeff")  # the BOM lets spreadsheet programs read UTF-8
        writer.writerow(header)
        with Session(engine) as reader:
            result = reader.execute(
                drilldown.all_query(filters=filters, figure=figure).execution_options(
                    yield_per=CSV_BATCH
                )
            )
            for batch in result.mappings().partitions(CSV_BATCH):
                for row in batch:
                    writer.writerow(_ticket_cells(dict(row), language, labels))
                yield out.getvalue()
                out.seek(0)
                out.truncate()
        yield out.getvalue()

    name = f"tickets_{figure}_{filters.start.isoformat()}_{filters.end.isoformat()}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def figure_label(language: str, figure: str) -> str:
    _ = lambda text: gettext(language, text)  # noqa: E731
    labels = {
        "created": _("Reports filed"),
        "open": _("Open now"),
        "overdue": _("Overdue now"),
        "paused": _("Waiting for the resident (clock paused)"),
        "rejected": _("Rejected"),
        "ack_on_time": _("Acknowledged on time"),
        "ack_late": _("Acknowledged late"),
        "ack_missed": _("Not acknowledged, past the deadline"),
        "resolved": _("Resolved"),
        "resolved_on_time": _("Resolved on time"),
        "resolved_late": _("Resolved late"),
        "resolve_missed": _("Not resolved, past the deadline"),
        "transferred": _("Transferred at least once"),
        "transferred_out": _("Transferred away from the agency"),
        "reopened": _("Reopened by the resident"),
        "rated": _("Rated"),
        "rating_high": _("Rated 4 or 5"),
        "resolved_not_fixed": _("Answered as not ours or cannot be done"),
        "scheduled": _("Scheduled for a date"),
        "fix_asked": _("Asked whether it is fixed"),
        "fix_confirmed": _("Confirmed fixed by the resident"),
        "fix_not_fixed": _("Said not fixed by the resident"),
        "fix_no_answer": _("No answer to whether it is fixed"),
    }
    return labels.get(figure, figure)


# JSON API ------------------------------------------------------------------------------------


@api.get("/summary")
def api_summary(
    session: SessionDep, viewer: Viewer, filters: FiltersDep, by: str | None = None
) -> JSONResponse:
    """Headline figures, volumes, rising categories and the breakdowns, for other tools."""
    grouping = _by(by, filters)
    body = {
        "filters": _jsonable(filters.as_params()),
        "by": grouping,
        "totals": service.totals(session=session, filters=filters),
        "volumes": _jsonable(service.volumes(session=session, filters=filters, by=grouping)),
        "rising": {
            "method": service.RISING_METHOD,
            "categories": [asdict(r) for r in service.rising(session=session, filters=filters)],
        },
        "categories": service.breakdown(session=session, filters=filters, group="category_id"),
        "agencies": service.agencies(session=session, filters=filters),
        "wards": service.breakdown(session=session, filters=filters, group="area_id"),
        "channels": service.by_channel(session=session, filters=filters),
        "refreshed_at": _jsonable(rollup.last_refresh(session=session)),
    }
    return JSONResponse(_jsonable(body))


@api.get("/tables/{name}")
def api_table(
    name: str,
    session: SessionDep,
    viewer: Viewer,
    filters: FiltersDep,
    language: LanguageDep,
    by: str | None = None,
) -> JSONResponse:
    view = tables.build(
        name, session=session, filters=filters, language=language, by=_by(by, filters)
    )
    return JSONResponse(
        _jsonable(
            {
                "name": view.name,
                "title": view.title,
                "columns": [c.key for c in view.columns],
                "rows": [row.raw for row in view.rows],
            }
        )
    )


@api.get("/tickets")
def api_tickets(
    session: SessionDep,
    viewer: Viewer,
    filters: FiltersDep,
    figure: str = "created",
    page: Annotated[int, Query(ge=1, le=drilldown.MAX_PAGE)] = 1,
) -> JSONResponse:
    found = drilldown.tickets(session=session, filters=filters, figure=figure, page=page)
    return JSONResponse(
        _jsonable(
            {
                "figure": figure,
                "page": found.page,
                "has_next": found.has_next,
                "tickets": [
                    {**row, "url": f"/staff/tickets/{row['id']}"} for row in found.rows
                ],
            }
        )
    )


routers = [pages, api, *scoreboard_views.routers]
