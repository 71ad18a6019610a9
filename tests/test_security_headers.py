"""Every response carries the security headers (tracker/security.py): a page, a JSON answer of
the API, an error page and a static file alike. HSTS only where the site is served over HTTPS
(TRACKER_SECURE_COOKIES=1), and gunicorn names no software version."""

from __future__ import annotations

import re

import pytest
import requests

from tests.served import gunicorn
from tests.support import make_app, schema_created

RESPONSES = {  # what, path, status
    "page": ("/auth/login", 200),
    "api": ("/api/v1/incidents", 200),
    "error page": ("/no-such-page", 404),
    "static file": ("/static/css/app.css", 200),
}
HSTS = "max-age=63072000; includeSubDomains"
VERSION = re.compile(r"[A-Za-z]/\d|\d+\.\d+\.\d+")  # "gunicorn/27.0.1", "Python/3.11"


def policy(headers) -> dict[str, str]:
    """The CSP's directives by name."""
    parts = (part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in parts}


@pytest.fixture
def secure_app(database_url, tmp_path, monkeypatch):
    """The app as an operator behind HTTPS starts it."""
    monkeypatch.setenv("TRACKER_SECURE_COOKIES", "1")
    with schema_created(make_app(database_url, tmp_path / "secure")) as app:
        yield app


@pytest.mark.parametrize("what", RESPONSES)
def test_every_kind_of_response_carries_the_headers(client, what):
    path, status = RESPONSES[what]
    response = client.get(path)
    assert response.status_code == status
    headers = response.headers
    directives = policy(headers)
    assert "'unsafe-inline'" not in directives["style-src"] and "'unsafe-inline'" not in directives["script-src"]
    assert (directives["object-src"], directives["base-uri"]) == ("'none'", "'none'")
    assert (directives["frame-ancestors"], directives["form-action"]) == ("'none'", "'self'")
    assert headers["Referrer-Policy"] == "no-referrer"
    assert (headers["X-Content-Type-Options"], headers["X-Frame-Options"]) == ("nosniff", "DENY")
    assert "Strict-Transport-Security" not in headers  # plain HTTP: a browser would ignore it anyway


@pytest.mark.parametrize("what", RESPONSES)
def test_over_https_browsers_are_told_to_stay_on_https(secure_app, what):
    path, status = RESPONSES[what]
    response = secure_app.test_client().get(path, base_url="https://localhost")
    assert response.status_code == status
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "object-src" in policy(response.headers)


def test_gunicorn_names_no_software_version(app, database_url, tmp_path):
    from gunicorn import __version__ as gunicorn_version

    with gunicorn(database_url, tmp_path / "served", workers=1) as base:
        answers = [requests.get(f"{base}{path}", timeout=30) for path, _ in RESPONSES.values()]
    for answer, (path, status) in zip(answers, RESPONSES.values(), strict=True):
        assert answer.status_code == status, path
        assert answer.headers["Server"] == "gunicorn" and gunicorn_version not in str(answer.headers)
        assert not [f"{k}: {v}" for k, v in answer.headers.items() if VERSION.search(v)], path
        assert "X-Powered-By" not in answer.headers
        assert policy(answer.headers)["frame-ancestors"] == "'none'"
