"""Signing in to the API (DESIGN §4): the token exchange, lock-out, anonymous calls, schema and docs."""

import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from workflow.models import AuditEvent

from .factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def obtain(username, password):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password}, format="json")


def test_a_token_opens_the_api_and_the_login_is_audited(city):
    response = obtain("clerk", PASSWORD)
    assert response.status_code == 200
    token = response.json()["token"]

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/projects/").status_code == 200
    assert AuditEvent.objects.filter(kind="login", username="clerk", success=True).exists()
    # The same token comes back on the next exchange.
    assert obtain("clerk", PASSWORD).json()["token"] == token


def test_a_wrong_password_is_400_in_chinese_and_audited(city):
    response = obtain("clerk", "wrong-password")
    assert response.status_code == 400
    assert response.json() == {"detail": "用户名或密码错误。"}
    assert AuditEvent.objects.filter(kind="login_failed", username="clerk", success=False).exists()


def test_missing_fields_are_named(city):
    response = APIClient().post(TOKEN_URL, {"username": "clerk"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json() and "必填" in response.json()["password"][0]


def test_five_failures_lock_the_token_endpoint_too(city):
    statuses = [obtain("clerk", f"wrong-{i}").status_code for i in range(5)]
    # The fifth failure reaches the limit: the answer already says the account is locked.
    assert statuses == [400, 400, 400, 400, 429]
    response = obtain("clerk", PASSWORD)
    assert response.status_code == 429
    assert "锁定" in response.json()["detail"]
    assert response["Content-Type"] == "application/json"
    # Only that username is locked.
    assert obtain("reviewer", PASSWORD).status_code == 200


def test_a_success_resets_the_failure_count(city):
    for i in range(4):
        obtain("clerk", f"wrong-{i}")
    assert obtain("clerk", PASSWORD).status_code == 200
    assert obtain("clerk", "wrong-again").status_code == 400


def test_anonymous_calls_get_401_with_the_token_challenge(city):
    response = APIClient().get("/api/v1/projects/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")
    assert response.json()["detail"] == "身份认证信息未提供。"


def test_a_bad_token_and_a_disabled_account_are_refused(city):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/projects/").status_code == 401

    token = obtain("clerk", PASSWORD).json()["token"]
    city.clerk.is_active = False
    city.clerk.save(update_fields=["is_active"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/projects/").status_code == 401


def test_the_browser_session_also_works(city):
    client = APIClient()
    client.force_login(city.clerk)
    assert client.get("/api/v1/projects/").status_code == 200


def test_the_schema_is_public_and_the_docs_need_a_login(city, client_for):
    schema = client_for(None).get("/api/schema/")
    assert schema.status_code == 200

    docs = client_for(None).get("/api/docs/")
    assert docs.status_code == 302 and "/accounts/login/" in docs["Location"]

    page = client_for(city.auditor).get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    # Offline (sidecar assets) and CSP-clean: every script is loaded from a URL, none inline.
    assert "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "?script=" in html
    script = client_for(city.auditor).get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_the_schema_validates_without_warnings_and_lists_the_api(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/organizations/",
        "/api/v1/fiscal-years/{id}/",
        "/api/v1/projects/",
        "/api/v1/projects/{id}/submit/",
        "/api/v1/projects/{id}/approve/",
        "/api/v1/projects/{id}/return/",
        "/api/v1/projects/{id}/history/",
        "/api/v1/projects/{id}/actions/",
        "/api/v1/projects/{id}/start-preassessment/",
        "/api/v1/preassessments/{id}/",
        "/api/v1/preassessments/{id}/conclude/",
        "/api/v1/preassessments/{id}/commission/",
        "/api/v1/experts/",
        "/api/v1/agencies/",
        "/api/v1/audit-events/",
    ):
        assert path in paths, path
    conclude = paths["/api/v1/preassessments/{id}/conclude/"]["post"]
    assert set(conclude["responses"]) >= {"200", "400", "403", "404", "409"}
    assert "put" not in paths["/api/v1/audit-events/{id}/"] and "delete" not in paths["/api/v1/audit-events/{id}/"]
