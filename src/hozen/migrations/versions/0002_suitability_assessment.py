"""suitability assessment and notifications

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 11:58:15.840264
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('correction_request',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('open','accepted','rejected')", name=op.f('ck_correction_request_status')),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_correction_request_decided_by_app_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_correction_request_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_request'))
    )
    with op.batch_alter_table('correction_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_request_person_id'), ['person_id'], unique=False)

    op.create_table('investigation',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('regime', sa.String(length=8), nullable=False),
    sa.Column('investigator_id', sa.String(length=36), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.CheckConstraint("regime IN ('CESI','SDS')", name=op.f('ck_investigation_regime')),
    sa.ForeignKeyConstraint(['investigator_id'], ['app_user.id'], name=op.f('fk_investigation_investigator_id_app_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_investigation_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investigation'))
    )
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigation_person_id'), ['person_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('emailed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notification_dedupe_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    op.create_table('reportable_event',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('details', sa.LargeBinary(), nullable=False),
    sa.Column('reported_by', sa.String(length=36), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('adverse', sa.Boolean(), nullable=True),
    sa.Column('assessed_by', sa.String(length=36), nullable=True),
    sa.CheckConstraint("kind IN ('foreign_travel','foreign_contact','arrest','financial_trouble','name_change','nationality_change')", name=op.f('ck_reportable_event_kind')),
    sa.ForeignKeyConstraint(['assessed_by'], ['app_user.id'], name=op.f('fk_reportable_event_assessed_by_app_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_reportable_event_person_id_person')),
    sa.ForeignKeyConstraint(['reported_by'], ['app_user.id'], name=op.f('fk_reportable_event_reported_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reportable_event'))
    )
    with op.batch_alter_table('reportable_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reportable_event_person_id'), ['person_id'], unique=False)

    op.create_table('clearance_case',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('regime', sa.String(length=8), nullable=False),
    sa.Column('sponsor_id', sa.String(length=36), nullable=False),
    sa.Column('employer_id', sa.String(length=36), nullable=False),
    sa.Column('listed_by', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('family_consent', sa.Boolean(), nullable=False),
    sa.Column('declines_reasons', sa.Boolean(), nullable=False),
    sa.Column('investigation_id', sa.String(length=36), nullable=True),
    sa.Column('reused_investigation', sa.Boolean(), nullable=False),
    sa.Column('renewal_of', sa.String(length=36), nullable=True),
    sa.Column('questionnaire', sa.LargeBinary(), nullable=True),
    sa.Column('decision_reasons', sa.LargeBinary(), nullable=True),
    sa.Column('consented_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("regime IN ('CESI','SDS')", name=op.f('ck_clearance_case_regime')),
    sa.CheckConstraint("state IN ('listed','refused','draft','submitted','investigation','adjudication','granted','denied','withdrawn')", name=op.f('ck_clearance_case_state')),
    sa.ForeignKeyConstraint(['employer_id'], ['organisation.id'], name=op.f('fk_clearance_case_employer_id_organisation')),
    sa.ForeignKeyConstraint(['investigation_id'], ['investigation.id'], name=op.f('fk_clearance_case_investigation_id_investigation')),
    sa.ForeignKeyConstraint(['listed_by'], ['app_user.id'], name=op.f('fk_clearance_case_listed_by_app_user')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_clearance_case_person_id_person')),
    sa.ForeignKeyConstraint(['renewal_of'], ['clearance_case.id'], name=op.f('fk_clearance_case_renewal_of_clearance_case')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['organisation.id'], name=op.f('fk_clearance_case_sponsor_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance_case'))
    )
    with op.batch_alter_table('clearance_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_case_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearance_case_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearance_case_state'), ['state'], unique=False)

    op.create_table('finding',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('investigation_id', sa.String(length=36), nullable=False),
    sa.Column('area', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('found_on', sa.Date(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('recorded_by', sa.String(length=36), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("area IN ('harmful_activities','criminal_record','information_handling','drugs','mental_health','alcohol','finances')", name=op.f('ck_finding_area')),
    sa.CheckConstraint("severity IN ('none','minor','moderate','serious')", name=op.f('ck_finding_severity')),
    sa.ForeignKeyConstraint(['investigation_id'], ['investigation.id'], name=op.f('fk_finding_investigation_id_investigation')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_finding_recorded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding'))
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_investigation_id'), ['investigation_id'], unique=False)

    op.create_table('area_decision',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('area', sa.String(length=32), nullable=False),
    sa.Column('favourable', sa.Boolean(), nullable=False),
    sa.Column('reasons', sa.LargeBinary(), nullable=False),
    sa.Column('adjudicator_id', sa.String(length=36), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("area IN ('harmful_activities','criminal_record','information_handling','drugs','mental_health','alcohol','finances')", name=op.f('ck_area_decision_area')),
    sa.ForeignKeyConstraint(['adjudicator_id'], ['app_user.id'], name=op.f('fk_area_decision_adjudicator_id_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['clearance_case.id'], name=op.f('fk_area_decision_case_id_clearance_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_decision')),
    sa.UniqueConstraint('case_id', 'area', name=op.f('uq_area_decision_case_id_area'))
    )
    with op.batch_alter_table('area_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_decision_case_id'), ['case_id'], unique=False)

    op.create_table('burden_record',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('party', sa.String(length=20), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('cost_yen', sa.Integer(), nullable=False),
    sa.Column('allowance_yen', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=36), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("party IN ('subject','security_officer','window')", name=op.f('ck_burden_record_party')),
    sa.CheckConstraint('minutes >= 0 AND cost_yen >= 0 AND allowance_yen >= 0', name=op.f('ck_burden_record_non_negative')),
    sa.ForeignKeyConstraint(['case_id'], ['clearance_case.id'], name=op.f('fk_burden_record_case_id_clearance_case')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_burden_record_recorded_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_burden_record'))
    )
    with op.batch_alter_table('burden_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_burden_record_case_id'), ['case_id'], unique=False)

    op.create_table('clearance',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('regime', sa.String(length=8), nullable=False),
    sa.Column('sponsor_id', sa.String(length=36), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("regime IN ('CESI','SDS')", name=op.f('ck_clearance_regime')),
    sa.CheckConstraint("status IN ('active','suspended','revoked','expired')", name=op.f('ck_clearance_status')),
    sa.ForeignKeyConstraint(['case_id'], ['clearance_case.id'], name=op.f('fk_clearance_case_id_clearance_case')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_clearance_person_id_person')),
    sa.ForeignKeyConstraint(['sponsor_id'], ['organisation.id'], name=op.f('fk_clearance_sponsor_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance')),
    sa.UniqueConstraint('case_id', name=op.f('uq_clearance_case_id'))
    )
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearance_person_id'), ['person_id'], unique=False)

    op.create_table('complaint',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('answered_by', sa.String(length=36), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('assessment','employer_treatment')", name=op.f('ck_complaint_kind')),
    sa.CheckConstraint("status IN ('open','answered')", name=op.f('ck_complaint_status')),
    sa.ForeignKeyConstraint(['answered_by'], ['app_user.id'], name=op.f('fk_complaint_answered_by_app_user')),
    sa.ForeignKeyConstraint(['case_id'], ['clearance_case.id'], name=op.f('fk_complaint_case_id_clearance_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_case_id'))

    op.drop_table('complaint')
    with op.batch_alter_table('clearance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_person_id'))

    op.drop_table('clearance')
    with op.batch_alter_table('burden_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_burden_record_case_id'))

    op.drop_table('burden_record')
    with op.batch_alter_table('area_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_decision_case_id'))

    op.drop_table('area_decision')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_investigation_id'))

    op.drop_table('finding')
    with op.batch_alter_table('clearance_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearance_case_state'))
        batch_op.drop_index(batch_op.f('ix_clearance_case_person_id'))
        batch_op.drop_index(batch_op.f('ix_clearance_case_employer_id'))

    op.drop_table('clearance_case')
    with op.batch_alter_table('reportable_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reportable_event_person_id'))

    op.drop_table('reportable_event')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))

    op.drop_table('notification')
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investigation_person_id'))

    op.drop_table('investigation')
    with op.batch_alter_table('correction_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_request_person_id'))

    op.drop_table('correction_request')
