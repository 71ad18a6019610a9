"""Helpers shared by the test modules and their conftest files (importable, unlike conftest)."""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker import create_app
from tracker.exchange.formats.csv_format import COLUMNS
from tracker.extensions import db
from tracker.models import Incident

PG_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_ALL = os.environ.get("TRACKER_REQUIRE_ALL") == "1"
SHARED_GEO = Path(__file__).resolve().parents[2] / "shared" / "geo" / "peru"
PASSWORD = "correct-horse-42"
ROLES = ("admin", "reviewer", "monitor", "author", "viewer")


def missing(what: str):
    """Skip, or fail under TRACKER_REQUIRE_ALL=1, when a service a test needs is absent."""
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required (TRACKER_REQUIRE_ALL=1) but not available")
    pytest.skip(f"{what} not available")


def make_app(database_url: str, instance_path: Path, **overrides):
    os.environ["TRACKER_INSTANCE_PATH"] = str(instance_path)
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "TILE_URL": "",
        "PASSWORD_HASH_PROFILE": "CHEAPEST",
        # Staff log in with a password alone here; tests/test_second_factor.py runs the default
        # (admin and reviewer must enrol) and the code step.
        "REQUIRE_2FA_ROLES": (),
        # Assertions read English; tests of the Spanish UI ask for it explicitly.
        "BABEL_DEFAULT_LOCALE": "en",
    }
    config.update(overrides)
    return create_app(config)


@contextmanager
def languages_only(folder: Path) -> Iterator[object]:
    """The context of an app whose database is never used: for tests of wording alone."""
    app = make_app(f"sqlite:///{folder / 'unused.db'}", folder / "instance")
    with app.app_context():
        yield app


def import_departments() -> int:
    """The department layer alone: enough for a choropleth, and quick to import."""
    from tracker.exchange.demo import BOUNDARY_LAYERS
    from tracker.regions.service import import_boundaries

    name, level, name_field, code_field = BOUNDARY_LAYERS[0]
    return import_boundaries(SHARED_GEO / name, level, name_field, code_field)


@contextmanager
def postgres_schema(engine: sa.Engine) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema of its own, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@contextmanager
def schema_created(app):
    """The app's context with its tables created from the models, dropped afterwards."""
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, role_or_email: str, password: str = PASSWORD):
        email = role_or_email if "@" in role_or_email else f"{role_or_email}@example.org"
        return self.client.post("/auth/login", data={"email": email, "password": password})

    def logout(self):
        return self.client.post("/auth/logout")


# --- the canonical CSV, as the import tests write it --------------------------------------------

FULL = dict(
    title="Amenaza a defensora ficticia",
    description="Persona ficticia 0001 recibió amenazas.",
    date="2024-05-10",
    date_precision="day",
    place="Puerto Maldonado",
    latitude="-12.5933",
    longitude="-69.1891",
    geo_precision="exact",
    country="PE",
    admin1="Madre de Dios",
    admin2="Tambopata",
    admin3="Tambopata",
    violations="threat;harassment",
    victim_groups="environmental_defender;family_member",
    victim_count="1;3",
    victim_gender="female;unknown",
    perpetrators="illegal_mining;unknown",
    killed="",
    injured="0",
    detained="",
    status="verified",
    confidence="likely",
    visibility="public",
    public_location="admin1",
    source_urls="https://noticias.example.org/1;",
    source_kinds="media;testimony",
    event="Ola ficticia",
)


