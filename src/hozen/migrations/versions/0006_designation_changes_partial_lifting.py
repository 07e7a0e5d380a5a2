"""designation proposals may change scope, holders and releasability, lift some items,
and name the category of a downgrade; items record their partial lifting

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 17:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('designate','renew','lift','downgrade')"
NEW_KINDS = "kind IN ('designate','renew','lift','downgrade','change','lift_part')"


def upgrade() -> None:
    with op.batch_alter_table('designation_proposal', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_designation_proposal_kind'), type_='check')
        batch_op.create_check_constraint('kind', NEW_KINDS)
        batch_op.add_column(sa.Column('category', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('scope_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('holders', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('releasable_to', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('items', sa.Text(), nullable=True))
    with op.batch_alter_table('information_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lifted_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('lifted_by_proposal', sa.String(length=36),
                                      nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_information_item_lifted_by_proposal_designation_proposal'),
            'designation_proposal', ['lifted_by_proposal'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('information_item', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('fk_information_item_lifted_by_proposal_designation_proposal'),
            type_='foreignkey')
        batch_op.drop_column('lifted_by_proposal')
        batch_op.drop_column('lifted_on')
    with op.batch_alter_table('designation_proposal', schema=None) as batch_op:
        for column in ('items', 'releasable_to', 'holders', 'scope', 'scope_kind', 'category'):
            batch_op.drop_column(column)
        batch_op.drop_constraint(op.f('ck_designation_proposal_kind'), type_='check')
        batch_op.create_check_constraint('kind', OLD_KINDS)
