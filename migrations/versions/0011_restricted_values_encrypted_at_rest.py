"""restricted values encrypted at rest, with a blind search index

Victim names and organisations, perpetrator names, source titles and URLs, the exact place,
the history's snapshots and changes and the import jobs' summaries become Text (ciphertext is
longer than the value) and are encrypted with the app's keyring (tracker/crypto.py); the words
of the searchable ones go to search_terms as keyed digests (tracker/search_index.py). Runs in
the app's context (Flask-Migrate), whose keyring it uses. Downgrade decrypts them again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:30:00

"""
from alembic import op
import sqlalchemy as sa

from tracker.crypto import keyring
from tracker.search_index import digests


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# table -> (column, type before this revision)
TEXT_COLUMNS = {
    'incidents': [('place', sa.String(length=200))],
    'victims': [('name', sa.String(length=200)), ('organisation', sa.String(length=200))],
    'perpetrators': [('name', sa.String(length=200))],
    'sources': [('title', sa.String(length=300)), ('url', sa.String(length=1000))],
}
JSON_COLUMNS = {
    'incident_versions': ['snapshot', 'changes'],
    'import_jobs': ['summary'],
}
# (scope, SELECT of incident id and text) for the search index, as search_index.texts_of
INDEXED = [
    ('place', "SELECT id, place FROM incidents"),
    ('identity', "SELECT incident_id, name FROM victims"),
    ('identity', "SELECT incident_id, organisation FROM victims"),
    ('identity', "SELECT incident_id, name FROM perpetrators"),
    ('identity', "SELECT incident_id, title FROM sources WHERE confidential"),
    ('source', "SELECT incident_id, title FROM sources WHERE NOT confidential"),
]
BATCH = 5000


def _columns():
    for table, columns in TEXT_COLUMNS.items():
        for column, _old in columns:
            yield table, column
    for table, columns in JSON_COLUMNS.items():
        for column in columns:
            yield table, column


def _rewrite(conn, table, column, change):
    """Pass every non-empty value of a column through `change`, a batch at a time."""
    rows = conn.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''"))
    update = sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id")
    batch = [{"id": row[0], "value": change(row[1])} for row in rows]
    for start in range(0, len(batch), BATCH):
        conn.execute(update, batch[start:start + BATCH])


def upgrade():
    dialect = op.get_bind().dialect.name
    for table, columns in TEXT_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old in columns:
                batch_op.alter_column(column, existing_type=old, type_=sa.Text(), existing_nullable=False)
    for table, columns in JSON_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False,
                    postgresql_using=f"{column}::text",
                )
    op.create_table('search_terms',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_search_terms_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('incident_id', 'scope', 'digest', name=op.f('pk_search_terms'))
    )
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.create_index('ix_search_terms_digest_scope_incident', ['digest', 'scope', 'incident_id'], unique=False)

    conn = op.get_bind()
    ring = keyring()
    key = ring.index_key()
    terms = set()
    for scope, query in INDEXED:
        if dialect == 'sqlite':
            query = query.replace("WHERE confidential", "WHERE confidential = 1").replace("NOT confidential", "confidential = 0")
        for incident_id, text in conn.execute(sa.text(query)):
            terms.update((incident_id, scope, digest) for digest in digests(text or "", key))
    rows = [{"incident_id": i, "scope": s, "digest": d} for i, s, d in sorted(terms)]
    insert = sa.text("INSERT INTO search_terms (incident_id, scope, digest) VALUES (:incident_id, :scope, :digest)")
    for start in range(0, len(rows), BATCH):
        conn.execute(insert, rows[start:start + BATCH])
    for table, column in _columns():
        _rewrite(conn, table, column, ring.encrypt)


def downgrade():
    conn = op.get_bind()
    ring = keyring()
    for table, column in _columns():
        _rewrite(conn, table, column, ring.decrypt)
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_digest_scope_incident')
    op.drop_table('search_terms')
    for table, columns in JSON_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column, existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False,
                    postgresql_using=f"{column}::json",
                )
    for table, columns in TEXT_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old in columns:
                batch_op.alter_column(column, existing_type=sa.Text(), type_=old, existing_nullable=False)
