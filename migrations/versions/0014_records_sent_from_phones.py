"""records sent from phones: receipts and held drafts

A receipt per record a phone's outbox sent (tracker/offline/), under its client UUID, so a
record sent twice is stored once; drafts the server held back, their fields and problems
encrypted (Text underneath).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 15:48:18.799809

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('held_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_held_drafts_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_drafts'))
    )
    with op.batch_alter_table('held_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_drafts_user_id'), ['user_id'], unique=False)

    op.create_table('offline_receipts',
    sa.Column('client_uuid', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('held_draft_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['held_draft_id'], ['held_drafts.id'], name=op.f('fk_offline_receipts_held_draft_id_held_drafts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_offline_receipts_incident_id_incidents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_offline_receipts_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('client_uuid', name=op.f('pk_offline_receipts'))
    )


def downgrade():
    op.drop_table('offline_receipts')
    with op.batch_alter_table('held_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_drafts_user_id'))

    op.drop_table('held_drafts')
