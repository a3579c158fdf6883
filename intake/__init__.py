"""Channel adapters: turn what a channel delivers into one call, file a report."""
