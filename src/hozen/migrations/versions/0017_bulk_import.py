"""bulk import: jobs keyed by file digest, resumable by committed batch, and their rejected
rows; on PostgreSQL the search-token index becomes a hash index (equality lookups only)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 06:20:00
"""

from alembic import op
import sqlalchemy as sa

import hozen.db


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_job',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('batch_size', sa.Integer(), nullable=False),
    sa.Column('batches', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.String(length=80), nullable=False),
    sa.Column('started_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', hozen.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', hozen.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('running','done')", name=op.f('ck_import_job_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job')),
    sa.UniqueConstraint('kind', 'file_sha256', name=op.f('uq_import_job_kind_file_sha256'))
    )
    op.create_table('import_reject',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_reject_job_id_import_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_reject'))
    )
    with op.batch_alter_table('import_reject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_reject_job_id'), ['job_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_person_search_token_token', table_name='person_search_token')
        op.create_index('ix_person_search_token_token', 'person_search_token', ['token'],
                        postgresql_using='hash')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_person_search_token_token', table_name='person_search_token')
        op.create_index('ix_person_search_token_token', 'person_search_token', ['token'])
    with op.batch_alter_table('import_reject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_reject_job_id'))
    op.drop_table('import_reject')
    op.drop_table('import_job')
