"""Open311 GeoReport v2: the standard API city apps and integrations speak."""
