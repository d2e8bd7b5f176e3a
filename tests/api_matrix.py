"""A permission matrix for API endpoints, in the manner of NetBox's APIViewTestCases (STYLE habit 6).

A test module declares, per endpoint, the request, the object it acts on and what each persona
gets; the base class turns every (endpoint, persona) pair into one test:

    class TestProjectAPI(APIMatrix):
        endpoints = [
            Endpoint("retrieve", "get", "/api/v1/projects/{pk}/", sample=draft_project,
                     expect=personas(OK, other_clerk=NOT_FOUND, expert=NOT_FOUND, evaluator=NOT_FOUND)),
        ]

Personas are those of tests/conftest.py plus ``anonymous``; each calls with a token
(``Authorization: Token …``), as scripts do. A refused write must change nothing: the object's
fields, the number of rows of its model and the number of review records stay as they were.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workflow.audit import snapshot
from workflow.models import ReviewRecord

PERSONAS = ("clerk", "reviewer", "other_clerk", "finance", "office", "expert", "evaluator", "auditor", "anonymous")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Outcome:
    """What a persona gets: a status (or any 2xx) plus, for lists, whether the sample is listed."""

    name: str
    status: int | None = None  # None: any 2xx
    listed: bool | None = None
    field: str = ""  # for 400s: the field the message is about

    @property
    def refused(self) -> bool:
        return self.status is not None and self.status >= 400

    def check(self, response, obj):
        body = response.json() if response.content else None
        if self.status is None:
            assert 200 <= response.status_code < 300, (response.status_code, body)
        else:
            assert response.status_code == self.status, (response.status_code, body)
        if self.listed is not None:
            ids = [row["id"] for row in body["results"]]
            assert (obj.pk in ids) is self.listed, (obj.pk, ids)
        if self.status in (403, 404):
            assert CHINESE.search(body["detail"]), body  # a message a person can act on
        if self.status == 400:
            assert self.field in body and CHINESE.search(str(body[self.field])), body
        if self.status == 401:
            assert response["WWW-Authenticate"].startswith("Token"), response.headers
        return body

    def __repr__(self):
        return self.name


OK = Outcome("ok")
CREATED = Outcome("created", 201)
LISTED = Outcome("listed", 200, listed=True)
NOT_LISTED = Outcome("not_listed", 200, listed=False)
FORBIDDEN = Outcome("forbidden", 403)
NOT_FOUND = Outcome("not_found", 404)
UNAUTHENTICATED = Outcome("unauthenticated", 401)


def rejected(field_name: str) -> Outcome:
    """400 with a message on ``field_name`` (e.g. a unit id outside the caller's scope reads as unknown)."""
    return Outcome(f"rejected:{field_name}", 400, field=field_name)


def personas(default: Outcome, **overrides: Outcome) -> dict[str, Outcome]:
    """Every persona gets ``default`` except those named; anonymous gets 401 unless named."""
    unknown = set(overrides) - set(PERSONAS)
    assert not unknown, f"unknown personas: {unknown}"
    return {p: overrides.get(p, UNAUTHENTICATED if p == "anonymous" else default) for p in PERSONAS}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str  # get / post / put / patch / delete
    url: str  # may hold {pk}: the sample's primary key, and {obj.<attribute>} for another path argument
    expect: dict[str, Outcome]
    sample: Callable | None = None  # sample(city) -> the object the URL names or the list must show
    data: dict | Callable | None = None  # a body, or data(city, obj) -> body
    model: type | None = field(default=None)  # rows counted for refused creates (no sample)

    def body(self, city, obj):
        return self.data(city, obj) if callable(self.data) else self.data


def client_as(city, persona: str) -> APIClient:
    client = APIClient()
    if persona != "anonymous":
        token, _ = Token.objects.get_or_create(user=city.users()[persona])
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


class APIMatrix:
    """Subclass as ``Test…`` and set ``endpoints``; one test per endpoint × persona."""

    endpoints: tuple[Endpoint, ...] | list[Endpoint] = ()

    def pytest_generate_tests(self, metafunc):
        if {"endpoint", "persona"} <= set(metafunc.fixturenames):
            metafunc.parametrize(
                ("endpoint", "persona"),
                [pytest.param(e, p, id=f"{e.name}-{p}") for e in self.endpoints for p in PERSONAS],
            )

    def test_access(self, endpoint: Endpoint, persona: str, city):
        assert set(endpoint.expect) == set(PERSONAS), f"{endpoint.name}: declare every persona"
        obj = endpoint.sample(city) if endpoint.sample else None
        outcome = endpoint.expect[persona]
        url = endpoint.url.format(pk=getattr(obj, "pk", None), obj=obj)
        writes = endpoint.method != "get"
        before = _state(obj, endpoint.model) if writes else None
        call = getattr(client_as(city, persona), endpoint.method)
        response = call(url, endpoint.body(city, obj), format="json") if writes else call(url)
        outcome.check(response, obj)
        if writes and outcome.refused:
            assert _state(obj, endpoint.model) == before, "a refused request changed data"


def _state(obj, model):
    model = type(obj) if obj is not None else model
    current = snapshot(type(obj).objects.get(pk=obj.pk)) if obj is not None else None
    return current, model.objects.count() if model else None, ReviewRecord.objects.count()
