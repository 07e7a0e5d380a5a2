"""threat intelligence: STIX objects, TAXII collections, API tokens, status resources, tear-lines

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 05:40:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('intel_collection',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('programmes', sa.String(length=400), nullable=False),
    sa.Column('releasable_to', sa.String(length=400), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('government_run', sa.Boolean(), nullable=False),
    sa.Column('review_required', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("level IN ('UNMARKED','CUI','CESI','SDS')", name=op.f('ck_intel_collection_level')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_intel_collection_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_collection'))
    )
    with op.batch_alter_table('intel_collection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_collection_organisation_id'), ['organisation_id'], unique=False)
    op.create_table('intel_collection_member',
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('granted_by', sa.String(length=36), nullable=False),
    sa.Column('granted_at', hozen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['intel_collection.id'], name=op.f('fk_intel_collection_member_collection_id_intel_collection'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_intel_collection_member_person_id_person')),
    sa.PrimaryKeyConstraint('collection_id', 'person_id', name=op.f('pk_intel_collection_member'))
    )
    op.create_table('stix_object',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('stix_id', sa.String(length=120), nullable=False),
    sa.Column('stix_type', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('date_added', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('level_rank', sa.Integer(), nullable=False),
    sa.Column('programmes', sa.String(length=400), nullable=False),
    sa.Column('releasable_to', sa.String(length=400), nullable=False),
    sa.Column('marking_key', sa.String(length=900), nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('submitted_by', sa.String(length=36), nullable=False),
    sa.Column('submitter_organisation_id', sa.String(length=36), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=36), nullable=True),
    sa.Column('reviewed_at', hozen.db.UTCDateTime(), nullable=True),
    sa.Column('review_reasons', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('approved','pending','refused')", name=op.f('ck_stix_object_status')),
    sa.ForeignKeyConstraint(['collection_id'], ['intel_collection.id'], name=op.f('fk_stix_object_collection_id_intel_collection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stix_object')),
    sa.UniqueConstraint('collection_id', 'stix_id', 'version', name=op.f('uq_stix_object_collection_id_stix_id_version'))
    )
    with op.batch_alter_table('stix_object', schema=None) as batch_op:
        batch_op.create_index('ix_stix_object_collection_added', ['collection_id', 'date_added', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stix_object_collection_id'), ['collection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stix_object_stix_id'), ['stix_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stix_object_submitter_organisation_id'), ['submitter_organisation_id'], unique=False)
    op.create_table('taxii_status',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('request_timestamp', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('successes', sa.JSON(), nullable=False),
    sa.Column('failures', sa.JSON(), nullable=False),
    sa.Column('pendings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['collection_id'], ['intel_collection.id'], name=op.f('fk_taxii_status_collection_id_intel_collection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_taxii_status'))
    )
    with op.batch_alter_table('taxii_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_taxii_status_user_id'), ['user_id'], unique=False)
    op.create_table('intel_tearline',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source_id', sa.String(length=36), nullable=False),
    sa.Column('collection_id', sa.String(length=36), nullable=False),
    sa.Column('target', sa.String(length=10), nullable=False),
    sa.Column('removed', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', hozen.db.UTCDateTime(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('released_id', sa.String(length=36), nullable=True),
    sa.CheckConstraint("status IN ('pending','released','refused')", name=op.f('ck_intel_tearline_status')),
    sa.CheckConstraint("target IN ('CUI','TLP:AMBER')", name=op.f('ck_intel_tearline_target')),
    sa.ForeignKeyConstraint(['collection_id'], ['intel_collection.id'], name=op.f('fk_intel_tearline_collection_id_intel_collection')),
    sa.ForeignKeyConstraint(['released_id'], ['stix_object.id'], name=op.f('fk_intel_tearline_released_id_stix_object')),
    sa.ForeignKeyConstraint(['source_id'], ['stix_object.id'], name=op.f('fk_intel_tearline_source_id_stix_object')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intel_tearline'))
    )
    with op.batch_alter_table('intel_tearline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intel_tearline_source_id'), ['source_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intel_tearline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_tearline_source_id'))
    op.drop_table('intel_tearline')
    with op.batch_alter_table('taxii_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_taxii_status_user_id'))
    op.drop_table('taxii_status')
    with op.batch_alter_table('stix_object', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stix_object_submitter_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_stix_object_stix_id'))
        batch_op.drop_index(batch_op.f('ix_stix_object_collection_id'))
        batch_op.drop_index('ix_stix_object_collection_added')
    op.drop_table('stix_object')
    op.drop_table('intel_collection_member')
    with op.batch_alter_table('intel_collection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intel_collection_organisation_id'))
    op.drop_table('intel_collection')
