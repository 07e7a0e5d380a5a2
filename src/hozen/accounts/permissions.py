"""Roles and permissions. Every route declares one Permission (scope:resource:action);
what each role holds is written out here and nowhere else."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SYSTEM_ADMIN = "system_admin"
    WINDOW_OFFICER = "window_officer"  # 一元的窓口の職員
    INVESTIGATOR = "investigator"
    ADJUDICATOR = "adjudicator"
    AGENCY_OFFICIAL = "agency_official"
    APPROVING_OFFICIAL = "approving_official"
    COMPANY_SECURITY_OFFICER = "company_security_officer"
    SUBJECT = "subject"  # 評価対象者
    FOREIGN_LIAISON = "foreign_liaison"
    EXTERNAL_EXPERT = "external_expert"
    OVERSIGHT_INSPECTOR = "oversight_inspector"
    AUDITOR = "auditor"


class Permission(StrEnum):
    REGISTRY_COUNTRY_READ = "registry:country:read"
    REGISTRY_ORGANISATION_READ = "registry:organisation:read"
    REGISTRY_ORGANISATION_WRITE = "registry:organisation:write"
    REGISTRY_OWNERSHIP_READ = "registry:ownership:read"
    REGISTRY_OWNERSHIP_WRITE = "registry:ownership:write"
    REGISTRY_PERSON_READ = "registry:person:read"
    REGISTRY_PERSON_WRITE = "registry:person:write"
    ACCOUNTS_SELF_READ = "accounts:self:read"
    AUDIT_EVENT_READ = "audit:event:read"
    CLEARANCES_CANDIDATE_CREATE = "clearances:candidate:create"
    CLEARANCES_CASE_READ_OUTCOME = "clearances:case:read-outcome"
    CLEARANCES_CONSENT_GIVE = "clearances:consent:give"
    CLEARANCES_SELF_READ = "clearances:self:read"
    CLEARANCES_CASE_ASSIGN = "clearances:case:assign"
    CLEARANCES_CASE_READ = "clearances:case:read"
    CLEARANCES_FINDING_WRITE = "clearances:finding:write"
    CLEARANCES_CASE_ADJUDICATE = "clearances:case:adjudicate"
    CLEARANCES_CLEARANCE_CHANGE = "clearances:clearance:change"
    CLEARANCES_CLEARANCE_VERIFY = "clearances:clearance:verify"
    CLEARANCES_EVENT_CREATE = "clearances:event:create"
    CLEARANCES_EVENT_ASSESS = "clearances:event:assess"
    CLEARANCES_COMPLAINT_CREATE = "clearances:complaint:create"
    CLEARANCES_COMPLAINT_ANSWER = "clearances:complaint:answer"
    CLEARANCES_CORRECTION_CREATE = "clearances:correction:create"
    CLEARANCES_CORRECTION_DECIDE = "clearances:correction:decide"
    CLEARANCES_BURDEN_CREATE = "clearances:burden:create"
    DESIGNATIONS_READ = "designations:designation:read"
    DESIGNATIONS_PROPOSE = "designations:designation:propose"
    DESIGNATIONS_PROVISIONAL = "designations:designation:provisional"
    DESIGNATIONS_DECIDE = "designations:proposal:decide"
    DESIGNATIONS_COMMENT = "designations:proposal:comment"
    DESIGNATIONS_REVIEW = "designations:review:record"
    DESIGNATIONS_OBJECT = "designations:objection:create"
    DESIGNATIONS_OBJECTION_ANSWER = "designations:objection:answer"
    DESIGNATIONS_ITEM_WRITE = "designations:item:write"
    CUI_AUTHORIZATION_GRANT = "designations:cui-authorization:grant"
    CUI_AUTHORIZATION_READ = "designations:cui-authorization:read"
    FACILITIES_READ = "facilities:facility:read"
    FACILITIES_PROPOSE = "facilities:facility:propose"
    FACILITIES_APPLY = "facilities:facility:apply"
    FACILITIES_CERTIFY = "facilities:facility:certify"
    FACILITIES_NATIONAL_INTEREST = "facilities:facility:national-interest"
    FACILITIES_FOCI_DECLARE = "facilities:foci:declare"
    FACILITIES_FOCI_MITIGATE = "facilities:foci:mitigate"
    FACILITIES_INSPECT = "facilities:inspection:record"
    FACILITIES_CUSTODY = "facilities:custody:record"
    FACILITIES_INCIDENT_CLOSE = "facilities:incident:close"
    ACCESS_CHECK = "access:decision:check"
    PROGRAMMES_READ = "access:programme:read"
    PROGRAMMES_WRITE = "access:programme:write"
    PROGRAMMES_BRIEF = "access:membership:brief"
    DEPARTURES_RECORD = "access:departure:record"
    FOLLOW_UP = "access:departure:follow-up"
    RECIPROCITY_AGREEMENT_READ = "reciprocity:agreement:read"
    RECIPROCITY_AGREEMENT_WRITE = "reciprocity:agreement:write"
    RECIPROCITY_ASSURANCE_SUBMIT = "reciprocity:assurance:submit"
    RECIPROCITY_ASSURANCE_READ = "reciprocity:assurance:read"
    RECIPROCITY_VISIT_REQUEST = "reciprocity:visit:request"
    RECIPROCITY_VISIT_READ = "reciprocity:visit:read"
    RECIPROCITY_VISIT_DECIDE = "reciprocity:visit:decide"
    RECIPROCITY_REPORT_READ = "reciprocity:report:read"
    RECIPROCITY_OUTGOING_ASSURANCE = "reciprocity:outgoing-assurance:issue"
    RECIPROCITY_OUTGOING_VISIT = "reciprocity:outgoing-visit:export"
    RECIPROCITY_TRANSFER_REQUEST = "reciprocity:transfer:request"
    RECIPROCITY_TRANSFER_READ = "reciprocity:transfer:read"
    RECIPROCITY_TRANSFER_DECIDE = "reciprocity:transfer:decide"
    RECIPROCITY_TRANSFER_CUSTODY = "reciprocity:transfer:custody"
    RECIPROCITY_CONSENT_REQUEST = "reciprocity:originator-consent:request"
    RECIPROCITY_CONSENT_READ = "reciprocity:originator-consent:read"
    RECIPROCITY_CONSENT_DECIDE = "reciprocity:originator-consent:decide"
    TOKENS_SELF = "accounts:token:self"
    TAXII_READ = "sharing:taxii:read"
    TAXII_WRITE = "sharing:taxii:write"
    INTEL_COLLECTION_WRITE = "sharing:intel-collection:write"
    INTEL_REVIEW = "sharing:intel-submission:review"
    INTEL_TEARLINE_CREATE = "sharing:tearline:create"
    INTEL_TEARLINE_APPROVE = "sharing:tearline:approve"
    SHARING_COMMUNITY_READ = "sharing:community:read"
    SHARING_COMMUNITY_MANAGE = "sharing:community:manage"
    SHARING_COMMUNITY_PARTICIPATE = "sharing:community:participate"
    SHARING_EVENT_READ = "sharing:event:read"
    SHARING_EVENT_MANAGE = "sharing:event:manage"
    SHARING_EVENT_ATTEND = "sharing:event:attend"
    REPORTS_DASHBOARD_READ = "reports:dashboard:read"
    REPORTS_TIMELINESS_READ = "reports:timeliness:read"
    REPORTS_BURDEN_READ = "reports:burden:read"
    REPORTS_ANNUAL_READ = "reports:annual:read"
    REPORTS_DUE_DATES_READ = "reports:due-dates:read"
    REPORTS_ALLOWANCE_RECORD = "reports:allowance:record"
    NOTICES_SEND = "notifications:mass-notice:send"
    NOTICES_READ = "notifications:mass-notice:read"


# Roles whose members see every person: the government window that investigates.
WINDOW_ROLES = frozenset({Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR})
# Roles that see and manage the staff of their own organisation only.
EMPLOYER_ROLES = frozenset({Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER})

_ALL = frozenset(Role)
_GOV_OVERSIGHT = frozenset(
    {Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL,
     Role.OVERSIGHT_INSPECTOR, Role.AUDITOR}
)

GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.REGISTRY_COUNTRY_READ: _ALL,
    Permission.REGISTRY_ORGANISATION_READ: _ALL - {Role.SUBJECT},
    Permission.REGISTRY_ORGANISATION_WRITE: frozenset({Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER}),
    Permission.REGISTRY_OWNERSHIP_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.REGISTRY_OWNERSHIP_WRITE: frozenset({Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER}),
    # Personal data: the window, and employers for their own staff; a subject reads self.
    Permission.REGISTRY_PERSON_READ: WINDOW_ROLES | EMPLOYER_ROLES | {Role.SUBJECT},
    Permission.REGISTRY_PERSON_WRITE: frozenset({Role.WINDOW_OFFICER}) | EMPLOYER_ROLES,
    Permission.ACCOUNTS_SELF_READ: _ALL,
    Permission.AUDIT_EVENT_READ: frozenset({Role.AUDITOR, Role.OVERSIGHT_INSPECTOR}),
    # Suitability assessment: employers list and see outcomes only; the subject consents
    # and answers; the window takes in and investigates; a separate adjudicator decides.
    Permission.CLEARANCES_CANDIDATE_CREATE: EMPLOYER_ROLES,
    Permission.CLEARANCES_CASE_READ_OUTCOME: EMPLOYER_ROLES | {Role.WINDOW_OFFICER},
    Permission.CLEARANCES_CONSENT_GIVE: frozenset({Role.SUBJECT}),
    Permission.CLEARANCES_SELF_READ: frozenset({Role.SUBJECT}),
    Permission.CLEARANCES_CASE_ASSIGN: frozenset({Role.WINDOW_OFFICER}),
    Permission.CLEARANCES_CASE_READ: WINDOW_ROLES,
    Permission.CLEARANCES_FINDING_WRITE: frozenset({Role.INVESTIGATOR}),
    Permission.CLEARANCES_CASE_ADJUDICATE: frozenset({Role.ADJUDICATOR}),
    Permission.CLEARANCES_CLEARANCE_CHANGE: frozenset({Role.ADJUDICATOR}),
    Permission.CLEARANCES_CLEARANCE_VERIFY: EMPLOYER_ROLES | {Role.WINDOW_OFFICER},
    # Continuous evaluation, redress and burden.
    Permission.CLEARANCES_EVENT_CREATE: EMPLOYER_ROLES | {Role.SUBJECT},
    Permission.CLEARANCES_EVENT_ASSESS: frozenset({Role.WINDOW_OFFICER}),
    Permission.CLEARANCES_COMPLAINT_CREATE: frozenset({Role.SUBJECT}),
    Permission.CLEARANCES_COMPLAINT_ANSWER: frozenset({Role.WINDOW_OFFICER}),
    Permission.CLEARANCES_CORRECTION_CREATE: frozenset({Role.SUBJECT}),
    Permission.CLEARANCES_CORRECTION_DECIDE: frozenset({Role.WINDOW_OFFICER}),
    Permission.CLEARANCES_BURDEN_CREATE: EMPLOYER_ROLES | WINDOW_ROLES | {Role.SUBJECT},
    # Designation: the agency proposes (and may designate provisionally); a second,
    # approving official decides; holders and invited experts comment; holders may
    # propose a lifting; the oversight inspector answers objections. Holders and experts
    # see only the designations they hold or are consulted on.
    Permission.DESIGNATIONS_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER,
                                                    Role.EXTERNAL_EXPERT},
    Permission.DESIGNATIONS_PROPOSE: frozenset({Role.AGENCY_OFFICIAL,
                                                Role.COMPANY_SECURITY_OFFICER}),
    Permission.DESIGNATIONS_PROVISIONAL: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.DESIGNATIONS_DECIDE: frozenset({Role.APPROVING_OFFICIAL}),
    Permission.DESIGNATIONS_COMMENT: frozenset({Role.COMPANY_SECURITY_OFFICER,
                                                Role.EXTERNAL_EXPERT}),
    Permission.DESIGNATIONS_REVIEW: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.DESIGNATIONS_OBJECT: frozenset({Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL,
                                               Role.COMPANY_SECURITY_OFFICER,
                                               Role.EXTERNAL_EXPERT}),
    Permission.DESIGNATIONS_OBJECTION_ANSWER: frozenset({Role.OVERSIGHT_INSPECTOR}),
    Permission.DESIGNATIONS_ITEM_WRITE: frozenset({Role.AGENCY_OFFICIAL}),
    # CUI authorization: the employer records it for its own staff; the window and
    # oversight read every one.
    Permission.CUI_AUTHORIZATION_GRANT: EMPLOYER_ROLES,
    Permission.CUI_AUTHORIZATION_READ: EMPLOYER_ROLES | {Role.WINDOW_OFFICER,
                                                         Role.OVERSIGHT_INSPECTOR,
                                                         Role.AUDITOR},
    # Facility clearance: an agency proposes, reviews and certifies; the business's
    # security officer applies, declares, reports changes and keeps its registers; an
    # approving official grants national-interest approvals. A security officer sees its
    # own organisation's records only.
    Permission.FACILITIES_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.FACILITIES_PROPOSE: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.FACILITIES_APPLY: frozenset({Role.COMPANY_SECURITY_OFFICER}),
    Permission.FACILITIES_CERTIFY: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.FACILITIES_NATIONAL_INTEREST: frozenset({Role.APPROVING_OFFICIAL}),
    Permission.FACILITIES_FOCI_DECLARE: frozenset({Role.COMPANY_SECURITY_OFFICER}),
    Permission.FACILITIES_FOCI_MITIGATE: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.FACILITIES_INSPECT: frozenset({Role.AGENCY_OFFICIAL,
                                              Role.COMPANY_SECURITY_OFFICER}),
    Permission.FACILITIES_CUSTODY: frozenset({Role.COMPANY_SECURITY_OFFICER}),
    Permission.FACILITIES_INCIDENT_CLOSE: frozenset({Role.AGENCY_OFFICIAL}),
    # Access decisions: anyone asks about themself; employers about their own staff; the
    # window and oversight about anyone (scoped in the service). Programmes are run by the
    # agency; employers brief, debrief and record departures of their own staff; the
    # window follows departed people up.
    Permission.ACCESS_CHECK: _ALL,
    Permission.PROGRAMMES_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.PROGRAMMES_WRITE: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.PROGRAMMES_BRIEF: EMPLOYER_ROLES,
    Permission.DEPARTURES_RECORD: EMPLOYER_ROLES,
    Permission.FOLLOW_UP: frozenset({Role.WINDOW_OFFICER}),
    # Reciprocity: the agreements and their tables are read by everyone who works with
    # partners (not subjects); only an administrator corrects a table.
    Permission.RECIPROCITY_AGREEMENT_READ: _ALL - {Role.SUBJECT},
    Permission.RECIPROCITY_AGREEMENT_WRITE: frozenset({Role.SYSTEM_ADMIN}),
    # A partner government's liaison submits assurances and requests visits for its
    # nationals; the programme's agency and the host's security officer decide. A liaison
    # sees its own government's records.
    Permission.RECIPROCITY_ASSURANCE_SUBMIT: frozenset({Role.FOREIGN_LIAISON}),
    Permission.RECIPROCITY_ASSURANCE_READ: _GOV_OVERSIGHT | {Role.FOREIGN_LIAISON},
    Permission.RECIPROCITY_VISIT_REQUEST: frozenset({Role.FOREIGN_LIAISON}),
    Permission.RECIPROCITY_VISIT_READ: _GOV_OVERSIGHT | {Role.FOREIGN_LIAISON,
                                                         Role.COMPANY_SECURITY_OFFICER},
    Permission.RECIPROCITY_VISIT_DECIDE: frozenset({Role.AGENCY_OFFICIAL,
                                                    Role.COMPANY_SECURITY_OFFICER}),
    Permission.RECIPROCITY_REPORT_READ: _GOV_OVERSIGHT,
    # Outgoing: the window certifies any Japanese person's clearance to a partner and
    # requests visits abroad; an employer does so for its own staff (scoped in the service).
    Permission.RECIPROCITY_OUTGOING_ASSURANCE: frozenset({Role.WINDOW_OFFICER}) | EMPLOYER_ROLES,
    Permission.RECIPROCITY_OUTGOING_VISIT: frozenset({Role.WINDOW_OFFICER}) | EMPLOYER_ROLES,
    # Transfers between companies go through government (DESIGN R8): the sender's security
    # officer asks, the item's designating agency decides, the sender dispatches and the
    # receiver records receipt (each scoped to its own side in the service).
    Permission.RECIPROCITY_TRANSFER_REQUEST: frozenset({Role.COMPANY_SECURITY_OFFICER}),
    Permission.RECIPROCITY_TRANSFER_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.RECIPROCITY_TRANSFER_DECIDE: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.RECIPROCITY_TRANSFER_CUSTODY: frozenset({Role.COMPANY_SECURITY_OFFICER}),
    # Originator control: the designating agency or a holder asks the partner government
    # whose information it is; that government's liaison grants or refuses.
    Permission.RECIPROCITY_CONSENT_REQUEST: frozenset({Role.AGENCY_OFFICIAL,
                                                       Role.COMPANY_SECURITY_OFFICER}),
    Permission.RECIPROCITY_CONSENT_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER,
                                                           Role.FOREIGN_LIAISON},
    Permission.RECIPROCITY_CONSENT_DECIDE: frozenset({Role.FOREIGN_LIAISON}),
    # API tokens: every user issues and revokes their own (TAXII clients, scripts).
    Permission.TOKENS_SELF: _ALL,
    # Threat intelligence (DESIGN R9): anyone may ask TAXII; the access decision on each
    # collection and object does the rest. Companies' security officers and the agency
    # submit; the agency runs collections, reviews company submissions before peers see
    # them, and derives tear-lines that a second (approving) official releases.
    Permission.TAXII_READ: _ALL,
    Permission.TAXII_WRITE: frozenset({Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER}),
    Permission.INTEL_COLLECTION_WRITE: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.INTEL_REVIEW: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.INTEL_TEARLINE_CREATE: frozenset({Role.AGENCY_OFFICIAL}),
    Permission.INTEL_TEARLINE_APPROVE: frozenset({Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL}),
    # Communities and seminars (DESIGN R10): anyone sees what exists and, for a person,
    # whether they are eligible; government officials and companies' security officers
    # run them (an officer only those it runs); cleared people (subjects) join, share and
    # attend, each request checked against their live clearance in the service.
    Permission.SHARING_COMMUNITY_READ: _ALL,
    Permission.SHARING_COMMUNITY_MANAGE: frozenset({Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL,
                                                    Role.COMPANY_SECURITY_OFFICER}),
    Permission.SHARING_COMMUNITY_PARTICIPATE: frozenset({Role.SUBJECT}),
    Permission.SHARING_EVENT_READ: _ALL,
    Permission.SHARING_EVENT_MANAGE: frozenset({Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL,
                                                Role.COMPANY_SECURITY_OFFICER}),
    Permission.SHARING_EVENT_ATTEND: frozenset({Role.SUBJECT}),
    # Reports (R12, the yearly report to the Diet): government and oversight see every
    # figure; a company's security officer sees its own costs and due dates only (scoped
    # in the service); an employer records the clearance allowances it pays its staff.
    Permission.REPORTS_DASHBOARD_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.REPORTS_TIMELINESS_READ: _GOV_OVERSIGHT,
    Permission.REPORTS_BURDEN_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.REPORTS_ANNUAL_READ: _GOV_OVERSIGHT,
    Permission.REPORTS_DUE_DATES_READ: _GOV_OVERSIGHT | {Role.COMPANY_SECURITY_OFFICER},
    Permission.REPORTS_ALLOWANCE_RECORD: EMPLOYER_ROLES,
    # Mass notices: the window and an agency write to the security officers of a chosen
    # set of organisations and see who has read them (an agency its own notices only, in
    # the service); the officers read them in their inbox like any other notice.
    Permission.NOTICES_SEND: frozenset({Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL}),
    Permission.NOTICES_READ: frozenset({Role.WINDOW_OFFICER, Role.AGENCY_OFFICIAL}),
}


def role_has(roles: frozenset[Role] | set[Role], permission: Permission) -> bool:
    return bool(GRANTS.get(permission, frozenset()) & set(roles))
