"""Security must-shows of issue 2: passwords, login lock-out, session lifetime, disabled accounts,
an anonymous walk of every URL, and ``check --deploy`` with production settings."""

import os
import re
import secrets
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from accounts.middleware import SESSION_STARTED_KEY
from workflow.models import AuditEvent

from . import factories as f

LOGIN = reverse("accounts:login")

# --- Passwords: ≥ 8 characters, 3 of 4 classes, not a common password -----------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Ab1#xyz", "7 characters"),
        ("abcdefgh12", "two classes only: lower case and digits"),
        ("ABCDEFGHij", "two classes only: upper and lower case"),
        ("Password1", "a common password"),
        ("12345678", "a common, all-numeric password"),
    ],
)
def test_weak_passwords_are_refused(db, password, why):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_good_password_is_accepted(db):
    validate_password("Jxt-Budget-2026")  # raises if refused


def test_password_messages_are_chinese(db):
    with pytest.raises(ValidationError) as refused:
        validate_password("abcdefgh12")
    assert any("至少 3 类" in message for message in refused.value.messages)


# --- Login lock-out: 5 failures per username + address lock it for 30 minutes ----------------


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_sixth_attempt_is_locked_out_even_with_the_right_password(city):
    client = Client()
    for _ in range(5):
        response = _login(client, "clerk", "wrong-password")
    assert response.status_code in (200, 429)
    response = _login(client, "clerk", f.PASSWORD)
    assert response.status_code == 429
    content = response.content.decode()
    assert "账号已锁定" in content and "30 分钟" in content
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard"), REMOTE_ADDR="10.0.0.1").status_code == 302
    assert AuditEvent.objects.filter(kind="login_failed", username="clerk", success=False).count() >= 5
    assert AuditEvent.objects.filter(kind="login_failed", ip="10.0.0.1").exists()
    assert not AuditEvent.objects.filter(kind="login", username="clerk").exists()


def test_another_address_for_the_same_username_is_not_locked(city):
    attacker = Client()
    for _ in range(6):
        _login(attacker, "clerk", "wrong-password", ip="10.0.0.66")
    clerk = Client()
    response = _login(clerk, "clerk", f.PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert AuditEvent.objects.filter(kind="login", username="clerk", ip="10.0.0.2").exists()


def test_four_failures_then_success_resets_the_count(city):
    client = Client()
    for _ in range(4):
        _login(client, "clerk", "wrong-password")
    assert _login(client, "clerk", f.PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="clerk").exists()


def test_lockout_settings():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 30 * 60
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


# --- Sessions: 30 idle minutes, 8 hours in all; a disabled account ends at once -------------------


def test_idle_expiry_is_thirty_minutes_renewed_on_every_request():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_ABSOLUTE_SECONDS == 8 * 3600


def test_session_ends_eight_hours_after_login_however_active(city, client_for):
    client = client_for(city.clerk)
    assert client.get(reverse("dashboard")).status_code == 200
    session = client.session
    assert session[SESSION_STARTED_KEY] <= time.time()
    session[SESSION_STARTED_KEY] = time.time() - 8 * 3600 + 60  # 7h59m: still fine
    session.save()
    assert client.get(reverse("dashboard")).status_code == 200
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - 8 * 3600 - 1
    session.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_idle_session_cookie_expires(city):
    client = Client()
    response = _login(client, "clerk", f.PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    # The server-side session expires 30 minutes after the last request.
    assert 29 * 60 <= client.session.get_expiry_age() <= 30 * 60


def test_a_disabled_account_is_logged_out_at_its_next_request(city, client_for):
    client = client_for(city.clerk)
    assert client.get(reverse("dashboard")).status_code == 200
    city.clerk.is_active = False
    city.clerk.save(update_fields=["is_active"])
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_a_disabled_account_cannot_log_in(city):
    city.clerk.is_active = False
    city.clerk.save(update_fields=["is_active"])
    response = _login(Client(), "clerk", f.PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session


# --- Anonymous walk of every URL pattern ------------------------------------------------------

PUBLIC_PREFIXES = ("/accounts/login/", "/public/", "/static/", "/api/schema/", "/api/v1/auth/token/")
API_PREFIX = "/api/v1/"

_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*(?:\([^()]*\)[^()]*)*)\)")


def _example_for_group(match: re.Match) -> str:
    name, body = match["name"], match["body"]
    if name == "format":
        return "json"
    if re.fullmatch(r"[\w-]+(\|[\w-]+)+", body):  # an alternation of literals: take the first
        return body.split("|")[0]
    if "0-9a-f" in body and "-" in body:
        return str(uuid.uuid4())
    return "1"


def _regex_example(regex: str) -> str:
    """A concrete path for a regex pattern (DRF routers, admin): one value per named group."""
    path = _GROUP.sub(_example_for_group, regex)
    path = path.lstrip("^").removesuffix("\\Z").removesuffix("$")
    path = path.replace("/?", "/").replace("\\.", ".").replace("\\", "")
    return path


def _route_example(route: str) -> str:
    def fill(match: re.Match) -> str:
        converter = match["converter"] or "str"
        examples = {"int": "1", "uuid": str(uuid.uuid4()), "drf_format_suffix": ".json"}
        return examples.get(converter, "x")

    return re.sub(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>", fill, route)


def _walk(patterns, prefix=""):
    for pattern in patterns:
        regex = str(pattern.pattern)
        if hasattr(pattern.pattern, "_route"):
            part = _route_example(pattern.pattern._route)
        else:
            part = _regex_example(regex)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + part)
        elif isinstance(pattern, URLPattern):
            yield prefix + part


def all_paths() -> list[str]:
    return sorted({"/" + path for path in _walk(get_resolver().url_patterns)})


def test_the_walk_covers_the_urlconf(db):
    paths = all_paths()
    assert "/" in paths and "/audit/" in paths and "/admin/" in paths
    unresolved = []
    for path in paths:
        try:
            resolve(path)
        except Resolver404:
            unresolved.append(path)
    assert not unresolved, f"could not build a concrete path for: {unresolved}"


def test_anonymous_walk_of_every_url(city):
    client = Client()
    failures = []
    for path in all_paths():
        response = client.get(path)
        if path.startswith(PUBLIC_PREFIXES):
            if response.status_code >= 500 or (
                response.status_code == 302 and response.url.startswith(LOGIN) and path != LOGIN
            ):
                failures.append((path, response.status_code, "public page"))
        elif path.startswith(API_PREFIX):
            if response.status_code not in (401, 403) or response["Content-Type"] != "application/json":
                failures.append((path, response.status_code, response.get("Content-Type")))
        elif not (response.status_code == 302 and response.url.startswith(f"{LOGIN}?next=")):
            failures.append((path, response.status_code, "expected the login page"))
    assert not failures, failures


def test_the_redirect_keeps_where_the_user_was_going(db):
    response = Client().get("/audit/?kind=login")
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/audit/%3Fkind%3Dlogin"


# --- manage.py check --deploy with production settings ------------------------------------------


def test_check_deploy_passes_with_production_settings(tmp_path):
    base_dir = Path(settings.BASE_DIR)
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "PYTEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        DJANGO_SECURE_HTTPS="true",
        DJANGO_ALLOWED_HOSTS="jixiao.example.gov.cn",
        DJANGO_REQUIRE_SECRET_KEY="true",
        DJANGO_DEBUG="false",
        JXT_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=base_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(DJANGO_REQUIRE_SECRET_KEY="true", JXT_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
