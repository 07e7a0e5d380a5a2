"""foundation: registry, accounts, audit (append-only audit enforced by triggers)

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 10:39:54.378455
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


# The audit log is append-only: the database itself refuses UPDATE and DELETE on it.
_PG_TRIGGER = """
CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
"""
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
)


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    op.create_table('audit_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoint'))
    )
    op.create_table('audit_event',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.Column('subject_type', sa.String(length=50), nullable=False),
    sa.Column('subject_id', sa.String(length=100), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_tag'), ['tag'], unique=False)

    op.create_table('country',
    sa.Column('code', sa.String(length=3), nullable=False),
    sa.Column('alpha_2', sa.String(length=2), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('name_ja', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_country')),
    sa.UniqueConstraint('alpha_2', name=op.f('uq_country_alpha_2'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('name_ja', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('country_code', sa.String(length=3), nullable=False),
    sa.Column('parent_id', sa.String(length=36), nullable=True),
    sa.Column('corporate_number', sa.String(length=13), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('government_body','company','university','research_institute','foreign_government','foreign_company')", name=op.f('ck_organisation_kind')),
    sa.CheckConstraint('parent_id IS NULL OR parent_id <> id', name=op.f('ck_organisation_not_own_parent')),
    sa.ForeignKeyConstraint(['country_code'], ['country.code'], name=op.f('fk_organisation_country_code_country')),
    sa.ForeignKeyConstraint(['parent_id'], ['organisation.id'], name=op.f('fk_organisation_parent_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('corporate_number', name=op.f('uq_organisation_corporate_number'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_parent_id'), ['parent_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('employer_id', sa.String(length=36), nullable=True),
    sa.Column('pii', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['organisation.id'], name=op.f('fk_person_employer_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person'))
    )
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_employer_id'), ['employer_id'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('profile', sa.LargeBinary(), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('organisation_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_app_user_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_app_user_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('person_id', name=op.f('uq_app_user_person_id')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('ownership_edge',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owned_id', sa.String(length=36), nullable=False),
    sa.Column('owner_organisation_id', sa.String(length=36), nullable=True),
    sa.Column('owner_person_id', sa.String(length=36), nullable=True),
    sa.Column('share_pct', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('voting_pct', sa.Numeric(precision=7, scale=4), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(owner_organisation_id IS NULL) <> (owner_person_id IS NULL)', name=op.f('ck_ownership_edge_one_owner')),
    sa.CheckConstraint('owner_organisation_id IS NULL OR owner_organisation_id <> owned_id', name=op.f('ck_ownership_edge_not_self')),
    sa.CheckConstraint('share_pct > 0 OR voting_pct > 0', name=op.f('ck_ownership_edge_some_holding')),
    sa.CheckConstraint('share_pct >= 0 AND share_pct <= 100', name=op.f('ck_ownership_edge_share_range')),
    sa.CheckConstraint('voting_pct >= 0 AND voting_pct <= 100', name=op.f('ck_ownership_edge_voting_range')),
    sa.ForeignKeyConstraint(['owned_id'], ['organisation.id'], name=op.f('fk_ownership_edge_owned_id_organisation')),
    sa.ForeignKeyConstraint(['owner_organisation_id'], ['organisation.id'], name=op.f('fk_ownership_edge_owner_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['owner_person_id'], ['person.id'], name=op.f('fk_ownership_edge_owner_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ownership_edge')),
    sa.UniqueConstraint('owned_id', 'owner_organisation_id', 'owner_person_id', name=op.f('uq_ownership_edge_owned_id_owner_organisation_id_owner_person_id'))
    )
    with op.batch_alter_table('ownership_edge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ownership_edge_owned_id'), ['owned_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_edge_owner_organisation_id'), ['owner_organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ownership_edge_owner_person_id'), ['owner_person_id'], unique=False)

    op.create_table('person_nationality',
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('country_code', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.CheckConstraint("status IN ('current','former')", name=op.f('ck_person_nationality_status')),
    sa.ForeignKeyConstraint(['country_code'], ['country.code'], name=op.f('fk_person_nationality_country_code_country')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_nationality_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'country_code', name=op.f('pk_person_nationality'))
    )
    op.create_table('person_search_token',
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_person_search_token_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'token', name=op.f('pk_person_search_token'))
    )
    with op.batch_alter_table('person_search_token', schema=None) as batch_op:
        batch_op.create_index('ix_person_search_token_token', ['token'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_api_token_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('user_role',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.CheckConstraint("role IN ('system_admin','window_officer','investigator','adjudicator','agency_official','approving_official','company_security_officer','subject','foreign_liaison','external_expert','oversight_inspector','auditor')", name=op.f('ck_user_role_role')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_role_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_role'))
    )
    op.create_table('web_session',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_web_session_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_web_session'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)
    _append_only()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only() CASCADE")
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))

    op.drop_table('web_session')
    op.drop_table('user_role')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('person_search_token', schema=None) as batch_op:
        batch_op.drop_index('ix_person_search_token_token')

    op.drop_table('person_search_token')
    op.drop_table('person_nationality')
    with op.batch_alter_table('ownership_edge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ownership_edge_owner_person_id'))
        batch_op.drop_index(batch_op.f('ix_ownership_edge_owner_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_ownership_edge_owned_id'))

    op.drop_table('ownership_edge')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_organisation_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_employer_id'))

    op.drop_table('person')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_parent_id'))

    op.drop_table('organisation')
    op.drop_table('country')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_tag'))
        batch_op.drop_index(batch_op.f('ix_audit_event_subject_id'))

    op.drop_table('audit_event')
    op.drop_table('audit_checkpoint')
