"""The deployment docs/operations.md describes keeps its promises, served by gunicorn with the
repository's gunicorn.conf.py: a download longer than the worker timeout arrives to its last
byte, the access log holds no query string, and while the database cannot be reached pages
answer with the app's own 503 page, working again as soon as it is back."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from contextlib import suppress

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.factories import form_fields, incident_data
from tests.served import form_token, gunicorn, signed_in
from tests.support import PASSWORD
from tracker.exchange.demo import write_demo_csv
from tracker.exchange.importer import import_csv
from tracker.extensions import db
from tracker.models import Incident

EXPORTED = 30_000  # incidents: enough for each export to outlast SHORT_TIMEOUT
SHORT_TIMEOUT = 2  # seconds: a sync worker would be killed this far into the download


def csv_rows(body: bytes) -> int:
    """Data rows of a CSV export that ends with a complete line."""
    assert body.endswith(b"\n")
    header, *rows = csv.reader(io.StringIO(body.decode("utf-8")))
    assert header[0] == "ref" and len(rows[-1]) == len(header)
    return len(rows)


def xlsx_rows(body: bytes) -> int:
    book = load_workbook(io.BytesIO(body), read_only=True)
    header, *rows = book["Incidents"].iter_rows(values_only=True)
    assert header[0] == "ref"
    return len(rows)


def test_exports_longer_than_the_worker_timeout_arrive_whole(app, users, database_url, tmp_path):
    path = tmp_path / "demo.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        write_demo_csv(out, EXPORTED)
    assert import_csv(path).stored == EXPORTED
    options = ("--timeout", str(SHORT_TIMEOUT))
    with gunicorn(database_url, tmp_path / "served", workers=2, options=options) as base:
        with signed_in(base, "reviewer@example.org", PASSWORD) as http:
            for fmt, rows_in in (("csv", csv_rows), ("xlsx", xlsx_rows)):
                started = time.perf_counter()
                response = http.get(f"{base}/incidents/export.{fmt}", timeout=300)
                seconds = time.perf_counter() - started
                print(f"{fmt}: {len(response.content) / 1e6:.1f} MB in {seconds:.1f} s")
                assert response.status_code == 200
                assert rows_in(response.content) == EXPORTED
                # the worker kept its heartbeat through a download a sync worker would not survive
                assert seconds > SHORT_TIMEOUT, "the export was quicker than the timeout: raise EXPORTED"


def test_the_access_log_keeps_no_query_string(users, database_url, tmp_path):
    log = tmp_path / "access.log"
    with gunicorn(database_url, tmp_path / "served", workers=1, options=("--access-logfile", str(log))) as base:
        with signed_in(base, "reviewer@example.org", PASSWORD) as http:
            searched = http.get(f"{base}/incidents/?q=SecretName&perpetrator=police", timeout=30)
            http.get(f"{base}/incidents/", headers={"Referer": f"{base}/incidents/?q=SecretName"}, timeout=30)
    assert searched.status_code == 200
    lines = log.read_text().splitlines()
    assert sum('"GET /incidents/" 200' in line for line in lines) == 2
    assert not [line for line in lines if "SecretName" in line or "police" in line]


class DatabaseLine:
    """A TCP relay to PostgreSQL that a test cuts (every connection closed, new ones refused)
    and restores, as a network outage or a database restart would, leaving the server alone."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._accepting: threading.Thread | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)
        self._open.set()
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def cut(self) -> None:
        self._open.clear()
        if self._accepting is not None:
            self._accepting.join()  # it closes the listener: new connections are refused
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        with listener:
            while self._open.is_set():
                try:
                    client, _address = listener.accept()
                except TimeoutError:
                    continue
                client.setblocking(True)
                server = socket.create_connection(self.upstream)
                with self._lock:
                    self._sockets += [client, server]
                for source, target in ((client, server), (server, client)):
                    threading.Thread(target=_relay, args=(source, target), daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cut()


def _relay(source: socket.socket, target: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(1 << 16):
            target.sendall(data)
    for sock in (source, target):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.databases("postgresql")  # SQLite is a file: it cannot become unreachable
def test_while_the_database_is_cut_off_pages_answer_503_and_work_again_after(users, database_url, tmp_path):
    url = sa.engine.make_url(database_url)
    line = DatabaseLine(url.host or "127.0.0.1", url.port or 5432)
    relayed = url.set(host="127.0.0.1", port=line.port).render_as_string(hide_password=False)
    with line, gunicorn(relayed, tmp_path / "served", workers=1) as base:
        with signed_in(base, "monitor@example.org", PASSWORD) as http:
            http.headers["Accept-Language"] = "es"
            token = form_token(http, f"{base}/incidents/new")
            draft = form_fields(incident_data(title="Escrito durante el corte"), csrf_token=token)
            line.cut()
            cut_off = [
                http.get(f"{base}/incidents/", timeout=30),
                http.post(f"{base}/incidents/new", data=draft, allow_redirects=False, timeout=30),
            ]
            line.restore()
            listing = http.get(f"{base}/incidents/", timeout=30)
            saved = http.post(f"{base}/incidents/new", data=draft, allow_redirects=False, timeout=30)
    for answer in cut_off:
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "10"
        assert "No se puede acceder a la base de datos" in answer.text  # the app's page, in Spanish
        assert "Internal Server Error" not in answer.text
    assert listing.status_code == 200 and "Monitor" in listing.text  # signed in still
    assert saved.status_code == 302 and "saved=1" in saved.headers["Location"]
    assert db.session.scalars(sa.select(Incident.title)).all() == ["Escrito durante el corte"]
