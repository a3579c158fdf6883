"""Issue 16, agents: the queue marks tickets that have likely duplicates, computed for the
page's rows in one batch (the number of queries does not grow with the rows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from tests.duplicates.test_duplicates import EN, FAR_WARD, VI, filed
from tests.staff import helpers
from tickets import duplicates


def test_the_queue_marks_tickets_with_likely_duplicates_in_one_batch(
    pg_session: Session, pg_client: Any
) -> None:
    master = filed(pg_session, EN, category="water_supply", agency_id="water_utility")
    dup = filed(pg_session, VI, category="water_supply", agency_id="water_utility")
    alone = filed(pg_session, "No water pressure in Vung Tau market", category="water_supply",
                  agency_id="water_utility", area_id=FAR_WARD)
    for i in range(6):  # more rows: the number of queries must not grow with them
        filed(pg_session, f"Ổ gà số {i} trên đường Lê Lợi, xe máy té",
              category="roads", agency_id="water_utility", area_id=FAR_WARD)
    pg_session.commit()
    counts = duplicates.likely_counts(session=pg_session, tickets=[master, dup, alone])
    assert counts == {master.id: 1, dup.id: 1}
    helpers.login(pg_client, helpers.user(pg_session, "agent", "water_utility"))

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = pg_session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        page = pg_client.get("/staff?lang=vi")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert page.status_code == 200, page.text
    for ticket in (master, dup):
        row = page.text.split(f'data-ticket-id="{ticket.id}"')[1].split("</tr>")[0]
        assert f'href="/staff/tickets/{ticket.id}?lang=vi#likely-duplicates"' in row
        assert 'class="badge likely-badge"' in row and "Có thể trùng lặp: 1" in row
    row = page.text.split(f'data-ticket-id="{alone.id}"')[1].split("</tr>")[0]
    assert "likely-badge" not in row
    embeddings = [s for s in statements if "ticket_embedding" in s]
    unions = [s for s in statements if "UNION ALL" in s]
    assert len(embeddings) == 1 and len(unions) == 1, statements
