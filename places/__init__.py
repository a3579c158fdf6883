"""Places: the configured province's wards (today's and former) and the reader that finds the
place in a complaint's text. A base-level domain room: it imports only ``core``."""
