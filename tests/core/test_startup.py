"""Start-up: one clear line for what cannot work, never a secret, beat's file wherever it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "twilio-token-that-must-never-be-printed"


def run_cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args], cwd=cwd, env=environment,
        capture_output=True, text=True, timeout=60,
    )


def test_a_weak_secret_in_production_stops_serve_with_one_line_and_no_secret(
    tmp_path: Path,
) -> None:
    result = run_cli("serve", cwd=tmp_path, ENVIRONMENT="production", SECRET_KEY="x",
                     TWILIO_AUTH_TOKEN=TOKEN, SMTP_PASSWORD=TOKEN + "-smtp")
    assert result.returncode == 2
    output = result.stdout + result.stderr
    assert TOKEN not in output
    assert [line for line in output.splitlines() if line.strip()] == [
        line for line in output.splitlines() if "SECRET_KEY" in line
    ]


def test_the_settings_error_never_carries_input_values(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import SettingsError, get_settings

    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "short")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    get_settings.cache_clear()
    with pytest.raises(SettingsError) as raised:
        get_settings()
    assert TOKEN not in str(raised.value) and "short" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize("secret", ["change-me-in-production", "a" * 40, "password1234"])
def test_production_refuses_a_secret_key_without_32_random_characters(
    secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import SettingsError, get_settings

    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", secret)
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        get_settings()


def test_production_accepts_a_random_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    from core.settings import get_settings

    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.secure_cookies


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://user:pw@127.0.0.1/hotline", "postgresql+psycopg://"),
        ("postgresql+psycopg://postgres@127.0.0.1:9/nowhere", "cannot connect"),
        ("not a url", "not a database URL"),
    ],
)
def test_a_wrong_database_url_stops_serve_and_worker_with_one_clear_line(
    url: str, expected: str, tmp_path: Path
) -> None:
    for command in ("serve", "worker"):
        result = run_cli(command, cwd=tmp_path, DATABASE_URL=url,
                         REDIS_URL="redis://127.0.0.1:6379/15")
        lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
        assert result.returncode == 2, lines
        assert len(lines) == 1 and expected in lines[0], lines
        assert "pw@" not in lines[0]


def test_an_empty_database_asks_for_migrate(tmp_path: Path) -> None:
    result = run_cli("serve", cwd=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.returncode == 2 and "hotline migrate" in result.stderr


def test_beat_keeps_its_schedule_at_an_absolute_path_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from core import cli
    from core.celery_app import celery_app
    from core.settings import get_settings

    schedule = tmp_path / "state" / "beat-schedule"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("BEAT_SCHEDULE_FILE", str(schedule))
    monkeypatch.setattr(cli, "ready_settings", get_settings)
    started: list[list[str]] = []
    monkeypatch.setattr(celery_app, "start", lambda argv: started.append(argv))
    monkeypatch.chdir(tmp_path)  # a folder without var/
    get_settings.cache_clear()
    result = CliRunner().invoke(cli.app, ["beat"])
    assert result.exit_code == 0, result.output
    assert f"--schedule={schedule}" in started[0] and schedule.parent.is_dir()
    default = get_settings().model_fields["beat_schedule_file"].default
    assert Path(default).is_absolute()
