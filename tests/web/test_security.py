"""Production settings pass Django's deployment checks; security headers; login throttling."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_under_production_settings() -> None:
    key = "kX9#q8$Zp!3vL0@wR7#tY2^mN5&kB9*hG4%dF6(jS1)aQ7-eW3=rT8+uI2~oP5"
    # The browser journeys set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's sync API); a deployment
    # never has it, and `check --deploy` rightly refuses it, so the subprocess runs without it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "RONGCUO_PRODUCTION": "1", "RONGCUO_SECRET_KEY": key,
           "RONGCUO_ALLOWED_HOSTS": "rongcuo.example.cn", "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings"}
    r = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
                       capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    # The browser journeys set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's sync API); a deployment
    # never has it, and `check --deploy` rightly refuses it, so the subprocess runs without it.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**base, "RONGCUO_PRODUCTION": "1", "DJANGO_SETTINGS_MODULE": "rongcuo.web.settings"}
    env.pop("RONGCUO_SECRET_KEY", None)
    r = subprocess.run([sys.executable, str(ROOT / "manage.py"), "check"], capture_output=True, text=True, env=env,
                       cwd=ROOT)
    assert r.returncode != 0 and "RONGCUO_SECRET_KEY" in r.stderr


@pytest.mark.django_db
def test_security_headers_on_pages_and_api() -> None:
    c = Client()
    for url in ("/", "/api/packs"):
        r = c.get(url)
        assert "default-src 'self'" in r["Content-Security-Policy"]
        assert r["X-Content-Type-Options"] == "nosniff" and r["X-Frame-Options"] == "DENY"


def test_login_is_throttled_after_repeated_failures(world) -> None:
    from django.contrib.auth import authenticate

    for _ in range(5):
        assert authenticate(username="wang", password="wrong") is None
    # Locked now, even with the right password, for this username and address.
    assert authenticate(username="wang", password="rongcuo-demo") is None
    assert authenticate(username="chen", password="rongcuo-demo") is not None


@pytest.mark.django_db
def test_health_check_answers_without_login() -> None:
    r = Client().get("/healthz")
    assert (r.status_code == 200 and r.content == b"ok\n") or r.content.strip() == b"ok"
