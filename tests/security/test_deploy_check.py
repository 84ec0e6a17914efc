"""`manage.py check --deploy --fail-level WARNING` passes with production settings (and fails
when one of them is weakened, so the check really runs)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The test run's own configuration (embedded mode, async-unsafe ORM access) must not leak in.
NOT_INHERITED = ("IWMS_", "SECURE_", "SESSION_", "CSRF_", "DATABASE_", "DEBUG", "SECRET_KEY", "DJANGO_", "CELERY_")


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(NOT_INHERITED)}
    env.update(
        DEBUG="0",
        IWMS_EMBEDDED="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        DATABASE_URL="postgres://iwms:unused@127.0.0.1:5432/iwms",
        ALLOWED_HOSTS="iwms.example.com",
        CSRF_TRUSTED_ORIGINS="https://iwms.example.com",
        IWMS_VAR_DIR=str(tmp_path),
        IWMS_LEDGER_KEY=secrets.token_hex(32),
    )
    env.update(overrides)
    return env


def run_deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run_deploy_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_fails_when_hsts_is_switched_off(tmp_path):
    result = run_deploy_check(production_env(tmp_path, SECURE_HSTS_SECONDS="0"))
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout


def test_deploy_check_fails_without_the_ledger_checkpoint_key(tmp_path):
    result = run_deploy_check(production_env(tmp_path, IWMS_LEDGER_KEY=""))
    assert result.returncode != 0
    assert "iwms.W010" in result.stderr + result.stdout
    assert not (tmp_path / "ledger.key").exists()  # production never generates one


def test_production_settings_turn_on_secure_cookies_ssl_redirect_and_two_factor(tmp_path):
    script = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_CONTENT_TYPE_NOSNIFF, s.SECURE_REFERRER_POLICY, s.IWMS_REQUIRE_2FA)"
    )
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="iwms.settings")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["True", "True", "True", "31536000", "True", "same-origin", "True"]
