"""sharing: clearance-holder-only communities, posts, files, seminars and events

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 05:40:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('community',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name_ja', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('manager_id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('min_level', sa.String(length=8), nullable=False),
    sa.Column('regimes', sa.String(length=40), nullable=False),
    sa.Column('programmes', sa.String(length=400), nullable=False),
    sa.Column('nationalities', sa.String(length=400), nullable=False),
    sa.Column('organisation_kinds', sa.String(length=200), nullable=False),
    sa.Column('releasable_to', sa.String(length=400), nullable=False),
    sa.CheckConstraint("min_level IN ('CUI','CESI','SDS')", name=op.f('ck_community_min_level')),
    sa.ForeignKeyConstraint(['manager_id'], ['app_user.id'], name=op.f('fk_community_manager_id_app_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_community_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community'))
    )
    with op.batch_alter_table('community', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_manager_id'), ['manager_id'], unique=False)

    op.create_table('sharing_event',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('title_ja', sa.String(length=200), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('starts_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('ends_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('organiser_id', sa.String(length=36), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('min_level', sa.String(length=8), nullable=False),
    sa.Column('regimes', sa.String(length=40), nullable=False),
    sa.Column('programmes', sa.String(length=400), nullable=False),
    sa.Column('nationalities', sa.String(length=400), nullable=False),
    sa.Column('organisation_kinds', sa.String(length=200), nullable=False),
    sa.Column('releasable_to', sa.String(length=400), nullable=False),
    sa.CheckConstraint("min_level IN ('CUI','CESI','SDS')", name=op.f('ck_sharing_event_min_level')),
    sa.CheckConstraint('ends_at >= starts_at', name=op.f('ck_sharing_event_times')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_sharing_event_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['organiser_id'], ['app_user.id'], name=op.f('fk_sharing_event_organiser_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sharing_event'))
    )
    with op.batch_alter_table('sharing_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sharing_event_organiser_id'), ['organiser_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sharing_event_starts_at'), ['starts_at'], unique=False)

    op.create_table('community_member',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('community_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('applied_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', hozen.db.UTCDateTime(), nullable=True),
    sa.Column('ended_at', hozen.db.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('applied','admitted','refused','left','removed')", name=op.f('ck_community_member_status')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_community_member_community_id_community')),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_community_member_decided_by_app_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_community_member_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_member')),
    sa.UniqueConstraint('community_id', 'person_id', name=op.f('uq_community_member_community_id_person_id'))
    )
    with op.batch_alter_table('community_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_member_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_community_member_person_id'), ['person_id'], unique=False)

    op.create_table('community_post',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('community_id', sa.String(length=36), nullable=False),
    sa.Column('author_id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=False),
    sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("level IN ('UNMARKED','CUI','CESI','SDS')", name=op.f('ck_community_post_level')),
    sa.CheckConstraint("tlp IN ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')", name=op.f('ck_community_post_tlp')),
    sa.ForeignKeyConstraint(['author_id'], ['person.id'], name=op.f('fk_community_post_author_id_person')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_community_post_community_id_community')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_community_post'))
    )
    with op.batch_alter_table('community_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_community_post_community_id'), ['community_id'], unique=False)

    op.create_table('event_registration',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('registered_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('checked_in_at', hozen.db.UTCDateTime(), nullable=True),
    sa.Column('checked_in_by', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['checked_in_by'], ['app_user.id'], name=op.f('fk_event_registration_checked_in_by_app_user')),
    sa.ForeignKeyConstraint(['event_id'], ['sharing_event.id'], name=op.f('fk_event_registration_event_id_sharing_event')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_event_registration_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_registration')),
    sa.UniqueConstraint('event_id', 'person_id', name=op.f('uq_event_registration_event_id_person_id'))
    )
    with op.batch_alter_table('event_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_registration_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_registration_person_id'), ['person_id'], unique=False)

    op.create_table('shared_file',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('community_id', sa.String(length=36), nullable=True),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=False),
    sa.Column('uploaded_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', hozen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("level IN ('UNMARKED','CUI','CESI','SDS')", name=op.f('ck_shared_file_level')),
    sa.CheckConstraint("tlp IN ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')", name=op.f('ck_shared_file_tlp')),
    sa.CheckConstraint('(community_id IS NULL) <> (event_id IS NULL)', name=op.f('ck_shared_file_container')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_shared_file_community_id_community')),
    sa.ForeignKeyConstraint(['event_id'], ['sharing_event.id'], name=op.f('fk_shared_file_event_id_sharing_event')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['app_user.id'], name=op.f('fk_shared_file_uploaded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_file'))
    )
    with op.batch_alter_table('shared_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_file_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shared_file_event_id'), ['event_id'], unique=False)


def downgrade() -> None:
    for table, indexes in (
            ('shared_file', ('ix_shared_file_event_id', 'ix_shared_file_community_id')),
            ('event_registration', ('ix_event_registration_person_id',
                                    'ix_event_registration_event_id')),
            ('community_post', ('ix_community_post_community_id',)),
            ('community_member', ('ix_community_member_person_id',
                                  'ix_community_member_community_id')),
            ('sharing_event', ('ix_sharing_event_starts_at', 'ix_sharing_event_organiser_id')),
            ('community', ('ix_community_manager_id',))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in indexes:
                batch_op.drop_index(name)
        op.drop_table(table)
