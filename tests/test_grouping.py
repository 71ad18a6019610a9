"""sums_by: the same counts and sums whichever database groups them (SQLite adds rows into a
keyed temporary table, PostgreSQL groups), with NULL counted as nothing."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import incident_data, submit_incident
from tracker.grouping import sums_by
from tracker.models import Incident


def test_rows_and_sums_per_key_on_every_database(app, users):
    for admin1, killed, injured in (("Puno", 2, None), ("Puno", None, 1), ("Cusco", 1, 3), ("Áncash", 0, None)):
        submit_incident(
            incident_data(admin1=admin1, place=admin1, latitude=None, longitude=None, killed=killed, injured=injured),
            users["monitor"],
        )
    deaths = sa.case((Incident.killed > 0, 1), else_=0)
    rows = sums_by([Incident.admin1, deaths], [Incident.killed, Incident.injured], [Incident.admin1 != "Áncash"])
    got = sorted((admin1, int(died), n, int(killed), int(injured)) for admin1, died, n, killed, injured in rows)
    assert got == [("Cusco", 1, 1, 1, 3), ("Puno", 0, 1, 0, 1), ("Puno", 1, 1, 2, 0)]
    # the SQLite table is emptied after use: a second call counts afresh
    assert sorted(sums_by([Incident.admin1], [])) == [("Cusco", 1), ("Puno", 2), ("Áncash", 1)]
