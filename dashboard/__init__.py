"""The officials' dashboard: figures, roll-ups, charts, CSV export and demo data."""
