"""Log-in throttling: 20 wrong passwords in a minute lock the account; the right one is then
refused with a clear notice in the page's language; delays grow; failures are logged."""

from __future__ import annotations

import logging

import pytest

from staff import login_throttle
from tests.staff import helpers


@pytest.fixture(autouse=True)
def _no_sleeping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(login_throttle, "DELAY_CAP_SECONDS", 0.0)


def attempt(client, email: str, password: str, lang: str = "en"):  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/login?lang={lang}")
    return client.post(
        f"/staff/login?lang={lang}",
        data={"email": email, "password": password, "csrf_token": helpers.csrf_from(page.text)},
        follow_redirects=False,
    )


def test_twenty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(
    pg_session, pg_client, caplog: pytest.LogCaptureFixture
) -> None:
    helpers.user(pg_session, email="lan@example.org")
    pg_session.commit()  # a failed log-in rolls the request's session back
    with caplog.at_level(logging.WARNING, logger="hotline.security"):
        for _ in range(20):
            assert attempt(pg_client, "lan@example.org", "not the password").status_code == 401
    refused = attempt(pg_client, "lan@example.org", helpers.PASSWORD)
    assert refused.status_code == 429
    assert "locked for 15 minutes" in refused.text
    assert "staff_session" not in pg_client.cookies
    in_vietnamese = attempt(pg_client, "lan@example.org", helpers.PASSWORD, lang="vi")
    assert in_vietnamese.status_code == 429 and "bị khoá" in in_vietnamese.text
    failures = [r for r in caplog.records if "log-in failed" in r.getMessage()]
    assert len(failures) == 20 and any("locked" in r.getMessage() for r in caplog.records)
    assert all(helpers.PASSWORD not in r.getMessage() for r in caplog.records)


def test_a_few_typos_do_not_lock_the_account(pg_session, pg_client) -> None:
    helpers.user(pg_session, email="binh@example.org")
    pg_session.commit()  # a failed log-in rolls the request's session back
    for _ in range(5):
        attempt(pg_client, "binh@example.org", "typo typo typo")
    assert attempt(pg_client, "binh@example.org", helpers.PASSWORD).status_code == 303


def test_one_address_trying_many_accounts_is_locked_out(pg_session, pg_client) -> None:
    from core.settings import get_settings

    settings = get_settings().model_copy(update={"login_failures_per_address": "10/minute"})
    pg_client.app.state.settings = settings
    helpers.user(pg_session, email="chi@example.org")
    pg_session.commit()
    for number in range(10):
        attempt(pg_client, f"guess{number}@example.org", "password guess")
    refused = attempt(pg_client, "chi@example.org", helpers.PASSWORD)
    assert refused.status_code == 429 and "from your connection" in refused.text


def test_delays_grow_after_the_first_few_failures() -> None:
    delays = [login_throttle.delay_seconds(n, cap=2.0) for n in range(1, 10)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
