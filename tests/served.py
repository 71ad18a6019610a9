"""The app served as docs/operations.md deploys it (gunicorn with the repository's
gunicorn.conf.py, CSRF on), and a client that records incidents through the form like a
monitor's browser: shared by the served tests and bench/concurrent_creates.py."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.factories import form_fields, incident_data
from tracker.config import PROJECT_ROOT

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
GUNICORN = Path(sys.executable).with_name("gunicorn")
CONF = PROJECT_ROOT / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, instance: Path, workers: int, options: Sequence[str] = ()) -> Iterator[str]:
    """The base URL of gunicorn serving the app on database `url` with `workers` workers and
    gunicorn.conf.py, whose settings `options` (command-line flags) override; stopped afterwards."""
    port = free_port()
    env = {
        **_data_key_of_the_tests_app(),
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_INSTANCE_PATH": str(instance),
        "TRACKER_SECRET_KEY": "served-secret",
        "TRACKER_TILE_URL": "",
        "TRACKER_BIND": f"127.0.0.1:{port}",
        "TRACKER_WORKERS": str(workers),
        "TRACKER_REQUIRE_2FA_ROLES": "",  # staff log in with a password alone, as in tests/support.make_app
    }
    command = [str(GUNICORN), "-c", str(CONF), "--log-level", "warning", *options, "tracker:create_app()"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _answers(base):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not answer within a minute")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _data_key_of_the_tests_app() -> dict[str, str]:
    """TRACKER_DATA_KEY holding the keys of the test's app, whose database gunicorn serves from
    an instance folder (and key folder) of its own."""
    from flask import has_app_context

    from tracker.crypto import encode_key, keyring

    if not has_app_context():
        return {}
    return {"TRACKER_DATA_KEY": ",".join(encode_key(key_id, key) for key_id, key in keyring().keys.items())}


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/health", timeout=10).ok
    except requests.RequestException:
        return False


def form_token(http: requests.Session, url: str) -> str:
    """The CSRF token of the form at `url`."""
    return CSRF.search(http.get(url, timeout=30).text).group(1)


def signed_in(base: str, email: str, password: str) -> requests.Session:
    """A browser-like session logged in through the login form."""
    http = requests.Session()
    fields = {"email": email, "password": password, "csrf_token": form_token(http, f"{base}/auth/login")}
    answer = http.post(f"{base}/auth/login", data=fields, allow_redirects=False, timeout=30)
    if answer.status_code != 302:
        raise RuntimeError(f"{email} could not log in: HTTP {answer.status_code}")
    return http


def record_incidents(base: str, email: str, password: str, creates: int) -> list[tuple[float, str]]:
    """Log in as `email` and save `creates` drafts through the form: (seconds, problem) per
    save, the problem empty when the form answered with the saved incident."""
    outcomes = []
    with signed_in(base, email, password) as http:
        token = form_token(http, f"{base}/incidents/new")
        for n in range(creates):
            fields = form_fields(incident_data(title=f"{email} {n}"), save="1", csrf_token=token)
            started = time.perf_counter()
            response = http.post(f"{base}/incidents/new", data=fields, allow_redirects=False, timeout=60)
            saved = response.status_code == 302 and "saved=1" in response.headers.get("Location", "")
            outcomes.append((time.perf_counter() - started, "" if saved else f"HTTP {response.status_code}"))
    return outcomes
