"""Roll-up tables of the officials' dashboard.

`dashboard_daily` holds, per day of filing (city time) and per (category, ward, agency,
channel), the counts every figure needs, at three levels of detail so that a figure reads a few
thousand rows instead of millions of tickets:

- level "full": every dimension;
- level "city": the ward summed out (category, agency, channel);
- level "area": category and agency summed out (ward, channel).

`dashboard_monthly` holds the same sums per calendar month (same levels): a figure over a long
period reads the whole months it covers there and only the days of the partial months at its
ends from `dashboard_daily` (at 10 M tickets a year of daily rows took over a second to sum).
Its dimension columns hold "" where the daily rows hold NULL (summed out, or not set on the
ticket), so that one unique key can take the refresh's additions (dashboard.rollup).

A ticket is counted on the day it was filed (a cohort): when it changes later, that day is
recomputed (dashboard.rollup). Durations are kept as histograms in fixed hour buckets, from which
medians and 90th percentiles are read.

`dashboard_transfer_daily` counts transfers (from one agency to another) the same way, by the
filing day of the ticket, at levels "full" and "city".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Date, Index, Integer, String, Table, text
from sqlmodel import Field, SQLModel

from core.db import UTCDateTime

BigIntegerPK = BigInteger().with_variant(Integer(), "sqlite")

# Upper edges (hours) of the duration buckets; the last bucket is open-ended.
BUCKET_EDGES_HOURS: tuple[float, ...] = (
    0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720,
)
BUCKETS = len(BUCKET_EDGES_HOURS) + 1
ACK_BUCKETS = tuple(f"ack_h{i:02d}" for i in range(BUCKETS))
RESOLVE_BUCKETS = tuple(f"resolve_h{i:02d}" for i in range(BUCKETS))

LEVELS = ("full", "city", "area")
# Counts kept per row; their definitions (one SQL condition each) live in dashboard.measures.
COUNTS = (
    "created",
    "open",
    "overdue",
    "paused",
    "rejected",
    "ack_on_time",
    "ack_late",
    "ack_missed",
    "resolved",
    "resolved_on_time",
    "resolved_late",
    "resolve_missed",
    "transferred",
    "transfers",
    "reopened",
    "rated",
    "rating_sum",
    "rating_high",
    # --- closing the loop (issue 17) ---
    "resolved_not_fixed",
    "scheduled",
    "fix_asked",
    "fix_confirmed",
    "fix_not_fixed",
    "fix_no_answer",
)

# the columns a resolution breakdown (the ward table among them) sums, and what the
# index-only reads carry (see the indexes below)
RESOLUTION_COLUMNS = (
    "created", "resolved", "resolved_on_time", "resolved_late", "resolve_missed", "rated",
    "rating_sum", "rating_high",
)
WARD_TABLE_COLUMNS = ("area_id", *RESOLUTION_COLUMNS)
BACKLOG_COLUMNS = ("category_id", "agency_id", "area_id", "channel", "open", "overdue", "paused")

SUMMED = (*COUNTS, *ACK_BUCKETS, *RESOLVE_BUCKETS)
DIMENSIONS = ("category_id", "area_id", "agency_id", "channel")
MONTHLY_UNSET = ""  # a dimension of a monthly row that is summed out or not set


def _summed_columns() -> list[Column[int]]:
    return [Column(name, Integer, nullable=False, server_default="0") for name in SUMMED]


dashboard_daily = Table(
    "dashboard_daily",
    SQLModel.metadata,
    Column("id", BigIntegerPK, primary_key=True, autoincrement=True),
    Column("level", String(8), nullable=False),
    Column("day", Date, nullable=False),
    Column("category_id", String(64), nullable=True),
    Column("area_id", String(64), nullable=True),
    Column("agency_id", String(64), nullable=True),
    Column("channel", String(16), nullable=True),
    *_summed_columns(),
    Index("ix_dashboard_daily_level_day", "level", "day"),
    Index("ix_dashboard_daily_level_area_day", "level", "area_id", "day"),
    # On PostgreSQL these two carry the ward and the columns of the ward table (service.
    # RESOLUTION_COLUMNS), so that a ward table filtered by category or agency -- and the
    # "area" level, whose category is NULL -- is an index-only scan: at 10 M tickets the rows
    # are 1.8 GB of wide rows and reading them cost 1.3 to 1.9 s (bench/dashboard.py).
    Index(
        "ix_dashboard_daily_level_category_day",
        "level",
        "category_id",
        "day",
        postgresql_include=list(WARD_TABLE_COLUMNS),
    ),
    Index(
        "ix_dashboard_daily_level_agency_day",
        "level",
        "agency_id",
        "day",
        postgresql_include=list(WARD_TABLE_COLUMNS),
    ),
    # the backlog reads every day up to now, but only the few rows that still have open tickets
    # (with the dimensions and counts it sums, index-only on PostgreSQL)
    Index(
        "ix_dashboard_daily_open",
        "level",
        "day",
        postgresql_where=text("open > 0"),
        sqlite_where=text("open > 0"),
        postgresql_include=list(BACKLOG_COLUMNS),
    ),
)

dashboard_monthly = Table(
    "dashboard_monthly",
    SQLModel.metadata,
    Column("id", BigIntegerPK, primary_key=True, autoincrement=True),
    Column("level", String(8), nullable=False),
    Column("month", Date, nullable=False),  # its first day
    *(Column(name, String(64), nullable=False, server_default=MONTHLY_UNSET)
      for name in DIMENSIONS),
    *_summed_columns(),
    # the refresh adds to a row by this key (INSERT ... ON CONFLICT); city and area reads by
    # month use its leading columns
    Index("ux_dashboard_monthly_key", "level", "month", *DIMENSIONS, unique=True),
    Index("ix_dashboard_monthly_level_category_month", "level", "category_id", "month"),
    Index("ix_dashboard_monthly_level_agency_month", "level", "agency_id", "month"),
    Index("ix_dashboard_monthly_level_area_month", "level", "area_id", "month"),
)

dashboard_transfer_daily = Table(
    "dashboard_transfer_daily",
    SQLModel.metadata,
    Column("id", BigIntegerPK, primary_key=True, autoincrement=True),
    Column("level", String(8), nullable=False),
    Column("day", Date, nullable=False),
    Column("category_id", String(64), nullable=True),
    Column("area_id", String(64), nullable=True),
    Column("channel", String(16), nullable=True),
    Column("from_agency_id", String(64), nullable=True),
    Column("to_agency_id", String(64), nullable=True),
    Column("transfers", Integer, nullable=False, server_default="0"),
    Index("ix_dashboard_transfer_daily_level_day", "level", "day"),
    Index("ix_dashboard_transfer_daily_level_area_day", "level", "area_id", "day"),
)


class DashboardRollupState(SQLModel, table=True):
    """Where the roll-up refresh stopped: the last ticket event read and the deadline clock."""

    __tablename__ = "dashboard_rollup_state"

    name: str = Field(primary_key=True, max_length=32)
    event_watermark: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    deadline_watermark: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    refreshed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    days_refreshed: int = 0
