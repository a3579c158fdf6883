"""`hotline places ...`: read places from texts, evaluate the reader."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select
from sqlmodel import col

from core.db import session_scope
from places import evaluate, service
from places.models import PlaceCorrection

app = typer.Typer(help="Wards of the province and the place reader.", no_args_is_help=True,
                  add_completion=False)

READ_FIELDS = ("ward_code", "ward", "candidates", "address", "confidence")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="places", help="Read the place (ward) out of complaint texts.")


@app.command("read")
def read_command(
    full: Annotated[
        bool, typer.Option("--full", help="Also coordinates, basis, former unit")
    ] = False,
) -> None:
    """JSON lines {"text": ...} on standard input -> one JSON line each on standard output."""
    reader = service.reader()
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            text = request["text"] if isinstance(request, dict) else None
            if not isinstance(text, str):
                raise ValueError('each line must be an object with a "text" string')
        except (ValueError, KeyError) as error:
            typer.echo(json.dumps({"line": number, "error": str(error)}, ensure_ascii=False))
            continue
        answer = reader.read(text).as_json()
        if not full:
            answer = {k: answer[k] for k in READ_FIELDS}
        typer.echo(json.dumps(answer, ensure_ascii=False))


@app.command("eval")
def eval_command(
    data: Annotated[Path | None, typer.Option("--data", help="Labelled JSON lines")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON")] = False,
    show_errors: Annotated[bool, typer.Option("--errors", help="List every error")] = False,
) -> None:
    """Ward accuracy per language, ambiguous places, precision of "unknown", errors per kind."""
    rows = evaluate.load(data or evaluate.EVAL_FILE)
    report = evaluate.evaluate(service.reader(), rows)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{len(rows)} labelled texts, province {service.province_code()}")
    typer.echo(evaluate.summary(report))
    if show_errors:
        for error in report.errors:
            typer.echo(json.dumps(error, ensure_ascii=False))


@app.command("wards")
def wards_command() -> None:
    """The province's official wards, communes and special zones (JSON lines)."""
    for area in service.official_areas():
        typer.echo(json.dumps(area, ensure_ascii=False))


@app.command("corrections")
def corrections_command() -> None:
    """Places people set or confirmed, beside what the reader read (JSON lines, newest first):
    material for new evaluation texts and for the landmarks file. Texts may hold personal
    data: keep the output private."""
    with session_scope() as session:
        rows = session.execute(
            select(PlaceCorrection).order_by(col(PlaceCorrection.id).desc())
        ).scalars()
        for row in rows:
            typer.echo(json.dumps({
                "text": row.text, "ward_code": row.ward_code, "read_ward_code": row.read_ward_code,
                "read_candidates": row.read_candidates, "street": row.street_key,
                "source": row.source, "ticket_id": row.ticket_id,
                "at": row.created_at.isoformat() if row.created_at else None,
            }, ensure_ascii=False))
