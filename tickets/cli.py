"""Wires staff corrections (tickets whose category a person set) into `hotline classify train`.

classify sits below tickets and cannot read tickets itself; this room hands it the provider.
"""

from __future__ import annotations

import typer

from classify import cli as classify_cli
from tickets import corrections


def register(app: typer.Typer) -> None:
    classify_cli.corrections_provider = corrections.provider
