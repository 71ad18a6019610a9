"""Refusing a hostile file: `tracker import` of an XLSX of a few MB whose one sheet unpacks to
--gigabytes GB (a cell of one letter repeated, as a "zip bomb" is made), its seconds and peak
memory growth, beside a naive reader in the same run: openpyxl opening it read-only and
iterating its rows, as the importer did before it looked at what the zip declares. The naive
reader is stopped once its memory grows past --cap-mb MB or it runs --cap-seconds seconds.

    .venv/bin/python bench/hostile_files.py [--gigabytes 3] [--cap-mb 1024] [--cap-seconds 60]

Each reader runs in a freshly spawned process. Peak RSS growth is the kernel's peak resident
size (VmHWM, reset just before the work starts) less the resident size then; the naive reader's
is the largest resident size seen every 50 ms (Linux only). Goal: refused in ≤ 5 s with less
than 200 MB growth.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _common import bench_app, fresh_database, print_table

from tracker.exchange.formats.csv_format import COLUMNS
from tracker.exchange.importer import import_file

HEADERS = ["reader", "outcome", "seconds", "peak RSS growth MB"]
SHEET = "xl/worksheets/sheet1.xml"
BLOCK = b"A" * (1 << 20)
POLL = 0.05


def write_bomb(path: Path, gigabytes: int) -> Path:
    """A workbook with the canonical header whose first sheet's one cell holds `gigabytes` GB."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(list(COLUMNS))
    plain = io.BytesIO()
    book.save(plain)
    blocks = gigabytes * 1024
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            if item.filename != SHEET:
                bomb.writestr(item, source.read(item))
        with bomb.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet '
                b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                b'<row r="1"><c r="A1" t="inlineStr"><is><t>'
            )
            for done in range(1, blocks + 1):
                sheet.write(BLOCK)
                if done % 64 == 0 or done == blocks:
                    print(f"\rwriting the workbook: {done:,}/{blocks:,} MB unpacked", end="", file=sys.stderr)
            sheet.write(b"</t></is></c></row></sheetData></worksheet>")
    print(file=sys.stderr)
    return path


def refusing_reader(conn, path: Path, workdir: Path) -> None:
    """`tracker import`, on an app with an empty SQLite database."""
    with fresh_database("sqlite", workdir) as url, bench_app(url, workdir):
        _measured(conn, lambda: _refusal(path))


def _refusal(path: Path) -> str:
    result = import_file(path)
    assert result.stored == 0 and not result.readable, "the workbook was not refused"
    return result.errors[0].message


def naive_reader(conn, path: Path) -> None:
    """openpyxl's read-only workbook, every row of every sheet iterated."""
    from openpyxl import load_workbook

    def read() -> str:
        book = load_workbook(path, read_only=True)
        rows = sum(1 for sheet in book.worksheets for _row in sheet.iter_rows(values_only=True))
        return f"read {rows:,} rows"

    _measured(conn, read)


def _measured(conn, work) -> None:
    start = _reset_peak_rss()
    conn.send(start)
    started = time.perf_counter()
    outcome = work()
    conn.send((outcome, time.perf_counter() - started, _status_kb("VmHWM") * 1024 - start))


def _reset_peak_rss() -> int:
    """Reset the kernel's peak resident size to the current one, and return that (bytes)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS") * 1024


def _status_kb(field: str, pid: str = "self") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


def watched(label: str, reader, args: tuple, cap_mb: int, cap_seconds: float) -> list:
    """A table row for `reader(conn, *args)` in a fresh process, stopped at the caps."""
    print(f"{label}…", file=sys.stderr)
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=reader, args=(theirs, *args))
    process.start()
    start = ours.recv()
    began, peak = time.monotonic(), 0
    while not ours.poll(POLL):
        elapsed = time.monotonic() - began
        if not process.is_alive():
            return [label, f"died (exit code {process.exitcode})", f"{elapsed:.1f}", peak / 2**20]
        try:
            peak = max(peak, _status_kb("VmRSS", str(process.pid)) * 1024 - start)
        except (FileNotFoundError, AttributeError):  # ending: its status is gone or empty
            continue
        if peak > cap_mb * 2**20 or elapsed > cap_seconds:
            process.kill()
            process.join()
            seconds = f"> {elapsed:.0f}" if elapsed > cap_seconds else f"{elapsed:.1f}"
            grown = f"> {cap_mb:,}" if peak > cap_mb * 2**20 else f"{peak / 2**20:,.0f}"
            return [label, "stopped at the cap", seconds, grown]
    outcome, seconds, growth = ours.recv()
    process.join()
    return [label, outcome[:70], f"{seconds:.2f}", growth / 2**20]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gigabytes", type=int, default=3, help="what the workbook's sheet unpacks to")
    parser.add_argument("--cap-mb", type=int, default=1024, help="memory growth at which the naive reader is stopped")
    parser.add_argument("--cap-seconds", type=float, default=60, help="time after which it is stopped")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = write_bomb(workdir / "bomb.xlsx", args.gigabytes)
        size = path.stat().st_size / 2**20
        table = [
            watched("tracker import", refusing_reader, (path, workdir), args.cap_mb, args.cap_seconds),
            watched("naive: openpyxl read-only", naive_reader, (path,), args.cap_mb, args.cap_seconds),
        ]
    print(f"\nAn XLSX of {size:.1f} MB that unpacks to {args.gigabytes} GB, each reader in a fresh process")
    print_table(HEADERS, table)


if __name__ == "__main__":
    main()
