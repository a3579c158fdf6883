"""The taxonomy (categories, agencies, areas), routing rules and the triage threshold."""
