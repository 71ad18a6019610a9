"""The app served as docs/operations.md deploys it (gunicorn, sync workers, CSRF on), and a
client that records incidents through the form like a monitor's browser: shared by the
concurrency test and bench/concurrent_creates.py."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.factories import form_fields, incident_data

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, instance: Path, workers: int) -> Iterator[str]:
    """The base URL of gunicorn serving the app on database `url`; stopped afterwards."""
    port = _free_port()
    env = {
        **os.environ,
        "TRACKER_DATABASE_URL": url,
        "TRACKER_INSTANCE_PATH": str(instance),
        "TRACKER_SECRET_KEY": "served-secret",
        "TRACKER_TILE_URL": "",
    }
    command = [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen([*command, "tracker:create_app()"], env=env, stdout=subprocess.DEVNULL)  # noqa: S603
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


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/health", timeout=10).ok
    except requests.RequestException:
        return False


def record_incidents(base: str, email: str, password: str, creates: int) -> list[tuple[float, str]]:
    """Log in as `email` and save `creates` drafts through the form: (seconds, problem) per
    save, the problem empty when the form answered with the saved incident."""
    outcomes = []
    with requests.Session() as http:
        token = CSRF.search(http.get(f"{base}/auth/login", timeout=30).text).group(1)
        http.post(f"{base}/auth/login", data={"email": email, "password": password, "csrf_token": token}, timeout=30)
        token = CSRF.search(http.get(f"{base}/incidents/new", timeout=30).text).group(1)
        for n in range(creates):
            fields = form_fields(incident_data(title=f"{email} {n}"), save="1", csrf_token=token)
            started = time.perf_counter()
            response = http.post(f"{base}/incidents/new", data=fields, allow_redirects=False, timeout=60)
            saved = response.status_code == 302 and "saved=1" in response.headers.get("Location", "")
            outcomes.append((time.perf_counter() - started, "" if saved else f"HTTP {response.status_code}"))
    return outcomes
