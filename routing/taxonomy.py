"""The default taxonomy as a data file shipped with the project. The wards are not here: they
are the configured province's official list (``places``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
TRIAGE_AGENCY = "hotline_desk"
WARD_AGENCY = "ward_committee"
OTHER_CATEGORY = "other"
PROCEDURE_CATEGORY = "public_admin"
SERVICE_CENTRE_AGENCY = "admin_service_center"


@dataclass(frozen=True)
class Taxonomy:
    agencies: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    acknowledge_hours: int
    urgent_resolve_hours: int
    procedures: list[dict[str, Any]]

    @property
    def category_ids(self) -> list[str]:
        return [c["id"] for c in self.categories]

    def default_agency(self, category_id: str) -> str:
        for category in self.categories:
            if category["id"] == category_id:
                return str(category["default_agency"])
        raise KeyError(category_id)


@lru_cache
def load_taxonomy(
    taxonomy_file: Path = DATA_DIR / "taxonomy.toml",
    procedures_file: Path = DATA_DIR / "procedures.toml",
) -> Taxonomy:
    data = tomllib.loads(taxonomy_file.read_text(encoding="utf-8"))
    procedures = tomllib.loads(procedures_file.read_text(encoding="utf-8"))
    return Taxonomy(
        agencies=data["agency"],
        categories=data["category"],
        acknowledge_hours=int(data.get("acknowledge_hours", 24)),
        urgent_resolve_hours=int(data.get("urgent_resolve_hours", 24)),
        procedures=procedures["procedure"],
    )
