"""The Alembic migrations in migrations/ build exactly the schema of tracker/models, on SQLite
and on PostgreSQL (SecureDrop's "migrations match the models" test).

When a model changes, add a revision and commit it with the model change:

    make migration MSG="add incident tags"     # writes migrations/versions/000N_add_incident_tags.py
    make initial-migration                     # before the first release only: rewrite 0001

`make migration` is `flask --app tracker db migrate` run against a throwaway SQLite database.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from tests.support import make_app
from tracker.config import PROJECT_ROOT
from tracker.extensions import db


@pytest.fixture
def bare_app(database_url, tmp_path):
    """An app on an empty database: no create_all, the migrations have to build the schema."""
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def model_tables() -> set[str]:
    return set(db.metadata.tables)


def test_migration_history_has_a_single_head():
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: merge them (flask db merge heads)"


def test_migrations_match_models(bare_app):
    upgrade()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], (
        f'the models and migrations/ differ; run `make migration MSG="..."` and review the result:\n{diff}'
    )


def test_migrations_create_the_check_constraints(bare_app):
    """Autogenerate does not compare CHECK constraints, so compare their names here."""
    upgrade()
    inspector = sa.inspect(db.engine)
    for table in db.metadata.sorted_tables:
        expected = {c.name for c in table.constraints if isinstance(c, sa.CheckConstraint)}
        found = {c["name"] for c in inspector.get_check_constraints(table.name)}
        assert expected <= found, f"{table.name}: CHECK constraints missing from migrations/"


def test_init_db_creates_the_tables_and_can_run_again(bare_app):
    runner = bare_app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert model_tables() <= table_names()

    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0, second.output
    assert model_tables() <= table_names()


def test_downgrade_to_base_removes_every_table(bare_app):
    upgrade()
    assert model_tables() <= table_names()
    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