def csv_line(columns, **cells) -> str:
    """One CSV line with these columns; cells not given are empty."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([cells.get(name, "") for name in columns])
    return out.getvalue().removesuffix("\n")


def line(**cells) -> str:
    """One CSV line with the canonical columns."""
    return csv_line(COLUMNS, **cells)


def write(tmp_path, *rows: str, header: str = ",".join(COLUMNS), name: str = "in.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def count(model=Incident) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- the report on tests/report_scenario.py: its headings, and its figures counted by hand -------

# Report headings, in their order (Markdown, DOCX, ODT/PDF).
HEADINGS = [
    "Principle 1: Respect and protection of fundamental freedoms",
    "1.1 Freedom of association",
    "1.2 Freedom of peaceful assembly",
    "1.3 Freedom of expression",
    "Protection of human rights defenders",
]

# Incidents per section: totals and every breakdown.
EXPECTED = {
    "1.1": {
        "total": {"incidents": 5, "killed": 0, "injured": 0, "detained": 2, "victims": 8},
        "violation": {
            "org_admin_harassment": 1,
            "org_funding_restriction": 1,
            "org_closure": 1,
            "org_stigmatisation": 1,
            "org_raid": 1,
            "org_registration_denied": 1,
        },
        "victim_group": {"organisation": 5, "cso_member": 1, "hrd": 1},
        "admin1": {"Lima": 3, "Loreto": 1, "Cusco": 1},
        "admin2": {"Lima": 2, "": 1, "Maynas": 1, "Cusco": 1},
        "perpetrator": {"state_official": 3, "judiciary": 1, "legislature": 1, "police": 1},
        "month": {"2024-02": 1, "2024-04": 1, "2024-06": 1, "2024-09": 1, "2024-10": 1},
        "gender": {"unknown": 5, "male": 1},
    },
    "1.2": {
        "total": {"incidents": 8, "killed": 3, "injured": 31, "detained": 31, "victims": 384},
        "violation": {
            "protest_excessive_force": 3,
            "protest_killing": 1,
            "protest_dispersal": 2,
            "protest_ban": 1,
            "protest_detention": 2,
            "protest_criminalisation": 1,
        },
        "victim_group": {
            "protester": 6,
            "student": 2,
            "community": 1,
            "community_leader": 1,
            "hrd": 1,
            "journalist": 1,
        },
        "admin1": {"Lima": 4, "Puno": 1, "Cusco": 1, "Apurímac": 1, "Junín": 1},
        "admin2": {"Lima": 4, "San Román": 1, "Cusco": 1, "Cotabambas": 1, "Huancayo": 1},
        "perpetrator": {"police": 6, "military": 1, "state_official": 1, "judiciary": 1},
        "month": {"2024-01": 1, "2024-02": 1, "2024-03": 1, "2024-05": 1, "2024-07": 2, "2024-09": 1, "2024-11": 1},
        "gender": {"unknown": 6, "male": 1, "female": 3},
    },
    "1.3": {
        "total": {"incidents": 10, "killed": 0, "injured": 7, "detained": 1, "victims": 44},
        "violation": {
            "journalist_attack": 2,
            "online_harassment": 2,
            "journalist_threat": 1,
            "defamation_suit": 1,
            "media_closure": 1,
            "media_censorship": 1,
            "surveillance": 1,
            "data_leak": 1,
            "journalist_detention": 1,
            "internet_restriction": 1,
        },
        "victim_group": {
            "journalist": 7,
            "lgbtiq_activist": 1,
            "media_worker": 1,
            "organisation": 1,
            "community": 1,
            "family_member": 1,
            "protester": 1,
        },
        "admin1": {"Lima": 4, "Cusco": 1, "Piura": 1, "Ayacucho": 1, "Junín": 1, "San Martín": 1, "Loreto": 1},
        "admin2": {"Lima": 4, "Espinar": 1, "Piura": 1, "Huamanga": 1, "Satipo": 1, "Moyobamba": 1, "Maynas": 1},
        "perpetrator": {"police": 3, "state_official": 4, "company": 1, "legislature": 1, "unknown": 1},
        "month": {
            "2024-01": 1,
            "2024-02": 1,
            "2024-03": 1,
            "2024-04": 1,
            "2024-06": 1,
            "2024-08": 2,
            "2024-09": 2,
            "2024-10": 1,
        },
        "gender": {"male": 3, "non_binary": 1, "female": 4, "unknown": 4},
    },
    "protection": {
        # P6 (a family member alone) and A4 (a community leader, but no protection code) are out.
        "total": {"incidents": 18, "killed": 4, "injured": 14, "detained": 14, "victims": 24},
        "violation": {
            "killing": 4,
            "threat": 5,
            "attempted_killing": 1,
            "judicial_harassment": 1,
            "arbitrary_detention": 2,
            "physical_assault": 3,
            "smear_campaign": 2,
            "harassment": 1,
            "raid_home_office": 1,
        },
        "victim_group": {
            "environmental_defender": 4,
            "indigenous_leader": 1,
            "land_defender": 1,
            "community_leader": 1,
            "hrd": 3,
            "journalist": 4,
            "lgbtiq_activist": 1,
            "trade_unionist": 1,
            "cso_member": 2,
        },
        "admin1": {
            "Loreto": 5,
            "Ucayali": 1,
            "San Martín": 1,
            "Apurímac": 2,
            "Lima": 3,
            "Cusco": 2,
            "Madre de Dios": 1,
            "Puno": 1,
            "Junín": 2,
        },
        "admin2": {
            "Maynas": 4,
            "Datem del Marañón": 1,
            "Coronel Portillo": 1,
            "": 1,
            "Cotabambas": 1,
            "Abancay": 1,
            "Lima": 3,
            "Espinar": 1,
            "Cusco": 1,
            "Tambopata": 1,
            "San Román": 1,
            "Huancayo": 1,
            "Satipo": 1,
        },
        "perpetrator": {
            "illegal_logging": 2,
            "unknown": 3,
            "drug_trafficking": 1,
            "company": 2,
            "judiciary": 1,
            "police": 5,
            "state_official": 2,
            "illegal_mining": 1,
            "private_security": 1,
            "mob": 1,
            "legislature": 1,
        },
        "month": {
            "2024-01": 2,
            "2024-02": 2,
            "2024-03": 1,
            "2024-04": 1,
            "2024-05": 1,
            "2024-06": 1,
            "2024-07": 1,
            "2024-08": 2,
            "2024-09": 3,
            "2024-10": 1,
            "2024-11": 1,
            "2024-12": 2,
        },
        # defender victims only: P2's and P5's female family members make no row
        "gender": {"male": 8, "female": 9, "non_binary": 1, "unknown": 1},
    },
}
