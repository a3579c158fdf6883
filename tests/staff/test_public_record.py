"""The public record: resolved tickets only, searchable, personal data never shown."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from tests import factories
from tickets import publication, workflow
from tickets.models import Ticket

STAFF = workflow.Actor(type="staff", id=None, label="agent")


def resolved(session: Session, resolution: str, **values: object) -> Ticket:
    ticket = factories.routed_ticket(session, **values)
    workflow.acknowledge(session=session, ticket=ticket, actor=STAFF)
    workflow.resolve(session=session, ticket=ticket, resolution=resolution, actor=STAFF)
    return ticket


def test_record_masks_contacts_and_never_shows_the_reporter(pg_session, pg_client) -> None:
    ticket = resolved(
        pg_session,
        "Called back on 0901 234 567 and wrote to lan@example.org; pothole filled.",
        description="Ổ gà trước nhà tôi, gọi tôi 0912345678 hoặc nam@example.com",
        reporter_name="Nguyễn Văn Nam",
        reporter_phone="+84912345678",
    )
    page = pg_client.get("/public?lang=en")
    assert page.status_code == 200
    assert f'data-code="{ticket.code}"' in page.text
    for secret in (
        "0901 234 567",
        "lan@example.org",
        "0912345678",
        "nam@example.com",
        "Nguyễn Văn Nam",
        "+84912345678",
    ):
        assert secret not in page.text
    assert "[phone hidden]" in page.text and "[email hidden]" in page.text


def test_open_tickets_are_not_in_the_record(pg_session, pg_client) -> None:
    open_ticket = factories.routed_ticket(pg_session)
    page = pg_client.get("/public")
    assert f'data-code="{open_ticket.code}"' not in page.text


def test_search_by_text_category_ward_and_date(pg_session) -> None:
    road = resolved(pg_session, "Pothole filled.", category_id="roads", area_id="26743")
    waste = resolved(pg_session, "Rubbish collected.", category_id="waste", area_id="26737")

    def found(**criteria: object) -> list[str]:
        page = publication.search(
            session=pg_session,
            criteria=publication.RecordSearch(**criteria),  # type: ignore[arg-type]
            language="vi",
        )
        return [entry.code for entry in page.entries]

    assert set(found()) >= {road.code, waste.code}
    assert waste.code in found(text="rubbish") and road.code not in found(text="rubbish")
    assert found(category_id="roads", area_id="26743")[0] == road.code
    assert waste.code not in found(category_id="roads")
    assert road.code not in found(area_id="26737")
    today = road.resolved_at.astimezone(UTC).date()
    assert road.code in found(date_from=today, date_to=today)
    assert found(date_to=date(2000, 1, 1)) == []
    assert found(text="100%_") == []  # LIKE wildcards are searched literally


def test_record_pages_by_keyset(pg_session) -> None:
    made = [resolved(pg_session, f"Fixed number {n}.", category_id="lighting") for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        page = publication.search(
            session=pg_session,
            criteria=publication.RecordSearch(category_id="lighting"),
            language="en",
            cursor=cursor,
            limit=2,
        )
        seen += [e.code for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(t.code for t in made) and len(seen) == 5


def test_bad_search_input_is_a_422(pg_client) -> None:
    assert pg_client.get("/public?date_from=yesterday").status_code == 422
    assert pg_client.get("/public?q=" + "x" * 300).status_code == 422
    assert pg_client.get("/public?cursor=%%%").status_code == 422


def test_public_ticket_page_shows_timeline_and_resolution(pg_session, pg_client) -> None:
    ticket = resolved(pg_session, "Pothole filled on 3 March.")
    page = pg_client.get(f"/status/{ticket.code}?lang=en")
    assert "Pothole filled on 3 March." in page.text
    assert "Acknowledged by the agency" in page.text
    assert datetime.now(UTC)  # the page renders with the real clock
