"""Intake's own tables (for core.db.import_all_models)."""

from intake.zalo_models import DraftState, ZaloDraft

__all__ = ["DraftState", "ZaloDraft"]
