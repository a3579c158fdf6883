"""The tracker: tickets, their lifecycle, deadlines, audit trail and publication."""
