"""The admin UI is for administrators only; `hotline create-admin` makes the first one."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from staff.models import StaffUser
from tests.conftest import make_client
from tests.staff import helpers


@pytest.fixture
def committed(committed_pg):  # type: ignore[no-untyped-def]
    with Session(committed_pg, expire_on_commit=False) as session:
        yield session
    # routing rules are kept between committed tests (taxonomy): remove the test's own
    from sqlalchemy import delete

    from routing.models import RoutingRule

    with Session(committed_pg) as session:
        session.execute(delete(RoutingRule).where(RoutingRule.note == "pilot"))
        session.commit()


def test_admin_ui_only_for_administrators(committed) -> None:
    admin = helpers.user(committed, "admin", None, email="root@city.gov")
    agent = helpers.user(committed, "agent", "transport", email="a@transport.org")
    committed.commit()
    with make_client(committed) as client:
        anonymous = client.get("/admin/", follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/staff/login")
        helpers.login(client, agent)
        assert client.get("/admin/", follow_redirects=False).status_code == 403
    with make_client(committed) as client:
        helpers.login(client, admin)
        page = client.get("/admin/agency/list")
        assert page.status_code == 200
        assert "construction" in page.text
        form = client.get("/admin/routing-rule/create")
        assert form.status_code == 200
        created = client.post(
            "/admin/routing-rule/create",
            data={
                "category_id": "public_order",
                "area_id": "26737",
                "agency_id": "police",
                "note": "pilot",
            },
            headers={"Origin": "http://testserver"},  # as a browser on this site sends it
            follow_redirects=False,
        )
        assert created.status_code == 302, created.text[-2000:]
        staff = client.post(
            "/admin/staff-user/create",
            data={
                "email": "New@Transport.org",
                "name": "New Agent",
                "role": "agent",
                "agency_id": "transport",
                "language": "vi",
                "active": "y",
                "new_password": "another long password",
            },
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert staff.status_code == 302, staff.text[-2000:]
    from routing import service as routing_service
    from staff import service as staff_service

    with Session(committed.get_bind()) as check:
        assert (
            routing_service.pick_agency(
                session=check, category_id="public_order", area_id="26737"
            )
            == "police"
        )
        made = staff_service.authenticate(
            session=check, email="new@transport.org", password="another long password"
        )
        assert made.role == "agent"


def test_create_admin_command(committed_pg) -> None:
    import typer

    from staff import cli

    app = typer.Typer()
    cli.register(app)

    @app.command()
    def noop() -> None:  # a second command keeps typer in multi-command mode
        pass

    runner = CliRunner()
    result = runner.invoke(
        app,
        ["create-admin", "--email", "Root@City.gov", "--name", "Root"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with Session(committed_pg) as session:
        user = session.execute(select(StaffUser)).scalar_one()
        assert (user.email, user.role, user.agency_id) == ("root@city.gov", "admin", None)
    again = runner.invoke(
        app,
        ["create-admin", "--email", "root@city.gov", "--name", "Root"],
        input="a long enough password\na long enough password\n",
    )
    assert again.exit_code == 2
    token = runner.invoke(app, ["create-api-token", "root@city.gov"])
    assert token.exit_code == 0 and len(token.output.strip()) > 30


def test_the_admin_refuses_a_post_from_another_site(committed) -> None:
    from sqlalchemy import func, select

    from routing.models import RoutingRule

    admin = helpers.user(committed, "admin", None, email="root2@city.gov")
    committed.commit()
    before = committed.execute(select(func.count()).select_from(RoutingRule)).scalar_one()
    form = {"category_id": "public_order", "area_id": "tan-dinh", "agency_id": "police",
            "note": "from evil"}
    with make_client(committed) as client:
        helpers.login(client, admin)
        for headers in ({"Origin": "https://evil.example"}, {},
                        {"Referer": "https://evil.example/page"}, {"Origin": "null"}):
            refused = client.post("/admin/routing-rule/create", data=form, headers=headers,
                                  follow_redirects=False)
            assert refused.status_code == 403, headers
    after = committed.execute(select(func.count()).select_from(RoutingRule)).scalar_one()
    assert after == before
