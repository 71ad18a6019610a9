"""Login throttling holds across gunicorn's worker processes: failures are counted in the
database (tracker/auth/throttle.py), so no worker lets an eleventh guess through."""

from __future__ import annotations

import requests

from tests.served import form_token, gunicorn
from tests.support import PASSWORD


def attempt(base: str, password: str) -> tuple[requests.Response, bool]:
    """One login through the form, on a connection of its own (any worker may take it): the
    answer, and whether that browser is signed in afterwards."""
    with requests.Session() as http:
        http.headers["Accept-Language"] = "en"
        token = form_token(http, f"{base}/auth/login")
        fields = {"email": "monitor@example.org", "password": password, "csrf_token": token}
        answer = http.post(f"{base}/auth/login", data=fields, allow_redirects=False, timeout=30)
        signed_in = http.get(f"{base}/incidents/", allow_redirects=False, timeout=30).status_code == 200
        return answer, signed_in


def test_ten_wrong_passwords_lock_the_account_in_every_worker(app, users, database_url, tmp_path):
    with gunicorn(database_url, tmp_path / "served", workers=2) as base:
        wrong = [attempt(base, f"wrong-guess-{n}") for n in range(10)]
        locked, _ = attempt(base, "wrong-guess-10")
        right, signed_in = attempt(base, PASSWORD)
    assert [(answer.status_code, signed_in) for answer, signed_in in wrong] == [(200, False)] * 10
    assert locked.status_code == right.status_code == 429
    assert int(right.headers["Retry-After"]) > 60
    assert "try again in" in right.text
    assert not signed_in  # the right password, too, waits for the window to pass
