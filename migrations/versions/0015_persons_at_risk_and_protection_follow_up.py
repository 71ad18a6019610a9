"""persons at risk and protection follow-up

The register of persons at risk (persons, with their history in person_changes), victim rows
pointing to it, protection requests per incident, acknowledged early-warning alerts, and two
stored facts of each incident (defender rows naming a person, requests), which start at zero:
no stored incident has either yet. Names, notes, references and comments are encrypted
(Text underneath).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:31:38.206857

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_key', sa.String(length=200), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_acknowledgements_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_acknowledgements')),
    sa.UniqueConstraint('alert_key', name=op.f('uq_alert_acknowledgements_alert_key'))
    )
    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('groups', sa.String(length=400), nullable=False),
    sa.Column('gender', sa.String(length=12), nullable=False),
    sa.Column('indigenous', sa.Boolean(), nullable=False),
    sa.Column('woman_defender', sa.Boolean(), nullable=False),
    sa.Column('lgbtiq', sa.Boolean(), nullable=False),
    sa.Column('community', sa.Text(), nullable=False),
    sa.Column('admin1', sa.String(length=120), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_persons_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['persons.id'], name=op.f('fk_persons_merged_into_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('key', name=op.f('uq_persons_key'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_merged_into_id'), ['merged_into_id'], unique=False)

    op.create_table('person_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_changes_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_person_changes_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_changes'))
    )
    with op.batch_alter_table('person_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_changes_person_id'), ['person_id'], unique=False)

    op.create_table('protection_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('filed_on', sa.Date(), nullable=False),
    sa.Column('authority', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.Text(), nullable=False),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('measures', sa.String(length=400), nullable=False),
    sa.Column('measures_end', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.CheckConstraint('decided_on IS NULL OR decided_on >= filed_on', name=op.f('ck_protection_requests_decided_after_filed')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_protection_requests_incident_id_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_protection_requests'))
    )
    with op.batch_alter_table('protection_requests', schema=None) as batch_op:
        batch_op.create_index('ix_protection_requests_decision_filed_on', ['decision', 'filed_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_protection_requests_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_protection_requests_measures_end'), ['measures_end'], unique=False)

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('linked_defender_rows', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('request_count', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('victims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_victims_person_id'), ['person_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_victims_person_id_persons'), 'persons', ['person_id'], ['id'])
        batch_op.create_index(
            'ix_victims_incident_person_group_count',
            ['incident_id', 'person_id', 'group', 'count'],
            unique=False,
            postgresql_where=sa.text('person_id IS NOT NULL'),
            sqlite_where=sa.text('person_id IS NOT NULL'),
        )



def downgrade():
    with op.batch_alter_table('victims', schema=None) as batch_op:
        batch_op.drop_index('ix_victims_incident_person_group_count')
        batch_op.drop_constraint(batch_op.f('fk_victims_person_id_persons'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_victims_person_id'))
        batch_op.drop_column('person_id')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('request_count')
        batch_op.drop_column('linked_defender_rows')

    with op.batch_alter_table('protection_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_protection_requests_measures_end'))
        batch_op.drop_index(batch_op.f('ix_protection_requests_incident_id'))
        batch_op.drop_index('ix_protection_requests_decision_filed_on')

    op.drop_table('protection_requests')
    with op.batch_alter_table('person_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_changes_person_id'))

    op.drop_table('person_changes')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_persons_created_by_id'))

    op.drop_table('persons')
    op.drop_table('alert_acknowledgements')
