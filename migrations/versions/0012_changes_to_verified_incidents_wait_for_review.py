"""changes to verified incidents wait for review

Edits of a verified or published incident by anyone but a reviewer are kept as proposals in
incident_revisions (tracker/incidents/revisions.py); their content and the reviewer's comment
are encrypted (Text underneath).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 13:47:23.694961

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('incident_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('applied_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_incident_revisions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_revisions_incident_id_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_incident_revisions_proposed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_revisions'))
    )
    with op.batch_alter_table('incident_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_revisions_incident_id'), ['incident_id'], unique=False)



def downgrade():
    with op.batch_alter_table('incident_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_revisions_incident_id'))

    op.drop_table('incident_revisions')
