"""The public scoreboard: /scoreboard (a page in both languages, no log-in), /api/v1/scoreboard
(JSON) and /api/v1/scoreboard.csv. Officials, administrators and agency heads who are logged in
see the same page with links from each figure to the tickets behind it (the dashboard's
drill-down)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from dashboard import scoreboard, tables
from httpbase.deps import LanguageDep, SessionDep
from httpbase.render import render
from staff.deps import optional_staff
from staff.models import Role, StaffUser

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["scoreboard"])
DRILL_ROLES = (Role.official.value, Role.admin.value, Role.agency_head.value)
MaybeStaff = Annotated[StaffUser | None, Depends(optional_staff)]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _satisfaction(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}/5"


def _drill(board: scoreboard.Scoreboard, viewer: StaffUser | None):  # type: ignore[no-untyped-def]
    if viewer is None or viewer.role not in DRILL_ROLES:
        return None

    def link(agency_id: str, figure: str, period: str) -> str | None:
        if viewer.role == Role.agency_head.value and viewer.agency_id != agency_id:
            return None
        if period == "rolling":
            start, end = board.rolling_start, board.rolling_end
        else:
            start, end = board.month, min(scoreboard._month_end(board.month), board.rolling_end)
        query = {"agency_id": agency_id, "figure": figure, "start": start.isoformat(),
                 "end": end.isoformat()}
        return f"/dashboard/tickets?{urlencode(query)}"

    return link


@pages.get("/scoreboard")
def scoreboard_page(
    request: Request,
    session: SessionDep,
    language: LanguageDep,
    viewer: MaybeStaff,
    month: str | None = None,
) -> Response:
    board = scoreboard.build(session=session, language=language, month=month)
    return render(
        request,
        "dashboard/scoreboard.html",
        {
            "board": board,
            "percent": _percent,
            "days": _days,
            "satisfaction": _satisfaction,
            "number": tables.fmt_number,
            "drill": _drill(board, viewer),
            "month_value": board.month.strftime("%Y-%m"),
        },
    )


@api.get("/scoreboard")
def scoreboard_json(
    session: SessionDep, language: LanguageDep, month: str | None = None
) -> JSONResponse:
    board = scoreboard.build(session=session, language=language, month=month)
    return JSONResponse(scoreboard.as_json(board))


@api.get("/scoreboard.csv")
def scoreboard_csv(
    session: SessionDep, language: LanguageDep, month: str | None = None
) -> Response:
    board = scoreboard.build(session=session, language=language, month=month)
    name = f"scoreboard_{board.month.strftime('%Y-%m')}.csv"
    return Response(
        content="\ufeff" + scoreboard.as_csv(board),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


routers = [pages, api]
