"""region names as people write them: the regions' source, and stored names respelt

Regions get `source` (where the boundaries come from, credited on downloaded maps; empty for
those imported before). The names of stored regions and the incidents' admin1–3 are respelt
as people write them (tracker/regions/spelling.py: "JUNIN"/"Junin" → "Junín"). A downgrade
drops the column and keeps the new spellings: the old ones were only the files' shorthand.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 12:00:00

"""
from alembic import op
import sqlalchemy as sa

from tracker.regions.respelling import respell_incidents, respell_regions


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=300), server_default='', nullable=False))

    connection = op.get_bind()
    respell_regions(connection)
    respell_incidents(connection)


def downgrade():
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_column('source')
