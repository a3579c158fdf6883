"""A procedure report filed on Zalo is asked for its dossier code on Zalo; "MHS <code>" written
there joins that report privately instead of starting a new report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from notify.models import OutboundMessage
from tests import factories
from tests.intake.zalo_helpers import post, run_tasks, text_event, zalo_client, zalo_settings
from tickets import workflow
from tickets.models import DossierComplaint, Ticket, TicketEvent

REPORT = ("Nộp hồ sơ cấp giấy chứng nhận quyền sử dụng đất ở phường Bến Thành đã quá hạn "
          "hai tháng mà chưa có kết quả.")
CODE = "000.00.20.H29-260302-0042"


@pytest.fixture
def zalo(pg_session):
    with zalo_client(pg_session) as client:
        yield client


def filed_on_zalo(zalo, pg_session) -> Ticket:
    settings = zalo_settings()
    post(zalo, text_event(REPORT))
    post(zalo, text_event("xong"))
    run_tasks(pg_session, settings, only={"intake.zalo_event"})
    ticket = pg_session.execute(select(Ticket)).scalar_one()
    workflow.route(session=pg_session, ticket=ticket, agency_id="admin_service_center",
                   category_id="public_admin")
    factories.deliver_events(pg_session)
    return ticket


def replies(pg_session) -> list[str]:
    return list(pg_session.execute(
        select(OutboundMessage.body).where(OutboundMessage.kind == "zalo_reply")
        .order_by(OutboundMessage.id)).scalars())


def test_mhs_on_zalo_adds_the_dossier_code_to_the_procedure_report(zalo, pg_session) -> None:
    ticket = filed_on_zalo(zalo, pg_session)
    asked = pg_session.execute(select(OutboundMessage).where(
        OutboundMessage.ticket_id == ticket.id, OutboundMessage.kind == "dossier_code_asked"
    )).scalar_one()
    assert asked.channel == "zalo"

    post(zalo, text_event(f"MHS {CODE}"))
    run_tasks(pg_session, zalo_settings(), only={"intake.zalo_event"})
    dossier = pg_session.get(DossierComplaint, ticket.id)
    assert dossier is not None and dossier.dossier_code == CODE
    added = pg_session.execute(select(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "dossier_code_added"
    )).scalar_one()
    assert added.public is False and added.data["channel"] == "zalo"
    assert ticket.code[:4] in replies(pg_session)[-1]
    # no second report, no draft that would become one
    assert pg_session.execute(select(Ticket).where(Ticket.id != ticket.id)).first() is None


def test_a_malformed_code_on_zalo_is_explained_and_changes_nothing(zalo, pg_session) -> None:
    ticket = filed_on_zalo(zalo, pg_session)
    post(zalo, text_event("MHS <x>"))
    run_tasks(pg_session, zalo_settings(), only={"intake.zalo_event"})
    assert "MHS" in replies(pg_session)[-1]
    dossier = pg_session.get(DossierComplaint, ticket.id)
    assert dossier is None or dossier.dossier_code is None
