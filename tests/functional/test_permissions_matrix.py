"""Role × route matrix: what each of the 12 roles may do on every API route, written out
by hand below (never derived from GRANTS or the app), proved with real requests. Also:
no or bad credentials get 401 everywhere, every route of the app is in a hand-written
table, signed-out pages redirect to the sign-in page, and forms refuse a missing CSRF
token. Every refusal is shown to write nothing."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Engine

from hozen.access import programmes
from hozen.access.models import Departure, FollowUpContact, Membership, Programme
from hozen.access.schemas import DepartureCreate, MemberAdd, ProgrammeCreate
from hozen.accounts import mfa
from hozen.accounts.models import ApiToken, User, WebSession
from hozen.accounts.permissions import EMPLOYER_ROLES, WINDOW_ROLES, Role
from hozen.accounts.services import create_token
from hozen.api.gates import Gate, HozenRoute, iter_routes
from hozen.audit.models import AuditEvent
from hozen.clearances import aftercare
from hozen.clearances import services as clearances
from hozen.clearances.models import (
    BurdenRecord,
    Clearance,
    ClearanceCase,
    Complaint,
    CorrectionRequest,
    ReportableEvent,
)
from hozen.clearances.rules import OPEN_STATES, add_years
from hozen.clearances.schemas import (
    Adjudication,
    CandidateCreate,
    ComplaintCreate,
    ConsentGive,
    CorrectionCreate,
    EventCreate,
    IntakeRequest,
    Questionnaire,
)
from hozen.db import session_factory, unit_of_work, utcnow
from hozen.designations import cui, items, oversight, proposals
from hozen.designations import jobs as designation_jobs
from hozen.designations import services as designations
from hozen.designations.models import (
    Comment,
    CuiAuthorization,
    Designation,
    DesignationHolder,
    Item,
    Objection,
    Proposal,
    Review,
)
from hozen.designations.schemas import (
    CuiGrant,
    Decision,
    DesignationCreate,
    ItemCreate,
    ObjectionCreate,
)
from hozen.facilities import contract, custody, inspections, registers
from hozen.facilities import incidents as facility_incidents
from hozen.facilities import services as facilities
from hozen.facilities.checklist import load_checklist
from hozen.facilities.incidents import INCIDENT_EVENT_KIND
from hozen.facilities.models import (
    ApprovedArea,
    ChangeReport,
    CustodyEvent,
    Facility,
    FociDeclaration,
    FociMitigation,
    Handler,
    Incident,
    Inspection,
    InspectionFinding,
    ResearchParticipant,
    SpecificationEntry,
    TrainingRecord,
)
from hozen.facilities.register_schemas import (
    CustodyCreate,
    IncidentCreate,
    InspectionCreate,
    SpecificationCreate,
)
from hozen.facilities.schemas import (
    ChangeDecision,
    ChangeReportCreate,
    ChecklistRecord,
    FacilityApplication,
    FacilityDecision,
    FacilityPropose,
)
from hozen.notifications.models import Notification
from hozen.policy import get_policy
from hozen.reciprocity import assurances, originator, transfers, visits
from hozen.reciprocity.models import (
    Agreement,
    ForeignAssurance,
    OriginatorConsent,
    TransferRequest,
    Visitor,
    VisitRequest,
)
from hozen.reciprocity.schemas import (
    ConsentCreate,
    ConsentDecision,
    PersonnelAssuranceCreate,
    TransferCreate,
    TransferDecision,
    VisitCreate,
)
from hozen.registry.models import Organisation, Person
from tests.authenticator import AUTHENTICATOR, with_code
from tests.authenticator import sign_in as mfa_sign_in
from tests.clearance_helpers import favourable_decisions, full_questionnaire
from tests.conftest import wipe
from tests.factories import (
    PASSWORD,
    SYSTEM,
    Login,
    World,
    assert_unchanged,
    cheap_argon2,
    make_clearance,
    make_org,
    make_ownership,
    make_person,
    make_user,
    make_world,
    snapshot,
)
from tests.functional import intel_matrix, notices_matrix, reports_matrix, sharing_matrix

# --- the expected table, by hand --------------------------------------------------------
# ok: allowed (the request succeeds); 403: refused; 404: refused as "not found", so a
# person's existence does not leak. Person routes target a person the role would see if
# it held the permission (its own staff; the subject's own record), so the outcome shows
# the permission alone; scoping is proved in test_api_registry.py. Likewise a case route
# acts on a case in the state its allowed role needs (the subject's own case for the
# subject's steps: CASE_NEEDED), and a clearance route on a clearance it can change.
# A designation route targets a designation the role would see if it held the permission:
# one of the officials' agency, held by the company (its security officer sees it) and
# with the external expert invited to comment (so the expert sees it too).
# A CUI authorization route acts on (or lists) an authorization of the role's own staff:
# the government body's for the agency official, the company's for everyone else.
# 422: the permission gate lets the role through, and the service refuses the request for
# a reason of the role's own (SERVICE_REFUSAL names it); nothing is written either. (A
# company's security officer holds DESIGNATIONS_PROPOSE to propose lifting a designation
# its company holds, but only a designating agency's official proposes a designation:
# POST /designations refuses it 403, like a role without the permission.)
# A facility clearance route acts on the company's certification (proposed by the
# officials' agency, so its official is the certifying agency), in the state the allowed
# role needs (FACILITY_NEEDED); a research participant route on a research project of the
# company (the world's security officer is the company's: a university's project would be
# out of its sight); a register route on the item the company holds, its cleared staff and
# its records. Withdrawal is gated by FACILITIES_READ, but the service lets only the
# business's own officer and the certifying agency withdraw: any other reader is told
# "not found", as for a facility it cannot see.
# Every role may ask for an access decision (ACCESS_CHECK); the service lets the window
# officer and oversight ask about anyone, an employer about its own staff, and anyone else
# (the system administrator included: running the platform shows it nobody's access)
# about themself only. A decision (check, check-batch) asks
# about a person in the role's scope: the company's staff for those who see anyone, the
# role's own staff or its own record (the roles that see nobody else are given one:
# Env.selves). What a person may read (accessible-items) is asked, like the other person
# routes, about the government body's staff for a government role: a role that may ask
# only about itself is told "not found", alike for a missing person. A programme route
# acts on a programme of the officials' agency that the company takes part in, a briefing
# on a membership of the role's own staff (the government body's for the agency
# official), a follow-up on the departure of a company person who held an SDS clearance.
# The world's foreign liaison is the United Kingdom government's (a partner with an
# agreement): a liaison sees its own government's records only, so the matrix's is the
# one whose assurances and visits the routes act on (a liaison of no partner government,
# and another partner's, are refused in test_a_liaison_sees_its_own_governments_records).
# An agreement route reads or corrects the UK agreement; an assurance route acts on a
# personnel assurance of a UK engineer (of a UK company) that the liaison submitted; a
# visit route on a visit the liaison requested for the engineer to the company's SDS area
# under a programme of the officials' agency: one awaiting both decisions (its programme
# does not pre-authorise GBR), so the agency official and the company's officer may each
# decide it; every other reader of the visit is told "not found", as for one it cannot
# see.
# A transfer route acts on the company's request to pass an item it holds to the other
# company (DESIGN R8): the agency official (of the designating agency) decides a fresh
# submitted one, the company's officer dispatches a fresh approved one through its
# handler, and records receipt of a fresh dispatched one from the other company (written
# directly: that flow is proved in test_transfers.py); every other reader is told "not
# found", as for one it cannot see.
# Outgoing reciprocity (an assurance of a Japanese person's clearance for the USA, as JSON
# or PDF; a Request for Visit to the USA) acts on a person of the role's own organisation
# (the company's for its officer and the subject, the government body's for the others):
# Japanese, named in Latin letters and holding a current SDS clearance (SECRET in the US
# table), so an allowed role's request succeeds; an employer sees its own staff only.
COLUMNS = {
    "SA": Role.SYSTEM_ADMIN, "WO": Role.WINDOW_OFFICER, "INV": Role.INVESTIGATOR,
    "ADJ": Role.ADJUDICATOR, "AGO": Role.AGENCY_OFFICIAL, "APO": Role.APPROVING_OFFICIAL,
    "CSO": Role.COMPANY_SECURITY_OFFICER, "SUB": Role.SUBJECT, "FL": Role.FOREIGN_LIAISON,
    "EE": Role.EXTERNAL_EXPERT, "OI": Role.OVERSIGHT_INSPECTOR, "AUD": Role.AUDITOR,
}
EXPECTED_TABLE = """
route                                                             SA  WO  INV ADJ AGO APO CSO SUB FL  EE  OI  AUD
GET    /api/v1/me                                                 ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/me/notifications                                   ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/countries                                          ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/organisations                                      ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
POST   /api/v1/organisations                                      ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/organisations/{org_id}                             ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
PATCH  /api/v1/organisations/{org_id}                             ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/ownership                                          ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/ownership                                          ok  ok  403 403 403 403 403 403 403 403 403 403
PATCH  /api/v1/ownership/{edge_id}                                ok  ok  403 403 403 403 403 403 403 403 403 403
DELETE /api/v1/ownership/{edge_id}                                ok  ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/people                                             403 ok  ok  ok  ok  403 ok  ok  403 403 403 403
POST   /api/v1/people                                             403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/people/{person_id}                                 404 ok  ok  ok  ok  404 ok  ok  404 404 404 404
PATCH  /api/v1/people/{person_id}                                 404 ok  404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/audit/events                                       403 403 403 403 403 403 403 403 403 403 ok  ok
POST   /api/v1/clearance-cases                                    403 403 403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/clearance-cases/import                             403 403 403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/clearance-cases                                    403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/clearance-queue                                    403 ok  ok  ok  403 403 403 403 403 403 403 403
GET    /api/v1/clearance-queue/{queue}                            403 ok  ok  ok  403 403 403 403 403 403 403 403
GET    /api/v1/clearance-workload                                 403 ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/me/clearance-cases                                 403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/clearance-cases/{case_id}                          404 ok  ok  ok  404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/consent                  404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/refusal                  404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/withdrawal               404 404 404 404 404 404 404 ok  404 404 404 404
PATCH  /api/v1/clearance-cases/{case_id}/questionnaire            404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/submission               404 404 404 404 404 404 404 ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/intake                   404 ok  404 404 404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/findings                 404 404 ok  404 404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/investigation-completion 404 404 ok  404 404 404 404 404 404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/adjudication             404 404 404 ok  404 404 404 404 404 404 404 404
POST   /api/v1/clearances/{clearance_id}/suspension               403 403 403 ok  403 403 403 403 403 403 403 403
POST   /api/v1/clearances/{clearance_id}/reinstatement            403 403 403 ok  403 403 403 403 403 403 403 403
POST   /api/v1/clearances/{clearance_id}/revocation               403 403 403 ok  403 403 403 403 403 403 403 403
GET    /api/v1/people/{person_id}/clearance-verification          403 ok  403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/reportable-events                                  403 403 403 403 ok  403 ok  ok  403 403 403 403
GET    /api/v1/reportable-events                                  403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/reportable-events/{event_id}/assessment            403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/clearance-cases/{case_id}/complaints               404 404 404 404 404 404 404 ok  404 404 404 404
GET    /api/v1/complaints                                         403 ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/me/complaints                                      403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/complaints/{complaint_id}/answer                   403 ok  403 403 403 403 403 403 403 403 403 403
GET    /api/v1/me/personal-data                                   403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/me/corrections                                     403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/corrections                                        403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/corrections/{request_id}/decision                  403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/clearance-cases/{case_id}/burden                   404 ok  ok  ok  ok  404 ok  ok  404 404 404 404
POST   /api/v1/clearance-cases/{case_id}/renewal                  404 404 404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/designations                                       ok  ok  403 403 ok  ok  ok  403 403 ok  ok  ok
POST   /api/v1/designations                                       403 403 403 403 ok  403 403 403 403 403 403 403
POST   /api/v1/designations/provisional                           403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/designations/{designation_id}                      ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
POST   /api/v1/designations/{designation_id}/proposals            404 404 404 404 ok  404 ok  404 404 404 404 404
POST   /api/v1/designations/{designation_id}/objections           404 404 404 404 ok  ok  ok  404 404 ok  404 404
GET    /api/v1/designations/{designation_id}/items                ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
GET    /api/v1/designations/{designation_id}/reviews              ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
GET    /api/v1/designations/{designation_id}/objections           ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
POST   /api/v1/designation-proposals/{proposal_id}/comments       404 404 404 404 404 404 ok  404 404 ok  404 404
POST   /api/v1/designation-proposals/{proposal_id}/decision       403 403 403 403 403 ok  403 403 403 403 403 403
GET    /api/v1/designation-reviews                                403 403 403 403 ok  403 403 403 403 403 403 403
POST   /api/v1/designation-reviews/{review_id}                    403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/designation-objections                             403 403 403 403 403 403 403 403 403 403 ok  403
POST   /api/v1/designation-objections/{objection_id}/answer       403 403 403 403 403 403 403 403 403 403 ok  403
POST   /api/v1/items                                              403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/items/{item_id}                                    ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
GET    /api/v1/items/{item_id}/label.xml                          ok  ok  404 404 ok  ok  ok  404 404 ok  ok  ok
POST   /api/v1/markings/check                                     ok  ok  403 403 ok  ok  ok  403 403 ok  ok  ok
GET    /api/v1/cui-authorizations                                 403 ok  403 403 ok  403 ok  403 403 403 ok  ok
POST   /api/v1/cui-authorizations                                 403 403 403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/cui-authorizations/{authorization_id}/refresher    403 403 403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/cui-authorizations/{authorization_id}/revocation   403 403 403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/facilities                                         ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/facilities                                         403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/facility-checklist                                 ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
GET    /api/v1/facilities/{facility_id}                           ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/facilities/{facility_id}/application               404 404 404 404 404 404 ok  404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/withdraw                  404 404 404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/facilities/{facility_id}/blockers                  ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/facilities/{facility_id}/review                    404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/checklist                 404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/certify                   404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/refuse                    404 404 404 404 ok  404 404 404 404 404 404 404
GET    /api/v1/facilities/{facility_id}/crosswalk                 ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/facilities/{facility_id}/changes                   404 404 404 404 404 404 ok  404 404 404 404 404
POST   /api/v1/facility-changes/{change_id}/decision              404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/suspend                   404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/reinstate                 404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/revoke                    404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/national-interest         404 404 404 404 404 ok  404 404 404 404 404 404
GET    /api/v1/organisations/{organisation_id}/foci               ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
GET    /api/v1/organisations/{organisation_id}/ownership.svg      ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/organisations/{organisation_id}/foci-declarations  404 404 404 404 404 404 ok  404 404 404 404 404
POST   /api/v1/organisations/{organisation_id}/foci-mitigations   404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/items/{item_id}/handlers                           404 404 404 404 404 404 ok  404 404 404 404 404
GET    /api/v1/items/{item_id}/handlers                           ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
GET    /api/v1/item-handlers                                      ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/item-handlers/{handler_id}/removal                 404 404 404 404 404 404 ok  404 404 404 404 404
POST   /api/v1/custody-events                                     403 403 403 403 403 403 ok  403 403 403 403 403
GET    /api/v1/items/{item_id}/custody                            ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
GET    /api/v1/custody/where                                      ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/incidents                                          403 403 403 403 403 403 ok  403 403 403 403 403
GET    /api/v1/incidents                                          ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/incidents/{incident_id}/closure                    404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/training-records                                   403 403 403 403 403 403 ok  403 403 403 403 403
GET    /api/v1/people/{person_id}/training                        ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
GET    /api/v1/training/overdue                                   403 403 403 403 403 403 ok  403 403 403 403 403
POST   /api/v1/facilities/{facility_id}/inspections               404 404 404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/facilities/{facility_id}/inspections               ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/facility-findings/{finding_id}/closure             404 404 404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/facility-findings/overdue                          ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/facilities/{facility_id}/participants              404 404 404 404 404 404 ok  404 404 404 404 404
GET    /api/v1/facilities/{facility_id}/participants              ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/research-participants/{participant_id}/removal     404 404 404 404 404 404 ok  404 404 404 404 404
POST   /api/v1/facilities/{facility_id}/specification             404 404 404 404 ok  404 404 404 404 404 404 404
GET    /api/v1/facilities/{facility_id}/specification             ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/access/check                                       ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
POST   /api/v1/access/check-batch                                 ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/people/{person_id}/accessible-items                404 ok  404 404 ok  404 ok  ok  404 404 ok  ok
GET    /api/v1/programmes                                         ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/programmes                                         403 403 403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/programmes/{programme_id}                          ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/programmes/{programme_id}/members                  404 404 404 404 ok  404 ok  404 404 404 404 404
POST   /api/v1/programme-members/{membership_id}/briefing         404 404 404 404 ok  404 ok  404 404 404 404 404
POST   /api/v1/departures                                         403 403 403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/follow-ups                                         403 ok  403 403 403 403 403 403 403 403 403 403
POST   /api/v1/follow-ups/{departure_id}/contacts                 404 ok  404 404 404 404 404 404 404 404 404 404
GET    /api/v1/agreements                                         ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
GET    /api/v1/agreements/{agreement_id}                          ok  ok  ok  ok  ok  ok  ok  403 ok  ok  ok  ok
PATCH  /api/v1/agreements/{agreement_id}                          ok  403 403 403 403 403 403 403 403 403 403 403
POST   /api/v1/foreign-assurances/personnel                       403 403 403 403 403 403 403 403 ok  403 403 403
POST   /api/v1/foreign-assurances/facility                        403 403 403 403 403 403 403 403 ok  403 403 403
GET    /api/v1/foreign-assurances                                 ok  ok  403 403 ok  ok  403 403 ok  403 ok  ok
GET    /api/v1/foreign-assurances/{assurance_id}                  ok  ok  404 404 ok  ok  404 404 ok  404 ok  ok
POST   /api/v1/foreign-assurances/{assurance_id}/withdrawal       404 404 404 404 404 404 404 404 ok  404 404 404
POST   /api/v1/visits                                             403 403 403 403 403 403 403 403 ok  403 403 403
GET    /api/v1/visits                                             ok  ok  403 403 ok  ok  ok  403 ok  403 ok  ok
GET    /api/v1/visits/{visit_id}                                  ok  ok  404 404 ok  ok  ok  404 ok  404 ok  ok
POST   /api/v1/visits/{visit_id}/decision                         404 404 404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/reports/time-to-access                             ok  ok  403 403 ok  ok  403 403 403 403 ok  ok
POST   /api/v1/transfers                                          403 403 403 403 403 403 ok  403 403 403 403 403
GET    /api/v1/transfers                                          ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
GET    /api/v1/transfers/{transfer_id}                            ok  ok  404 404 ok  ok  ok  404 404 404 ok  ok
POST   /api/v1/transfers/{transfer_id}/decision                   404 404 404 404 ok  404 404 404 404 404 404 404
POST   /api/v1/transfers/{transfer_id}/dispatch                   404 404 404 404 404 404 ok  404 404 404 404 404
POST   /api/v1/transfers/{transfer_id}/receipt                    404 404 404 404 404 404 ok  404 404 404 404 404
GET    /api/v1/people/{person_id}/assurance                       404 ok  404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/people/{person_id}/assurance.pdf                   404 ok  404 404 ok  404 ok  404 404 404 404 404
POST   /api/v1/outgoing-visit-requests/export                     403 ok  403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/designations/{designation_id}/originator-consents  404 404 404 404 ok  404 ok  404 404 404 404 404
GET    /api/v1/originator-consents                                ok  ok  403 403 ok  ok  ok  403 ok  403 ok  ok
GET    /api/v1/originator-consents/{consent_id}                   ok  ok  404 404 ok  ok  ok  404 ok  404 ok  ok
POST   /api/v1/originator-consents/{consent_id}/decision          404 404 404 404 404 404 404 404 ok  404 404 404
POST   /api/v1/originator-consents/{consent_id}/withdrawal        404 404 404 404 404 404 404 404 ok  404 404 404
GET    /api/v1/communities                                        ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
POST   /api/v1/communities                                        403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/communities/{community_id}                         ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
GET    /api/v1/communities/{community_id}/members                 403 ok  403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/communities/{community_id}/applications            403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/communities/{community_id}/leave                   403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/community-members/{membership_id}/decision         403 ok  403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/community-members/{membership_id}/removal          403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/communities/{community_id}/posts                   403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/communities/{community_id}/posts                   403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/communities/{community_id}/files                   403 403 403 403 403 403 403 ok  403 403 403 403
POST   /api/v1/communities/{community_id}/files                   403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/community-files/{file_id}                          403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/events                                             ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
POST   /api/v1/events                                             403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/events/{event_id}                                  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok  ok
POST   /api/v1/events/{event_id}/registrations                    403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/events/{event_id}/attendance                       403 ok  403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/event-registrations/{registration_id}/check-in     403 ok  403 403 ok  403 ok  403 403 403 403 403
POST   /api/v1/events/{event_id}/materials                        403 ok  403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/events/{event_id}/materials                        403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/event-materials/{file_id}                          403 403 403 403 403 403 403 ok  403 403 403 403
GET    /api/v1/reports/timeliness                                 ok  ok  403 403 ok  ok  403 403 403 403 ok  ok
GET    /api/v1/reports/burden                                     ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
GET    /api/v1/reports/annual                                     ok  ok  403 403 ok  ok  403 403 403 403 ok  ok
GET    /api/v1/reports/due-dates                                  ok  ok  403 403 ok  ok  ok  403 403 403 ok  ok
POST   /api/v1/clearance-allowances                               403 403 403 403 ok  403 ok  403 403 403 403 403
GET    /api/v1/notices                                            403 ok  403 403 ok  403 403 403 403 403 403 403
POST   /api/v1/notices                                            403 ok  403 403 ok  403 403 403 403 403 403 403
GET    /api/v1/notices/{notice_id}                                403 ok  403 403 ok  403 403 403 403 403 403 403
"""  # noqa: E501 (one row per route reads best unwrapped)


def _parse(table: str) -> dict[tuple[str, str], dict[Role, str]]:
    lines = [ln.split() for ln in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert [COLUMNS[h] for h in header] == list(Role) and len(header) == 12
    out = {}
    for method, path, *cells in rows:
        assert len(cells) == 12 and set(cells) <= {"ok", "403", "404", "422"}, (method, path)
        out[(method, path)] = {COLUMNS[h]: c for h, c in zip(header, cells, strict=True)}
    return out


EXPECTED = _parse(EXPECTED_TABLE)
# Where a refusal reads "not found": a person's record, everything about a case, a
# designation and an item, and a consultation's comments.
HIDDEN = ("/api/v1/people/{person_id}", "/api/v1/clearance-cases/{case_id}")
HIDDEN_DESIGNATIONS = ("/api/v1/designations/{designation_id}", "/api/v1/items/{item_id}",
                       "/api/v1/designation-proposals/{proposal_id}/comments")
# Likewise everything about a business's certification, FOCI review and registers, and
# its people's training.
HIDDEN_FACILITIES = ("/api/v1/facilities/{facility_id}", "/api/v1/facility-changes/",
                     "/api/v1/organisations/{organisation_id}/",
                     "/api/v1/item-handlers/{handler_id}/", "/api/v1/incidents/{incident_id}/",
                     "/api/v1/people/{person_id}/training",
                     "/api/v1/facility-findings/{finding_id}/",
                     "/api/v1/research-participants/")
# And what a person may read, a programme, a membership and a follow-up.
HIDDEN_ACCESS = ("/api/v1/people/{person_id}/accessible-items",
                 "/api/v1/programmes/{programme_id}", "/api/v1/programme-members/",
                 "/api/v1/follow-ups/{departure_id}/")
# And everything about a foreign clearance assurance and a visit request.
HIDDEN_RECIPROCITY = ("/api/v1/foreign-assurances/{assurance_id}", "/api/v1/visits/{visit_id}",
                      "/api/v1/transfers/{transfer_id}",
                      "/api/v1/originator-consents/{consent_id}")
# And a person's clearance assurance for a partner (JSON and PDF).
HIDDEN_OUTGOING = ("/api/v1/people/{person_id}/assurance",)
# The error code of each 422 cell: the service's refusal of a role the gate let through.
SERVICE_REFUSAL: dict[tuple[str, str], str] = {}
# Served by the framework, public by design: the API description and its viewer.
FRAMEWORK = {("GET", "/api/v1/openapi.json"), ("HEAD", "/api/v1/openapi.json"),
             ("GET", "/api/docs"), ("HEAD", "/api/docs")}
SUCCESS = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}
CASE = "/api/v1/clearance-cases/{case_id}"
CLEARANCE = "/api/v1/clearances/{clearance_id}"
VERIFY = "/api/v1/people/{person_id}/clearance-verification"
EVENTS = "/api/v1/reportable-events"
ASSESS = EVENTS + "/{event_id}/assessment"
ANSWER = "/api/v1/complaints/{complaint_id}/answer"
CORRECTIONS = "/api/v1/me/corrections"
DECIDE = "/api/v1/corrections/{request_id}/decision"
IMPORT = "/api/v1/clearance-cases/import"
QUEUE = "/api/v1/clearance-queue"
QUEUE_PAGE = QUEUE + "/{queue}"
WORKLOAD = "/api/v1/clearance-workload"
DESIGNATIONS = "/api/v1/designations"
PROVISIONAL = DESIGNATIONS + "/provisional"
DESIGNATION = DESIGNATIONS + "/{designation_id}"
PROPOSAL = "/api/v1/designation-proposals/{proposal_id}"
REVIEWS = "/api/v1/designation-reviews"
OBJECTIONS = "/api/v1/designation-objections"
ITEMS = "/api/v1/items"
ITEM = ITEMS + "/{item_id}"
BANNER_CHECK = "/api/v1/markings/check"
CUI_LIST = "/api/v1/cui-authorizations"
CUI_ONE = CUI_LIST + "/{authorization_id}"
FACILITIES = "/api/v1/facilities"
FACILITY = FACILITIES + "/{facility_id}"
CHANGE_DECISION = "/api/v1/facility-changes/{change_id}/decision"
FOCI_ORG = "/api/v1/organisations/{organisation_id}"
HANDLERS = ITEM + "/handlers"
HANDLER_REMOVAL = "/api/v1/item-handlers/{handler_id}/removal"
CUSTODY = "/api/v1/custody-events"
INCIDENTS = "/api/v1/incidents"
INCIDENT_CLOSURE = INCIDENTS + "/{incident_id}/closure"
TRAINING = "/api/v1/training-records"
TRAINING_STATUS = "/api/v1/people/{person_id}/training"
FINDING_CLOSURE = "/api/v1/facility-findings/{finding_id}/closure"
PARTICIPANT_REMOVAL = "/api/v1/research-participants/{participant_id}/removal"
DECISIONS = tuple(FACILITY + "/" + d for d in ("certify", "refuse", "suspend", "reinstate",
                                               "revoke", "withdraw", "national-interest"))
# The routes of facility clearance, FOCI and a business's registers.
FACILITY_ROUTES = (FACILITIES, "/api/v1/facility-", FOCI_ORG, HANDLERS, "/api/v1/item-handlers",
                   "/api/v1/custody", ITEM + "/custody", INCIDENTS, "/api/v1/training",
                   TRAINING_STATUS, "/api/v1/research-participants")
CHECK = "/api/v1/access/check"
CHECK_BATCH = CHECK + "-batch"
ACCESSIBLE = "/api/v1/people/{person_id}/accessible-items"
PROGRAMMES = "/api/v1/programmes"
PROGRAMME = PROGRAMMES + "/{programme_id}"
BRIEFING = "/api/v1/programme-members/{membership_id}/briefing"
DEPARTURES = "/api/v1/departures"
FOLLOW_UPS = "/api/v1/follow-ups"
CONTACTS = FOLLOW_UPS + "/{departure_id}/contacts"
# The routes of access decisions, programmes and departures.
ACCESS_ROUTES = (CHECK, ACCESSIBLE, PROGRAMMES, "/api/v1/programme-", DEPARTURES, FOLLOW_UPS)
AGREEMENTS = "/api/v1/agreements"
AGREEMENT = AGREEMENTS + "/{agreement_id}"
ASSURANCES = "/api/v1/foreign-assurances"
ASSURANCE = ASSURANCES + "/{assurance_id}"
WITHDRAWAL = ASSURANCE + "/withdrawal"
VISITS = "/api/v1/visits"
VISIT = VISITS + "/{visit_id}"
VISIT_DECISION = VISIT + "/decision"
TIME_TO_ACCESS = "/api/v1/reports/time-to-access"
TRANSFERS = "/api/v1/transfers"
TRANSFER = TRANSFERS + "/{transfer_id}"
TRANSFER_DECISION = TRANSFER + "/decision"
TRANSFER_DISPATCH = TRANSFER + "/dispatch"
TRANSFER_RECEIPT = TRANSFER + "/receipt"
# The routes of reciprocity: agreements, foreign assurances, visits and their report, and
# transfers between companies.
RECIPROCITY_ROUTES = (AGREEMENTS, ASSURANCES, VISITS, TIME_TO_ACCESS, TRANSFERS)
OUTGOING_ASSURANCE = "/api/v1/people/{person_id}/assurance"
OUTGOING_PDF = OUTGOING_ASSURANCE + ".pdf"
OUTGOING_VISIT = "/api/v1/outgoing-visit-requests/export"
# The routes of outgoing reciprocity: a person's assurance and a Request for Visit abroad.
OUTGOING_ROUTES = (OUTGOING_ASSURANCE, OUTGOING_VISIT)
CONSENTS = "/api/v1/originator-consents"
# lists answered a page at a time ({"items", "next_cursor"}: tests/functional/test_list_cursors.py)
PAGED = {("GET", p) for p in (CUI_LIST, ASSURANCES, VISITS, TRANSFERS, CONSENTS, DESIGNATIONS,
                              INCIDENTS, FACILITIES)}
PAGED |= {("GET", p) for p in (
    "/api/v1/clearance-cases", "/api/v1/ownership", HANDLERS, "/api/v1/item-handlers",
    ITEM + "/custody", "/api/v1/custody/where", "/api/v1/notices", EVENTS, "/api/v1/complaints",
    "/api/v1/me/complaints", "/api/v1/corrections", "/api/v1/communities", "/api/v1/events",
    PROGRAMMES)}
PAGED |= {("GET", "/api/v1" + p) for p in (
    "/communities/{community_id}/members", "/communities/{community_id}/posts",
    "/communities/{community_id}/files", "/events/{event_id}/attendance",
    "/events/{event_id}/materials")}
# and those paged in the sixth session (tests/functional/test_list_paging_more_a.py)
PAGED |= {("GET", p) for p in (
    "/api/v1/me/clearance-cases", DESIGNATION + "/items", DESIGNATION + "/reviews",
    DESIGNATION + "/objections", REVIEWS, OBJECTIONS, AGREEMENTS, "/api/v1/training/overdue",
    FACILITY + "/inspections", "/api/v1/facility-findings/overdue", FACILITY + "/participants",
    FACILITY + "/specification", TIME_TO_ACCESS, FOLLOW_UPS)}
PAGED.add(("GET", QUEUE_PAGE))  # the work queues, paged in the seventh session
CONSENT = CONSENTS + "/{consent_id}"
CONSENT_DECISION = CONSENT + "/decision"
CONSENT_WITHDRAWAL = CONSENT + "/withdrawal"
CONSENT_ASK = "/api/v1/designations/{designation_id}/originator-consents"
# Steps that only move something on answer 200, not 201 (nothing new is created).
SUCCESS_200 = {CASE + s for s in ("/consent", "/refusal", "/withdrawal", "/submission",
                                  "/intake", "/investigation-completion", "/adjudication")} | {
    CLEARANCE + s for s in ("/suspension", "/reinstatement", "/revocation")} | {
    ASSESS, ANSWER, DECIDE} | {
    PROPOSAL + "/decision", REVIEWS + "/{review_id}", OBJECTIONS + "/{objection_id}/answer",
    BANNER_CHECK, CUI_ONE + "/refresher", CUI_ONE + "/revocation"} | {
    FACILITY + s for s in ("/application", "/review", "/checklist")} | set(DECISIONS) | {
    CHANGE_DECISION, HANDLER_REMOVAL, INCIDENT_CLOSURE, FINDING_CLOSURE, PARTICIPANT_REMOVAL,
    CHECK, CHECK_BATCH, BRIEFING, WITHDRAWAL, VISIT_DECISION, OUTGOING_VISIT,
    TRANSFER_DECISION, TRANSFER_DISPATCH, TRANSFER_RECEIPT, CONSENT_DECISION,
    CONSENT_WITHDRAWAL}
# Communities and events: leaving, a decision on a membership, a removal and a check-in
# move something on (200).
SUCCESS_200 |= {"/api/v1/communities/{community_id}/leave",
                "/api/v1/community-members/{membership_id}/decision",
                "/api/v1/community-members/{membership_id}/removal",
                "/api/v1/event-registrations/{registration_id}/check-in"}
# Case routes whose answer is a new object (its own id), not the case asked about.
NEW_OBJECT = {CASE + s for s in ("/findings", "/complaints", "/burden", "/renewal")}
# The case each case route acts on, in the state the allowed role needs: (state, whether
# it is the subject user's own case). Others' cases belong to fresh people of the company.
CASE_NEEDED = {
    CASE: ("investigation", False),
    CASE + "/consent": ("listed", True),
    CASE + "/refusal": ("listed", True),
    CASE + "/withdrawal": ("draft", True),
    CASE + "/questionnaire": ("draft", True),
    CASE + "/submission": ("draft", True),
    CASE + "/intake": ("submitted", False),
    CASE + "/findings": ("investigation", False),
    CASE + "/investigation-completion": ("investigation", False),
    CASE + "/adjudication": ("adjudication", False),
    CASE + "/complaints": ("listed", True),  # any state: a complaint is about the case
}
# The state of the company's certification each route acts on (any other: certified).
FACILITY_NEEDED = {FACILITY + "/application": "proposed", FACILITY + "/withdraw": "proposed",
                   FACILITY + "/blockers": "applied", FACILITY + "/review": "applied",
                   FACILITY + "/checklist": "under_review",
                   FACILITY + "/certify": "under_review", FACILITY + "/refuse": "under_review",
                   FACILITY + "/reinstate": "suspended"}
CLEARANCE_NEEDED = {CLEARANCE + "/suspension": "active",
                    CLEARANCE + "/reinstatement": "suspended",
                    CLEARANCE + "/revocation": "active"}
FINDING = {"area": "finances", "severity": "minor", "found_on": "2024-01-10",
           "source": "信用情報機関", "summary": "返済遅延1件"}
# What an allowed request leaves behind (a part of its answer).
RESULT = {
    ("POST", "/api/v1/clearance-cases"): {"status": "in_progress"},
    ("POST", CASE + "/consent"): {"state": "draft"},
    ("POST", CASE + "/refusal"): {"state": "refused"},
    ("POST", CASE + "/withdrawal"): {"state": "withdrawn"},
    ("POST", CASE + "/submission"): {"state": "submitted"},
    ("POST", CASE + "/intake"): {"state": "investigation", "reused_investigation": False},
    ("POST", CASE + "/findings"): {"area": "finances", "severity": "minor"},
    ("POST", CASE + "/investigation-completion"): {"state": "adjudication"},
    ("POST", CASE + "/adjudication"): {"state": "granted"},
    ("POST", CLEARANCE + "/suspension"): {"status": "suspended"},
    ("POST", CLEARANCE + "/reinstatement"): {"status": "active"},
    ("POST", CLEARANCE + "/revocation"): {"status": "revoked"},
    ("POST", EVENTS): {"kind": "arrest"},
    ("POST", CASE + "/complaints"): {"status": "open"},
    ("POST", ANSWER): {"status": "answered"},
    ("POST", CORRECTIONS): {"status": "open"},
    ("POST", DECIDE): {"status": "accepted"},
    ("POST", CASE + "/renewal"): {"status": "in_progress"},
    ("POST", IMPORT): {"listed": 1},
    ("POST", DESIGNATIONS): {"status": "proposed", "provisional": False, "version": 1},
    ("POST", PROVISIONAL): {"status": "provisional", "provisional": True, "version": 1},
    ("POST", DESIGNATION + "/proposals"): {"status": "open"},
    ("POST", PROPOSAL + "/decision"): {"status": "approved"},
    ("POST", REVIEWS + "/{review_id}"): {"still_needed": True},
    ("POST", ITEMS): {"level": "CESI", "designation_status": "in_force",
                      "banner": "重要経済安保情報//QKD//REL TO JPN, USA",
                      "portion": "(重要経済安保情報//QKD//REL TO JPN, USA)"},
    ("POST", BANNER_CHECK): {"level": "CUI", "categories": ["EXPT", "PRVCY"],
                             "controls": ["NOFORN"], "rel_to": []},
    ("POST", CUI_LIST): {"status": "active", "current": True, "failures": []},
    ("POST", CUI_ONE + "/refresher"): {"status": "active", "current": True, "failures": []},
    ("POST", CUI_ONE + "/revocation"): {"status": "revoked", "current": False,
                                        "failures": ["cui_authorization_revoked"]},
    ("POST", FACILITIES): {"state": "proposed", "level": "CESI", "project": None},
    ("POST", FACILITY + "/application"): {"state": "applied"},
    ("POST", FACILITY + "/review"): {"state": "under_review"},
    ("POST", FACILITY + "/checklist"): {"state": "under_review"},
    ("POST", FACILITY + "/certify"): {"state": "certified"},
    ("POST", FACILITY + "/refuse"): {"state": "refused"},
    ("POST", FACILITY + "/suspend"): {"state": "suspended"},
    ("POST", FACILITY + "/reinstate"): {"state": "certified"},
    ("POST", FACILITY + "/revoke"): {"state": "revoked"},
    ("POST", FACILITY + "/withdraw"): {"state": "withdrawn"},
    ("POST", FACILITY + "/national-interest"): {"state": "certified", "level": "SDS"},
    ("POST", FACILITY + "/changes"): {"status": "pending"},
    ("POST", CHANGE_DECISION): {"status": "approved"},
    ("POST", FOCI_ORG + "/foci-declarations"): {"flagged": False, "board_seats": 2,
                                                "foreign_board_members": 0},
    ("POST", FOCI_ORG + "/foci-mitigations"): {"flagged": False},
    ("POST", HANDLERS): {"current": True, "removed_on": None},
    ("POST", HANDLER_REMOVAL): {"current": False},
    ("POST", CUSTODY): {"kind": "handling", "copies": None},
    ("POST", INCIDENTS): {"status": "open", "kind": "mishandling", "severity": "medium"},
    ("POST", INCIDENT_CLOSURE): {"status": "closed"},
    ("POST", TRAINING): {"overdue": False},
    ("POST", FINDING_CLOSURE): {"overdue": False},
    ("POST", FACILITY + "/participants"): {"screened_on": None, "left_on": None},
    ("POST", FACILITY + "/specification"): {"level": "CESI", "departments": ["研究開発部"]},
    ("POST", PROGRAMMES): {"countries": ["GBR"], "members": []},
    ("POST", PROGRAMME + "/members"): {"need_to_know": False},
    ("POST", BRIEFING): {"need_to_know": True},
    ("POST", ASSURANCES + "/personnel"): {"kind": "personnel", "partner": "GBR",
                                          "partner_level": "SECRET", "level": "SDS",
                                          "withdrawn": False},
    ("POST", ASSURANCES + "/facility"): {"kind": "facility", "partner": "GBR",
                                         "partner_level": "SECRET", "level": "SDS",
                                         "person_id": None, "withdrawn": False},
    ("POST", WITHDRAWAL): {"withdrawn": True},
    # the programme pre-authorises GBR: approved at once, no human decision
    ("POST", VISITS): {"status": "approved", "fast_path": True, "fast_path_reasons": [],
                       "agency_decided": False, "host_decided": False},
    # one side approves; the visit awaits the other's decision
    ("POST", VISIT_DECISION): {"status": "submitted", "fast_path": False,
                               "fast_path_reasons": ["country_not_preauthorised"]},
    ("POST", TRANSFERS): {"status": "submitted", "foreign": False, "decided_at": None},
    ("POST", TRANSFER_DECISION): {"status": "approved", "dispatch_event_id": None},
    ("POST", TRANSFER_DISPATCH): {"status": "dispatched", "receipt_event_id": None},
    ("POST", TRANSFER_RECEIPT): {"status": "received"},
    # the person's SDS clearance as the US table reads it
    ("GET", OUTGOING_ASSURANCE): {"partner": "USA", "name_latin": "TOKO, Ken",
                                  "birth_date": "1980-01-02", "nationality": "JPN",
                                  "hozen_level": "SDS", "partner_level": "SECRET"},
    ("POST", OUTGOING_VISIT): {"partner": "USA", "host_name": "Liberty Avionics Inc.",
                               "kind": "one_time", "initiative": "commercial"},
}
# The work each window role finds in its own queue (GET /clearance-queue): the queue's
# name in the answer and the state of a case put there for it.
QUEUED = {Role.WINDOW_OFFICER: ("intake", "submitted"),
          Role.INVESTIGATOR: ("investigation", "investigation"),
          Role.ADJUDICATOR: ("adjudication", "adjudication")}

# Pages: public, a page that needs sign-in, or a form post (sign-in and CSRF token).
WEB = {
    ("GET", "/login"): "public",
    ("POST", "/login"): "public form",
    # the second step before any session: the pending cookie is checked in the handler
    ("GET", "/login/code"): "public",
    ("POST", "/login/code"): "public form",
    ("GET", "/login/enrol"): "public",
    ("POST", "/login/enrol"): "public form",
    ("GET", "/reauth"): "page",
    ("POST", "/reauth"): "form",
    ("GET", "/account/security"): "page",
    ("POST", "/account/security/enrol"): "form",
    ("POST", "/account/security/recovery-codes"): "form",
    ("GET", "/lang/{code}"): "public",
    ("GET", "/healthz"): "public",
    ("GET", "/metrics"): "public",  # loopback or a bearer token, checked in the handler
    ("POST", "/logout"): "form",
    ("GET", "/"): "page",
    ("GET", "/people"): "page",
    ("GET", "/people/new"): "page",
    ("POST", "/people/new"): "form",
    ("GET", "/people/{person_id}"): "page",
    ("GET", "/people/{person_id}/edit"): "page",
    ("POST", "/people/{person_id}/edit"): "form",
    ("GET", "/organisations"): "page",
    ("GET", "/organisations/new"): "page",
    ("POST", "/organisations/new"): "form",
    ("GET", "/organisations/{org_id}"): "page",
    ("GET", "/organisations/{org_id}/edit"): "page",
    ("POST", "/organisations/{org_id}/edit"): "form",
    ("POST", "/organisations/{org_id}/ownership"): "form",
    # suitability assessment: the employer's officer
    ("GET", "/candidates"): "page",
    ("GET", "/candidates/template.csv"): "page",
    ("GET", "/candidates/export.csv"): "page",
    ("POST", "/candidates"): "form",
    ("POST", "/candidates/upload"): "form",
    ("POST", "/candidates/events"): "form",
    ("POST", "/candidates/{case_id}/renewal"): "form",
    # the window, investigators and adjudicators
    ("GET", "/casework"): "page",
    ("GET", "/casework/aftercare"): "page",
    ("GET", "/casework/{case_id}"): "page",
    ("POST", "/casework/{case_id}/intake"): "form",
    ("POST", "/casework/{case_id}/findings"): "form",
    ("POST", "/casework/{case_id}/completion"): "form",
    ("POST", "/casework/{case_id}/adjudication"): "form",
    ("POST", "/casework/complaints/{complaint_id}/answer"): "form",
    ("POST", "/casework/events/{event_id}/assessment"): "form",
    ("POST", "/casework/corrections/{request_id}/decision"): "form",
    # the subject
    ("GET", "/my/assessments"): "page",
    ("POST", "/my/assessments/{case_id}/consent"): "form",
    ("POST", "/my/assessments/{case_id}/refusal"): "form",
    ("POST", "/my/assessments/{case_id}/withdrawal"): "form",
    ("POST", "/my/assessments/{case_id}/complaints"): "form",
    ("GET", "/my/assessments/{case_id}/questionnaire"): "page",
    ("POST", "/my/assessments/{case_id}/questionnaire"): "form",
    ("GET", "/my/data"): "page",
    ("POST", "/my/data/corrections"): "form",
    # designation: the register, a designation's record, the oversight inspector's page
    ("GET", "/designations"): "page",
    ("GET", "/designations/register.csv"): "page",
    ("GET", "/designations/register.pdf"): "page",
    ("POST", "/designations"): "form",
    ("POST", "/designations/reviews/{review_id}"): "form",
    ("GET", "/designations/objections"): "page",
    ("POST", "/designations/objections/{objection_id}/answer"): "form",
    ("GET", "/designations/{designation_id}"): "page",
    ("POST", "/designations/{designation_id}/proposals"): "form",
    ("POST", "/designations/{designation_id}/proposals/{proposal_id}/comments"): "form",
    ("POST", "/designations/{designation_id}/proposals/{proposal_id}/decision"): "form",
    ("POST", "/designations/{designation_id}/objections"): "form",
    ("POST", "/designations/{designation_id}/items"): "form",
    # CUI authorization: the employer's officer grants; the window and oversight read
    ("GET", "/cui-authorizations"): "page",
    ("POST", "/cui-authorizations"): "form",
    ("POST", "/cui-authorizations/{authorization_id}/refresher"): "form",
    ("POST", "/cui-authorizations/{authorization_id}/revocation"): "form",
    # facility clearance: the agency proposes and decides, the business applies and
    # reports changes; the FOCI review of an organisation
    ("GET", "/facilities"): "page",
    ("POST", "/facilities"): "form",
    ("GET", "/facilities/{facility_id}"): "page",
    **{("POST", "/facilities/{facility_id}/" + step): "form" for step in (
        "application", "review", "checklist", "certify", "refuse", "suspend", "reinstate",
        "revoke", "withdraw", "national-interest", "changes",
        "changes/{change_id}/decision")},
    ("GET", "/organisations/{organisation_id}/foci"): "page",
    ("POST", "/organisations/{organisation_id}/foci/declaration"): "form",
    ("POST", "/organisations/{organisation_id}/foci/mitigation"): "form",
    # the handling records: handlers, custody, incidents, training; and on a facility's
    # record its inspections, research participants and the contract's specification
    ("GET", "/registers"): "page",
    ("GET", "/registers/items/{item_id}"): "page",
    ("POST", "/registers/handlers"): "form",
    ("POST", "/registers/handlers/{handler_id}/removal"): "form",
    ("POST", "/registers/custody"): "form",
    ("POST", "/registers/incidents"): "form",
    ("POST", "/registers/incidents/{incident_id}/closure"): "form",
    ("POST", "/registers/training"): "form",
    **{("POST", "/facilities/{facility_id}/" + step): "form" for step in (
        "inspections", "findings/{finding_id}/closure", "participants",
        "participants/{participant_id}/removal", "specification")},
    # access: a person's access and the explain page; programmes, departures, follow-ups
    ("GET", "/people/{person_id}/access"): "page",
    ("POST", "/people/{person_id}/access"): "form",
    ("GET", "/people/{person_id}/access/{item_id}"): "page",
    ("GET", "/programmes"): "page",
    ("POST", "/programmes"): "form",
    ("POST", "/programmes/{programme_id}/members"): "form",
    ("POST", "/programme-members/{membership_id}/briefing"): "form",
    ("POST", "/departures"): "form",
    ("GET", "/follow-ups"): "page",
    ("POST", "/follow-ups/{departure_id}/contacts"): "form",
    # reciprocity: the agreements; a partner's liaison submits assurances and requests
    # visits; the programme's agency and the host decide
    ("GET", "/agreements"): "page",
    ("GET", "/foreign-assurances"): "page",
    ("POST", "/foreign-assurances/personnel"): "form",
    ("POST", "/foreign-assurances/facility"): "form",
    ("POST", "/foreign-assurances/{assurance_id}/withdrawal"): "form",
    ("GET", "/visits"): "page",
    ("GET", "/visits/{visit_id}"): "page",
    ("POST", "/visits"): "form",
    ("POST", "/visits/{visit_id}/decision"): "form",
    # threat intelligence and API tokens (intel_matrix.py)
    **intel_matrix.WEB,
    # mass notices to security officers (notices_matrix.py)
    **notices_matrix.WEB,
    # transfers between companies, the originator's consent, and time to access
    ("GET", "/transfers"): "page",
    ("POST", "/transfers"): "form",
    ("POST", "/transfers/{transfer_id}/decision"): "form",
    ("POST", "/transfers/{transfer_id}/dispatch"): "form",
    ("POST", "/transfers/{transfer_id}/receipt"): "form",
    ("GET", "/originator-consents"): "page",
    ("POST", "/originator-consents"): "form",
    ("POST", "/originator-consents/{consent_id}/decision"): "form",
    ("POST", "/originator-consents/{consent_id}/withdrawal"): "form",
    ("GET", "/time-to-access"): "page",
    # communities and events: anyone reads; cleared people apply, post and register; the
    # manager or organiser admits and checks in
    ("GET", "/communities"): "page",
    ("GET", "/communities/{community_id}"): "page",
    ("POST", "/communities/{community_id}/applications"): "form",
    ("POST", "/communities/{community_id}/posts"): "form",
    ("POST", "/community-members/{membership_id}/decision"): "form",
    ("GET", "/events"): "page",
    ("GET", "/events/{event_id}"): "page",
    ("POST", "/events/{event_id}/registrations"): "form",
    ("POST", "/event-registrations/{registration_id}/check-in"): "form",
    # reports: the dashboard, each report's page (CSV and PDF), the handler register PDF
    **reports_matrix.WEB,
    # everybody
    ("GET", "/inbox"): "page",
    ("POST", "/inbox/read"): "form",
}
WEB_FRAMEWORK = {"/static"}
# The roles that may ask for an access decision about themself only (the service's scope).
ONLY_SELF = (Role.SYSTEM_ADMIN, Role.INVESTIGATOR, Role.ADJUDICATOR,
             Role.APPROVING_OFFICIAL, Role.FOREIGN_LIAISON, Role.EXTERNAL_EXPERT)


@dataclass
class Env:
    app: object
    client: TestClient
    world: World
    engine: Engine
    gov_staff: str  # a person employed by the government body the officials belong to
    bad_tokens: dict[str, str]
    cases: dict = field(default_factory=dict)  # (state, own) or status -> an id
    selves: dict = field(default_factory=dict)  # role -> the person its user is
    uk_company: str = ""  # a company of the United Kingdom, the liaison's partner country
    home_liaison: Login | None = None  # a liaison of the (Japanese) government body


@pytest.fixture(scope="module")
def env(engine):
    from hozen.app import create_app

    wipe(engine)
    with cheap_argon2(), session_factory(engine)() as s:
        world = make_world(s)
    with cheap_argon2(), unit_of_work(engine) as s:
        gov_staff = make_person(s, employer_id=world.gov.id, family_name_kanji="官庁")
        officer = world.users[Role.WINDOW_OFFICER].username  # tokens of a powerful user
        revoked = create_token(s, officer, "revoked", actor=SYSTEM)
        expired = create_token(s, officer, "expired", actor=SYSTEM, days=-1)
        inactive = make_user(s, Role.WINDOW_OFFICER, world.gov.id)
    with unit_of_work(engine) as s:
        s.execute(update(ApiToken).where(ApiToken.label == "revoked")
                  .values(revoked_at=utcnow() - timedelta(seconds=1)))
        s.execute(update(User).where(User.id == inactive.user_id).values(active=False))
    bad = {"revoked": revoked, "inactive user": inactive.token, "expired": expired}
    # The world's liaison is a partner government's (the UK's); the one make_world put in
    # the government body is kept to show what a liaison of no partner government gets.
    with cheap_argon2(), unit_of_work(engine) as s:
        uk_government = make_org(s, kind="foreign_government", country_code="GBR",
                                 name_en="UK Ministry of Defence", name_ja="英国国防省")
        uk_company = make_org(s, kind="foreign_company", country_code="GBR",
                              name_en="Albion Aero Ltd", name_ja="アルビオン航空").id
        home_liaison = world.users[Role.FOREIGN_LIAISON]
        world.users[Role.FOREIGN_LIAISON] = make_user(s, Role.FOREIGN_LIAISON,
                                                      uk_government.id)
    # The roles that may ask about nobody but themself are people of the government body.
    with unit_of_work(engine) as s:
        selves = {role: make_person(s, employer_id=world.gov.id, family_name_kanji="本人").id
                  for role in ONLY_SELF}
        for role, person_id in selves.items():
            s.execute(update(User).where(User.id == world.users[role].user_id)
                      .values(person_id=person_id))
    app = create_app()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Env(app, client, world, engine, gov_staff.id, bad, selves=selves,
                  uk_company=uk_company, home_liaison=home_liaison)


def _fresh_edge(env: Env) -> str:
    """An ownership edge of its own for a test."""
    with unit_of_work(env.engine) as s:
        return make_ownership(s, make_org(s).id, env.world.gov.id).id


STEPS = ("listed", "draft", "submitted", "investigation", "adjudication", "granted")


def _drive(env: Env, state: str, *, own: bool, gov: bool = False) -> str:
    """A CESI case moved by the real services to `state`: the subject user's own (its other
    open cases withdrawn first: one open case per regime) or a fresh person's, of the
    company (listed by its security officer) or, with `gov`, of the government body the
    officials belong to (listed by the agency official)."""
    w, u = env.world, env.world.users
    today = utcnow().date()
    lister = u[Role.AGENCY_OFFICIAL if gov else Role.COMPANY_SECURITY_OFFICER].actor
    with cheap_argon2(), unit_of_work(env.engine) as s:
        if own:
            person_id, subject = w.staff.id, u[Role.SUBJECT].actor
            for case_id in list(s.scalars(select(ClearanceCase.id).where(
                    ClearanceCase.person_id == person_id,
                    ClearanceCase.state.in_([st.value for st in OPEN_STATES])))):
                clearances.withdraw(s, case_id, actor=subject)
        else:
            org = w.gov.id if gov else w.company.id
            person_id = make_person(s, employer_id=org, family_name_kanji="審査").id
            subject = make_user(s, Role.SUBJECT, org, person_id).actor
        case = clearances.list_candidate(s, CandidateCreate(
            person_id=person_id, regime="CESI", sponsor_id=w.gov.id), actor=lister)
        for step in STEPS[1:STEPS.index(state) + 1]:
            if step == "draft":
                clearances.give_consent(s, case.id, ConsentGive(family_consent=True),
                                        actor=subject)
                clearances.save_questionnaire(
                    s, case.id, Questionnaire.model_validate(full_questionnaire(today)),
                    actor=subject)
            elif step == "submitted":
                clearances.submit(s, case.id, actor=subject)
            elif step == "investigation":
                clearances.intake(s, case.id, IntakeRequest(
                    investigator_id=u[Role.INVESTIGATOR].user_id),
                    actor=u[Role.WINDOW_OFFICER].actor)
            elif step == "adjudication":
                clearances.complete_investigation(s, case.id, actor=u[Role.INVESTIGATOR].actor)
            else:
                clearances.adjudicate(s, case.id, Adjudication.model_validate(
                    favourable_decisions()), actor=u[Role.ADJUDICATOR].actor)
        assert case.state == state
        return case.id


def case_in(env: Env, state: str, *, own: bool, gov: bool = False) -> str:
    """A case in `state`, reused while it stays there (a refusal writes nothing)."""
    key = (state, "gov") if gov else (state, own)
    case_id = env.cases.get(key)
    if case_id is not None:
        with session_factory(env.engine)() as s:
            if s.scalar(select(ClearanceCase.state).where(ClearanceCase.id == case_id)) == state:
                return case_id
    env.cases[key] = case_id = _drive(env, state, own=own, gov=gov)
    return case_id


def _still(env: Env, key: str, column, value) -> str | None:
    """The cached id under `key` if its row still has `column` == value."""
    row_id = env.cases.get(key)
    if row_id is not None:
        with session_factory(env.engine)() as s:
            pk = column.class_.id
            if s.scalar(select(column).where(pk == row_id)) == value:
                return row_id
    return None


def event_in(env: Env) -> str:
    """An unassessed event about a fresh person of the company with a granted case (kept in
    env.cases["event case"]: an adverse assessment reopens it), reused while unassessed."""
    event_id = _still(env, "event", ReportableEvent.assessed_by, None)
    if event_id is not None:
        return event_id
    case_id = _drive(env, "granted", own=False)  # its own transaction, before this one
    with unit_of_work(env.engine) as s:
        person_id = s.scalar(select(ClearanceCase.person_id).where(ClearanceCase.id == case_id))
        event = aftercare.report_event(s, EventCreate(
            person_id=person_id, kind="foreign_contact", occurred_on="2024-02-01",
            details="外国政府関係者との接触"),
            actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor)
        env.cases["event"], env.cases["event case"] = event.id, case_id
    return env.cases["event"]


def complaint_in(env: Env) -> str:
    """An open complaint of the subject user about their own case, reused while open."""
    complaint_id = _still(env, "complaint", Complaint.status, "open")
    if complaint_id is not None:
        return complaint_id
    case_id = case_in(env, "listed", own=True)
    with unit_of_work(env.engine) as s:
        env.cases["complaint"] = aftercare.file_complaint(s, case_id, ComplaintCreate(
            kind="assessment", text="説明が不十分"),
            actor=env.world.users[Role.SUBJECT].actor).id
    return env.cases["complaint"]


def correction_in(env: Env) -> str:
    """An open correction request of the subject user, reused while open."""
    request_id = _still(env, "correction", CorrectionRequest.status, "open")
    if request_id is not None:
        return request_id
    with unit_of_work(env.engine) as s:
        env.cases["correction"] = aftercare.request_correction(s, CorrectionCreate(
            field="department", value="第二技術部", reason="異動のため"),
            actor=env.world.users[Role.SUBJECT].actor).id
    return env.cases["correction"]


def party_of(role: Role) -> str:
    """The party whose share of the burden a role records."""
    return ("window" if role in WINDOW_ROLES
            else "security_officer" if role in EMPLOYER_ROLES else "subject")


def clearance_in(env: Env, status: str) -> str:
    """A clearance (of a granted case) with `status`, reused while it keeps it."""
    clearance_id = env.cases.get(status)
    if clearance_id is not None:
        with session_factory(env.engine)() as s:
            if s.scalar(select(Clearance.status).where(Clearance.id == clearance_id)) == status:
                return clearance_id
    case_id = _drive(env, "granted", own=False)
    with unit_of_work(env.engine) as s:
        clearance_id = s.scalar(select(Clearance.id).where(Clearance.case_id == case_id))
        if status == "suspended":
            clearances.change_clearance(s, clearance_id, "suspend", "審査中",
                                        actor=env.world.users[Role.ADJUDICATOR].actor)
    env.cases[status] = clearance_id
    return clearance_id


def _designation_body(env: Env, title: str) -> dict:
    """A designation (as JSON) the agency official may propose: starting today, held by the
    company (its security officer is consulted), the external expert invited."""
    today = utcnow().date()
    return {"title": title, "regime": "CESI", "category": "key_technologies",
            "reasons": "量子鍵配送の実装技術", "scope_kind": "technology",
            "scope": "量子鍵配送", "holders": [env.world.company.id],
            "term_start": today.isoformat(),
            "term_end": (today + timedelta(days=4 * 365)).isoformat(),
            "experts": [env.world.users[Role.EXTERNAL_EXPERT].user_id]}


def _designate(env: Env, title: str, *, approve: bool = True) -> tuple[str, str]:
    """A designation of the officials' government body, proposed by the agency official
    through the real services and, with `approve`, approved by the approving official (not
    the proposer: two-person rule), so in force. Its id and that of the proposal that
    designates it (still open without `approve`)."""
    u = env.world.users
    with unit_of_work(env.engine) as s:
        d = proposals.propose_designation(
            s, DesignationCreate.model_validate(_designation_body(env, title)),
            actor=u[Role.AGENCY_OFFICIAL].actor)
        proposal_id = s.scalar(select(Proposal.id).where(Proposal.designation_id == d.id))
        if approve:
            proposals.decide(s, proposal_id, Decision(approve=True, reasons="必要性を確認"),
                             actor=u[Role.APPROVING_OFFICIAL].actor)
        return d.id, proposal_id


def designation_in(env: Env) -> str:
    """The designation in force that every role sees if it may (held by the company, the
    expert invited); no allowed request changes it (a change is proposed on a fresh one)."""
    designation_id = _still(env, "designation", Designation.status, "in_force")
    if designation_id is None:
        env.cases["designation"] = designation_id = _designate(env, "行列の指定")[0]
    return designation_id


def proposal_in(env: Env) -> str:
    """An open proposal (to designate) of the agency official, with the company consulted
    and the expert invited, reused while open."""
    proposal_id = _still(env, "proposal", Proposal.status, "open")
    if proposal_id is None:
        env.cases["proposal"] = proposal_id = _designate(env, "協議中の指定", approve=False)[1]
    return proposal_id


def review_in(env: Env) -> str:
    """A review awaiting the agency's record, opened by the scheduled job on a designation
    in force whose review date was moved back; reused until recorded."""
    review_id = _still(env, "review", Review.still_needed, None)
    if review_id is not None:
        return review_id
    designation_id, _ = _designate(env, "見直しの指定")
    today = utcnow().date()
    with unit_of_work(env.engine) as s:
        s.get(Designation, designation_id).next_review_on = today - timedelta(days=1)
        s.flush()
        assert designation_jobs.run(s, today).reviews_opened == 1
        env.cases["review"] = s.scalar(select(Review.id).where(
            Review.designation_id == designation_id))
    return env.cases["review"]


def objection_in(env: Env) -> str:
    """An unanswered objection of the company's security officer to the designation,
    reused until answered."""
    objection_id = _still(env, "objection", Objection.answer, None)
    if objection_id is None:
        designation_id = designation_in(env)
        with unit_of_work(env.engine) as s:
            env.cases["objection"] = objection_id = oversight.file_objection(
                s, designation_id, ObjectionCreate(text="指定の範囲が広すぎる"),
                actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    return objection_id


def item_in(env: Env) -> str:
    """An item the agency registered under the designation (no request changes it)."""
    if "item" not in env.cases:
        designation_id = designation_in(env)
        with unit_of_work(env.engine) as s:
            env.cases["item"] = items.create_item(s, ItemCreate(
                title="鍵配送装置の設計書", kind="document", designation_id=designation_id,
                compartments=["QKD"]), actor=env.world.users[Role.AGENCY_OFFICIAL].actor).id
    return env.cases["item"]


def cui_authorization_in(env: Env, role: Role, *, fresh: bool = False) -> str:
    """An active CUI authorization of the role's own staff (the government body's for the
    agency official, the company's for any other role), granted through the real service
    by that organisation's officer to a person of its own; reused while active, or
    (`fresh`) a new one, where it will be revoked."""
    gov = role is Role.AGENCY_OFFICIAL
    key = f"cui authorization {'gov' if gov else 'company'}"
    found = None if fresh else _still(env, key, CuiAuthorization.status, "active")
    if found is not None:
        return found
    w, trained = env.world, utcnow().date() - timedelta(days=30)
    granter = w.users[Role.AGENCY_OFFICIAL if gov else Role.COMPANY_SECURITY_OFFICER]
    with unit_of_work(env.engine) as s:
        person = make_person(s, employer_id=granter.org_id, family_name_kanji="認可")
        authorization_id = cui.grant(s, CuiGrant(
            person_id=person.id, identity_document="passport", identity_checked_on=trained,
            trained_on=trained, agreement_signed_on=trained), actor=granter.actor).id
    if not fresh:
        env.cases[key] = authorization_id
    return authorization_id


# --- facility clearance: what its routes act on --------------------------------------------
# The company's certification (SDS) goes proposed → applied → under_review (its checklist
# all met) → certified, and from there to suspended or change_pending and back. A
# business has one certification at a time: one that cannot reach the state asked for is
# given up first (withdrawn by the company; revoked by the agency if suspended).
FACILITY_RANK = {"proposed": 0, "applied": 1, "under_review": 2, "certified": 3,
                 "suspended": 3, "change_pending": 3}
PREPARED = FacilityDecision(reasons="行列の準備")


def all_met() -> dict:
    return {"results": {c.id: {"met": True, "evidence": f"{c.id} の証跡"}
                        for c in load_checklist().controls}}


def deputy_in(env: Env) -> str:
    """A second security officer of the company: an application names two people."""
    if "deputy" not in env.cases:
        with cheap_argon2(), unit_of_work(env.engine) as s:
            env.cases["deputy"] = make_user(s, Role.COMPANY_SECURITY_OFFICER,
                                            env.world.company.id).user_id
    return env.cases["deputy"]


def _application(env: Env, level: str, *, project: bool = False) -> dict:
    """A complete application of the company (deputy_in made first): its two officers, an
    area at the level (kept apart from the open laboratory for a research project)."""
    return {"internal_rules": "保全規程（第1版）", "governance": "取締役会が保全責任者を監督する",
            "training_plan": "着任時及び毎年の教育",
            "security_officer_id": env.world.users[Role.COMPANY_SECURITY_OFFICER].user_id,
            "deputy_officer_id": env.cases["deputy"],
            "areas": [{"kind": "room", "name": "第一保全室", "level": level,
                       "separate_from_open_lab": project}]}


def _move(env: Env, s, f: Facility, state: str) -> None:
    """One step of `f` towards `state`, through the real services."""
    u = env.world.users
    agency, officer = u[Role.AGENCY_OFFICIAL].actor, u[Role.COMPANY_SECURITY_OFFICER].actor
    if f.state == "proposed":
        facilities.apply(s, f.id, FacilityApplication.model_validate(_application(
            env, f.level, project=f.project is not None)), actor=officer)
    elif f.state == "applied":
        facilities.start_review(s, f.id, actor=agency)
    elif f.state == "under_review":
        _check_all(env, s, f)
        facilities.certify(s, f.id, PREPARED, actor=agency)
    elif f.state == "suspended":
        facilities.reinstate(s, f.id, PREPARED, actor=agency)
    elif f.state == "change_pending":
        change_id = s.scalar(select(ChangeReport.id).where(
            ChangeReport.facility_id == f.id, ChangeReport.status == "pending"))
        facilities.decide_change(s, change_id, ChangeDecision(approve=True,
                                                              reasons="行列の準備"),
                                 actor=agency)
    elif state == "suspended":
        facilities.suspend(s, f.id, PREPARED, actor=agency)
    else:
        assert (f.state, state) == ("certified", "change_pending"), (f.state, state)
        facilities.report_change(s, f.id, ChangeReportCreate(
            kinds=["address"], description="本社を移転する"), actor=officer)


def facility_in(env: Env, state: str) -> str:
    """The company's certification in `state`, moved on by the real services while it can
    get there (a refusal writes nothing: it is reused), else given up and a new one
    proposed by the agency official."""
    deputy_in(env)
    u = env.world.users
    with unit_of_work(env.engine) as s:
        f = s.get(Facility, env.cases["facility"]) if "facility" in env.cases else None
        if f is not None and FACILITY_RANK.get(f.state, 9) > FACILITY_RANK[state]:
            if f.state == "suspended":
                facilities.revoke(s, f.id, PREPARED, actor=u[Role.AGENCY_OFFICIAL].actor)
            elif f.state in FACILITY_RANK:
                facilities.withdraw(s, f.id, PREPARED,
                                    actor=u[Role.COMPANY_SECURITY_OFFICER].actor)
            f = None
        if f is None:
            f = facilities.propose(s, FacilityPropose(
                organisation_id=env.world.company.id, level="SDS"),
                actor=u[Role.AGENCY_OFFICIAL].actor)
            env.cases["facility"] = f.id
        while f.state != state:
            _move(env, s, f, state)
        if state == "under_review":  # ready to certify
            _check_all(env, s, f)
        return f.id


def _check_all(env: Env, s, f: Facility) -> None:
    """The agency records every control met, unless it has (a review started by a request
    of the matrix has none yet)."""
    if {k for k, v in json.loads(f.checklist).items() if v["met"]} != {
            c.id for c in load_checklist().controls}:
        facilities.record_checklist(s, f.id, ChecklistRecord.model_validate(all_met()),
                                    actor=env.world.users[Role.AGENCY_OFFICIAL].actor)


def project_in(env: Env) -> str:
    """A research project of the company, certified for CESI once (nothing ends it)."""
    if "project" not in env.cases:
        deputy_in(env)
        with unit_of_work(env.engine) as s:
            f = facilities.propose(s, FacilityPropose(
                organisation_id=env.world.company.id, level="CESI",
                project="量子鍵配送の共同研究"), actor=env.world.users[Role.AGENCY_OFFICIAL].actor)
            while f.state != "certified":
                _move(env, s, f, "certified")
            env.cases["project"] = f.id
    return env.cases["project"]


def change_in(env: Env) -> str:
    """The pending change report of the company's certification (change_pending)."""
    facility_id = facility_in(env, "change_pending")
    with session_factory(env.engine)() as s:
        return s.scalar(select(ChangeReport.id).where(ChangeReport.facility_id == facility_id,
                                                      ChangeReport.status == "pending"))


def cleared_in(env: Env) -> str:
    """A person of the company's staff with an active CESI clearance, granted by the real
    services (no request changes it): the handler of the company's items."""
    if "cleared" not in env.cases:
        case_id = _drive(env, "granted", own=False)
        with session_factory(env.engine)() as s:
            env.cases["cleared"] = s.scalar(select(ClearanceCase.person_id).where(
                ClearanceCase.id == case_id))
    return env.cases["cleared"]


def fresh_item(env: Env, title: str) -> str:
    """A new item the agency registered under the designation the company holds."""
    designation_id = designation_in(env)
    with unit_of_work(env.engine) as s:
        return items.create_item(s, ItemCreate(
            title=title, kind="document", designation_id=designation_id,
            compartments=["QKD"]), actor=env.world.users[Role.AGENCY_OFFICIAL].actor).id


def handler_in(env: Env, *, fresh: bool = False) -> str:
    """The cleared person as a current handler of the item everyone sees, added by the
    company's officer under its certification in force, reused while current; or
    (`fresh`) of an item of its own, where the handler will be removed."""
    found = None if fresh else _still(env, "handler", Handler.removed_on, None)
    if found is not None:
        return found
    facility_in(env, "certified")
    person_id = cleared_in(env)
    item_id = fresh_item(env, "取扱者を外す文書") if fresh else item_in(env)
    with unit_of_work(env.engine) as s:
        handler_id = registers.add_handler(
            s, item_id, person_id, actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    if not fresh:
        env.cases["handler"] = handler_id
    return handler_id


def custody_in(env: Env) -> str:
    """The handler's receipt of the item everyone sees (the log is append-only)."""
    if "custody" not in env.cases:
        handler_in(env)
        facility_in(env, "certified")  # a receipt needs a certification in force
        item_id, person_id = item_in(env), cleared_in(env)
        with unit_of_work(env.engine) as s:
            env.cases["custody"] = custody.record_custody(s, CustodyCreate(
                item_id=item_id, kind="receipt", person_id=person_id, note="受領"),
                actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    return env.cases["custody"]


def incident_in(env: Env) -> str:
    """An open incident of the company about the item and its handler, reused while open."""
    incident_id = _still(env, "incident", Incident.status, "open")
    if incident_id is None:
        item_id, person_id = item_in(env), cleared_in(env)
        with unit_of_work(env.engine) as s:
            env.cases["incident"] = incident_id = facility_incidents.report_incident(
                s, IncidentCreate(kind="loss", severity="low", occurred_on=utcnow().date(),
                                  description="保管庫の鍵の紛失", item_ids=[item_id],
                                  person_ids=[person_id]),
                actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    return incident_id


def training_in(env: Env) -> str:
    """A training record of the world's staff (no request changes it)."""
    if "training" not in env.cases:
        with unit_of_work(env.engine) as s:
            env.cases["training"] = registers.record_training(
                s, env.world.staff.id, "initial", utcnow().date() - timedelta(days=30),
                actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    return env.cases["training"]


def finding_in(env: Env) -> str:
    """An open, overdue (minor) finding of the company's self-inspection of its
    certification, reused while open; its facility is env.cases["inspected"]."""
    finding_id = _still(env, "finding", InspectionFinding.closed_on, None)
    if finding_id is not None:
        return finding_id
    facility_id, today = facility_in(env, "certified"), utcnow().date()
    with unit_of_work(env.engine) as s:
        inspection = inspections.record_inspection(s, facility_id, InspectionCreate.model_validate({
            "kind": "self", "held_on": today - timedelta(days=30), "summary": "年次自己点検",
            "findings": [{"severity": "minor", "text": "施錠記録の記入漏れ",
                          "action": "記録様式の改訂", "due_on": today - timedelta(days=10)}]}),
            actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor)
        env.cases["finding"] = s.scalar(select(InspectionFinding.id).where(
            InspectionFinding.inspection_id == inspection.id))
        env.cases["inspected"], env.cases["inspection"] = facility_id, inspection.id
    return env.cases["finding"]


def participant_in(env: Env) -> str:
    """A current participant (a fresh person of the company) of its research project,
    reused while current."""
    participant_id = _still(env, "participant", ResearchParticipant.left_on, None)
    if participant_id is None:
        project_id = project_in(env)
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=env.world.company.id, family_name_kanji="研究")
            env.cases["participant"] = participant_id = contract.add_participant(
                s, project_id, person.id, None,
                actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    return participant_id


def specification_body(item_id: str) -> dict:
    return {"item_id": item_id, "departments": ["研究開発部"],
            "handling": "保全室内でのみ閲覧", "return_rule": "契約終了時に返却"}


def specification_in(env: Env) -> str:
    """A line of the contract of the company's certification (no request changes it);
    its facility is env.cases["specified"]."""
    if "specification" not in env.cases:
        facility_id = facility_in(env, "certified")
        item_id = fresh_item(env, "契約の対象文書")
        with unit_of_work(env.engine) as s:
            env.cases["specification"] = contract.add_specification(
                s, facility_id, SpecificationCreate.model_validate(specification_body(item_id)),
                actor=env.world.users[Role.AGENCY_OFFICIAL].actor).id
            env.cases["specified"] = facility_id
    return env.cases["specification"]


def own_person(env: Env, role: Role) -> str:
    if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT):
        return env.world.staff.id
    return env.gov_staff


def own_org(env: Env, role: Role) -> str:
    """The organisation a role's user of the world belongs to."""
    if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT):
        return env.world.company.id
    return env.world.gov.id


def _facility_ids(env: Env, method: str, path: str, allowed: bool) -> dict:
    """The objects a facility clearance route acts on (see prepare)."""
    ids = {"organisation_id": env.world.company.id, "person_id": env.world.staff.id}
    if path.startswith(FACILITY + "/participants"):
        ids["facility_id"] = project_in(env)
        if method == "GET":  # one to find
            participant_in(env)
    elif (method, path) == ("GET", FACILITY + "/inspections"):
        finding_in(env)
        ids["facility_id"] = env.cases["inspected"]
    elif (method, path) == ("GET", FACILITY + "/specification"):
        specification_in(env)
        ids["facility_id"] = env.cases["specified"]
    elif "{facility_id}" in path or (method, path) == ("GET", FACILITIES):
        ids["facility_id"] = facility_in(env, FACILITY_NEEDED.get(path, "certified"))
    if "{change_id}" in path:
        ids["change_id"] = change_in(env)
    if path in (HANDLERS, "/api/v1/item-handlers", CUSTODY):  # a current handler
        handler_in(env)
    if method == "POST" and path in (HANDLERS, CUSTODY):  # classified work needs cover
        facility_in(env, "certified")
    if path in (ITEM + "/custody", "/api/v1/custody/where"):  # an event to find
        custody_in(env)
    if "{item_id}" in path:
        ids["item_id"] = item_in(env)
        if (method, path) == ("POST", HANDLERS) and allowed:  # the person not yet on it
            ids["item_id"] = fresh_item(env, "取扱者を加える文書")
    if "{handler_id}" in path:
        ids["handler_id"] = handler_in(env, fresh=allowed)
    if "{incident_id}" in path or (method, path) == ("GET", INCIDENTS):
        ids["incident_id"] = incident_in(env)
    if path == TRAINING_STATUS:
        training_in(env)
    if path == "/api/v1/training/overdue":  # the cleared person, never trained
        cleared_in(env)
    if "{finding_id}" in path or path == "/api/v1/facility-findings/overdue":
        ids["finding_id"] = finding_in(env)
    if "{participant_id}" in path:
        ids["participant_id"] = participant_in(env)
    return ids


def _facility_body(env: Env, method: str, path: str, role: Role, allowed: bool):
    """A valid body of a facility clearance route (see prepare)."""
    today, by = utcnow().date(), role.value
    if (method, path) == ("POST", FACILITIES):  # a business not yet proposed
        with unit_of_work(env.engine) as s:
            return {"organisation_id": make_org(s).id, "level": "CESI"}
    if path == FACILITY + "/application":
        return _application(env, "SDS")
    if path == FACILITY + "/checklist":
        return {"results": {load_checklist().controls[0].id: {
            "met": True, "evidence": f"checked by {by}"}}}
    if path in DECISIONS:
        return {"reasons": f"decided by {by}"}
    if path == FACILITY + "/changes":
        return {"kinds": ["address"], "description": f"reported by {by}"}
    if path == CHANGE_DECISION:
        return {"approve": True, "reasons": f"decided by {by}"}
    if path == FOCI_ORG + "/foci-declarations":  # all Japanese: FOCI stays clear
        return {"board": [["JPN"], ["JPN"]], "foreign_debt_pct": "0",
                "foreign_revenue_pct": "0"}
    if path == FOCI_ORG + "/foci-mitigations":
        return {"instrument": "board_resolution", "reference": f"BR-{by}",
                "terms": "外国株主は保全情報にアクセスしない", "signed_on": today.isoformat()}
    if (method, path) == ("POST", HANDLERS):
        return {"person_id": cleared_in(env)}
    if path == CUSTODY:
        return {"item_id": item_in(env), "kind": "handling", "person_id": cleared_in(env),
                "note": f"recorded by {by}"}
    if (method, path) == ("POST", INCIDENTS):
        return {"kind": "mishandling", "severity": "medium",
                "occurred_on": (today - timedelta(days=1)).isoformat(),
                "description": f"reported by {by}", "item_ids": [item_in(env)],
                "person_ids": [cleared_in(env)]}
    if path == INCIDENT_CLOSURE:
        return {"closing_note": f"closed by {by}"}
    if path == TRAINING:
        return {"person_id": env.world.staff.id, "kind": "refresher",
                "trained_on": today.isoformat()}
    if (method, path) == ("POST", FACILITY + "/inspections"):  # the agency's is on site
        return {"kind": "on_site" if role is Role.AGENCY_OFFICIAL else "self",
                "held_on": (today - timedelta(days=1)).isoformat(),
                "summary": f"inspected by {by}",
                "findings": [{"severity": "minor", "text": "掲示物の更新漏れ"}]}
    if (method, path) == ("POST", FACILITY + "/participants"):  # a fresh person of its own
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=env.world.company.id,
                                 family_name_kanji="研究")
        return {"person_id": person.id}
    if (method, path) == ("POST", FACILITY + "/specification"):  # an item not in it yet
        return specification_body(fresh_item(env, f"{by}の契約文書") if allowed
                                  else item_in(env))
    return None


# --- access decisions and programmes: what their routes act on ------------------------------


def asks_about(env: Env, role: Role) -> str:
    """A person the role may ask an access decision about: the company's staff for the
    roles that may ask about anyone (and for its officer and the subject: their own staff,
    their own record), the government body's staff for the agency official, the role's own
    record for the others (Env.selves)."""
    if role in env.selves:
        return env.selves[role]
    return env.gov_staff if role is Role.AGENCY_OFFICIAL else env.world.staff.id


def unmarked_in(env: Env) -> str:
    """An unmarked item of the agency, open to anyone (no request changes it)."""
    if "unmarked" not in env.cases:
        with unit_of_work(env.engine) as s:
            env.cases["unmarked"] = items.create_item(s, ItemCreate(
                title="公開の手引き", kind="document"),
                actor=env.world.users[Role.AGENCY_OFFICIAL].actor).id
    return env.cases["unmarked"]


_codes = iter(range(1, 10**6))


def _fresh_code() -> str:
    return f"MX{next(_codes)}"


def programme_in(env: Env) -> str:
    """A programme of the officials' agency that the company takes part in, with a member
    of the company's staff (added by its officer) and one of the government body's (added
    by the agency official); and one the company takes no part in (env.cases["programme
    elsewhere"]). A briefing may be repeated: no request ends a membership."""
    if "programme" not in env.cases:
        w, u = env.world, env.world.users
        AGO, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
        with unit_of_work(env.engine) as s:
            p = programmes.create_programme(s, ProgrammeCreate(
                code="MATRIX", name_ja="行列計画", name_en="Matrix programme",
                countries=["GBR"], organisations=[w.company.id]), actor=u[AGO].actor)
            elsewhere = programmes.create_programme(s, ProgrammeCreate(
                code="ELSEWHERE", name_ja="他社の計画", name_en="Elsewhere",
                organisations=[w.other_company.id]), actor=u[AGO].actor)
            for role, org in ((CSO, w.company.id), (AGO, w.gov.id)):
                person = make_person(s, employer_id=org, family_name_kanji="計画")
                env.cases[("membership", org)] = programmes.add_member(
                    s, p.id, MemberAdd(person_id=person.id), actor=u[role].actor).id
            env.cases["programme"], env.cases["programme elsewhere"] = p.id, elsewhere.id
    return env.cases["programme"]


def membership_in(env: Env, role: Role) -> str:
    """The membership in the programme of the role's own staff: the government body's for
    the agency official, the company's for everyone else."""
    programme_in(env)
    org = env.world.gov if role is Role.AGENCY_OFFICIAL else env.world.company
    return env.cases[("membership", org.id)]


def sds_cleared(env: Env, org_id: str) -> str:
    """A fresh person of the organisation who held an SDS clearance (written directly: its
    flow is proved elsewhere): their departure starts the window's follow-up."""
    with unit_of_work(env.engine) as s:
        person = make_person(s, employer_id=org_id, family_name_kanji="退職")
        make_clearance(s, person.id, "SDS", sponsor_id=env.world.gov.id, employer_id=org_id,
                       listed_by=env.world.users[Role.COMPANY_SECURITY_OFFICER].user_id)
    return person.id


def departure_in(env: Env) -> str:
    """The departure, recorded by the company's officer, of a company person who held an
    SDS clearance: followed up by the window (a contact does not end it)."""
    if "departure" not in env.cases:
        person_id = sds_cleared(env, env.world.company.id)
        with unit_of_work(env.engine) as s:
            env.cases["departure"] = programmes.record_departure(s, DepartureCreate(
                person_id=person_id, departed_on=utcnow().date(),
                obligations="退職後も守秘義務を負う"),
                actor=env.world.users[Role.COMPANY_SECURITY_OFFICER].actor).id
    return env.cases["departure"]


def _access_request(env: Env, method: str, path: str, role: Role) -> tuple[str, dict | None]:
    """The URL and a valid body of a route of access decisions and programmes (see
    prepare)."""
    today, by = utcnow().date().isoformat(), role.value
    ids, body = {"person_id": own_person(env, role)}, None
    if path == CHECK:
        body = {"person_id": asks_about(env, role), "item_id": item_in(env)}
    elif path == CHECK_BATCH:  # a classified item and an unmarked one
        person_id = asks_about(env, role)
        body = {"requests": [{"person_id": person_id, "item_id": item_in(env)},
                             {"person_id": person_id, "item_id": unmarked_in(env)}]}
    elif path == ACCESSIBLE:  # one item the person may not read, one they may
        item_in(env), unmarked_in(env)
    elif path.startswith((PROGRAMMES, "/api/v1/programme-")):
        ids["programme_id"] = programme_in(env)
        ids["membership_id"] = membership_in(env, role)
        if (method, path) == ("POST", PROGRAMMES):
            body = {"code": _fresh_code(), "name_ja": "行列の計画",
                    "name_en": f"Programme of {by}", "countries": ["GBR"],
                    "organisations": [env.world.company.id]}
        elif path == PROGRAMME + "/members":  # a fresh person of the role's own staff
            with unit_of_work(env.engine) as s:
                body = {"person_id": make_person(s, employer_id=own_org(env, role),
                                                 family_name_kanji="計画").id}
        elif path == BRIEFING:
            body = {"briefed_on": today, "nda_signed_on": today}
    elif path == DEPARTURES:  # a fresh person of the role's own staff, who held SDS
        body = {"person_id": sds_cleared(env, own_org(env, role)), "departed_on": today,
                "obligations": f"recorded by {by}"}
    else:
        assert path.startswith(FOLLOW_UPS), path
        ids["departure_id"] = departure_in(env)
        if method == "POST":
            body = {"contacted_on": today, "note": f"contacted by {by}"}
    return path.format(**ids), body


# --- reciprocity: what its routes act on ---------------------------------------------------


def partner_agreement(env: Env) -> str:
    """The agreement with the United Kingdom, the liaison's government (loaded by wipe)."""
    with session_factory(env.engine)() as s:
        return s.scalar(select(Agreement.id).where(Agreement.partner == "GBR"))


def engineer_body(env: Env, by: str) -> dict:
    """A personnel assurance (as JSON) of a UK engineer of the UK company holding a
    partner SECRET clearance (SDS in the agreement's table), registered with it."""
    return {"person": {"family_name_latin": "Hughes", "given_name_latin": "Owen",
                       "birth_date": "1984-02-29", "nationalities": ["GBR"],
                       "employer_id": env.uk_company},
            "partner_level": "SECRET",
            "valid_until": (utcnow().date() + timedelta(days=700)).isoformat(),
            "reference": f"UKDVA-{by}"}


def facility_assurance_body(env: Env, by: str) -> dict:
    return {"organisation_id": env.uk_company, "partner_level": "SECRET",
            "valid_until": (utcnow().date() + timedelta(days=900)).isoformat(),
            "reference": f"UKFSC-{by}"}


def assurance_in(env: Env, *, fresh: bool = False) -> str:
    """A personnel assurance of the UK engineer that the liaison submitted through the
    real service, reused while not withdrawn; or (`fresh`) a new one, where it will be
    withdrawn."""
    found = None if fresh else _still(env, "assurance", ForeignAssurance.withdrawn_at, None)
    if found is not None:
        return found
    with unit_of_work(env.engine) as s:
        assurance_id = assurances.submit_personnel(
            s, PersonnelAssuranceCreate.model_validate(engineer_body(env, "matrix")),
            actor=env.world.users[Role.FOREIGN_LIAISON].actor).id
    if not fresh:
        env.cases["assurance"] = assurance_id
    return assurance_id


def sds_area(env: Env) -> str:
    """The SDS area of the company's certification, in force (the area visited)."""
    facility_id = facility_in(env, "certified")
    with session_factory(env.engine)() as s:
        return s.scalar(select(ApprovedArea.id).where(
            ApprovedArea.facility_id == facility_id, ApprovedArea.level == "SDS",
            ApprovedArea.withdrawn_on.is_(None)))


def case_by_case_programme(env: Env) -> str:
    """A programme of the officials' agency that the company takes part in and that does
    not pre-authorise GBR: a UK visit to it is decided by the agency and the host."""
    if "case by case" not in env.cases:
        with unit_of_work(env.engine) as s:
            env.cases["case by case"] = programmes.create_programme(s, ProgrammeCreate(
                code="CASEBYCASE", name_ja="個別審査の計画", name_en="Case by case",
                countries=["ITA"], organisations=[env.world.company.id]),
                actor=env.world.users[Role.AGENCY_OFFICIAL].actor).id
    return env.cases["case by case"]


def visit_body(env: Env, programme_id: str, by: str) -> dict:
    """A one-time visit (as JSON) of the UK engineer to the company's SDS area."""
    today = utcnow().date()
    return {"kind": "one_time", "programme_id": programme_id,
            "host_organisation_id": env.world.company.id, "area_id": sds_area(env),
            "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=4)).isoformat(),
            "purpose": f"design review of {by}", "visitors": [assurance_in(env)]}


def visit_in(env: Env, *, fresh: bool = False) -> str:
    """A visit the liaison requested through the real service under the programme that
    does not pre-authorise GBR, awaiting both decisions: reused while neither side has
    decided; or (`fresh`) a new one, where it will be decided."""
    visit_id = None if fresh else env.cases.get("visit")
    if visit_id is not None:
        with session_factory(env.engine)() as s:
            v = s.get(VisitRequest, visit_id)
            if (v.status, v.agency_decided_by, v.host_decided_by) == ("submitted", None, None):
                return visit_id
    body = visit_body(env, case_by_case_programme(env), "matrix")
    with unit_of_work(env.engine) as s:
        visit_id = visits.request_visit(s, VisitCreate.model_validate(body),
                                        actor=env.world.users[Role.FOREIGN_LIAISON].actor).id
    if not fresh:
        env.cases["visit"] = visit_id
    return visit_id


def _reciprocity_request(env: Env, method: str, path: str,
                         role: Role) -> tuple[str, dict | None]:
    """The URL and a valid body of a route of reciprocity (see prepare)."""
    by, ids, body = role.value, {}, None
    allowed = EXPECTED[(method, path)][role] == "ok"
    if path.startswith(AGREEMENTS):
        ids["agreement_id"] = partner_agreement(env)
        if method == "PATCH":  # a correction of the scope, on the version read now
            with session_factory(env.engine)() as s:
                version = s.get(Agreement, ids["agreement_id"]).version
            body = {"scope": f"Classified information, as corrected by {by}.",
                    "version": version}
    elif path == ASSURANCES + "/personnel":
        body = engineer_body(env, by)
    elif path == ASSURANCES + "/facility":
        body = facility_assurance_body(env, by)
    elif path.startswith(ASSURANCES):  # a fresh one where it will be withdrawn
        ids["assurance_id"] = assurance_in(env, fresh=allowed and path == WITHDRAWAL)
    elif (method, path) == ("POST", VISITS):  # under the programme pre-authorising GBR
        body = visit_body(env, programme_in(env), by)
    elif path.startswith(VISITS):  # a fresh one where it will be decided
        ids["visit_id"] = visit_in(env, fresh=allowed and path == VISIT_DECISION)
        if path == VISIT_DECISION:
            body = {"approve": True, "reasons": f"approved by {by}"}
    elif (method, path) == ("POST", TRANSFERS):  # the item no transfer is approved for
        transfer_in(env)
        body = {"item_id": env.cases["transfer item"],
                "to_organisation_id": env.world.other_company.id,
                "reason": f"requested by {by}"}
    elif path.startswith(TRANSFERS):  # a fresh one where the allowed role moves it on
        fresh = {TRANSFER_DECISION: "submitted", TRANSFER_DISPATCH: "approved",
                 TRANSFER_RECEIPT: "dispatched"}.get(path) if allowed else None
        ids["transfer_id"] = transfer_in(env, fresh)
        if path == TRANSFER_DECISION:
            body = {"approve": True, "reasons": f"approved by {by}"}
        elif path in (TRANSFER_DISPATCH, TRANSFER_RECEIPT):
            facility_in(env, "certified")  # a receipt needs a certification in force
            body = {"person_id": cleared_in(env), "note": f"recorded by {by}"}
    else:
        assert path == TIME_TO_ACCESS, path
        visit_in(env)  # the engineer's assurance, and a visit requested with it
    return path.format(**ids), body


def transfer_in(env: Env, fresh: str | None = None) -> str:
    """The company's submitted request to pass an item of its own (env.cases["transfer
    item"], never approved) to the other company, requested through the real service and
    reused; or (`fresh`) one in that state of a new item: submitted; approved by the
    agency official with the cleared person as the item's handler at the company; or
    dispatched to the company by the other company (written directly), the cleared person
    its handler at the company."""
    u, w = env.world.users, env.world
    cso, ago = u[Role.COMPANY_SECURITY_OFFICER].actor, u[Role.AGENCY_OFFICIAL].actor
    if fresh is None and "transfer" in env.cases:
        return env.cases["transfer"]
    item_id = fresh_item(env, f"移転する文書 {fresh or ''}")
    if fresh in ("approved", "dispatched"):  # the handler needs a certification in force
        facility_in(env, "certified")
        person_id = cleared_in(env)
    if fresh == "dispatched":  # from the other company: only its receipt is the company's
        with unit_of_work(env.engine) as s:
            registers.add_handler(s, item_id, person_id, actor=cso)
            t = TransferRequest(item_id=item_id, from_organisation_id=w.other_company.id,
                                to_organisation_id=w.company.id, reason="行列の移転",
                                status="dispatched", requested_by=ago.id,
                                decided_by=ago.id, decided_at=utcnow(),
                                dispatched_at=utcnow())
            s.add(t)
            s.flush()
            return t.id
    with unit_of_work(env.engine) as s:
        t = transfers.request_transfer(s, TransferCreate(
            item_id=item_id, to_organisation_id=w.other_company.id, reason="行列の移転"),
            actor=cso)
        if fresh == "approved":
            registers.add_handler(s, item_id, person_id, actor=cso)
            transfers.decide(s, t.id, TransferDecision(approve=True), actor=ago)
        transfer_id = t.id
    if fresh is None:
        env.cases["transfer"], env.cases["transfer item"] = transfer_id, item_id
    return transfer_id


# --- outgoing reciprocity: what its routes act on -------------------------------------------


def abroad_in(env: Env, role: Role) -> str:
    """A person of the role's own organisation (own_org) with a current SDS clearance
    (written directly: its flow is proved elsewhere), Japanese and named in Latin letters:
    the one its assurance or Request for Visit is about (no request changes it)."""
    org = own_org(env, role)
    if ("abroad", org) not in env.cases:
        lister = (Role.AGENCY_OFFICIAL if org == env.world.gov.id
                  else Role.COMPANY_SECURITY_OFFICER)
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=org, family_name_kanji="渡航",
                                 family_name_latin="Toko", given_name_latin="Ken")
            make_clearance(s, person.id, "SDS", sponsor_id=env.world.gov.id,
                           employer_id=org, listed_by=env.world.users[lister].user_id)
        env.cases[("abroad", org)] = person.id
    return env.cases[("abroad", org)]


def _outgoing_request(env: Env, method: str, path: str, role: Role) -> tuple[str, dict | None]:
    """The URL and a valid body of a route of outgoing reciprocity (see prepare): the
    United States' table maps SDS to SECRET."""
    person_id = abroad_in(env, role)
    if path in (OUTGOING_ASSURANCE, OUTGOING_PDF):
        return path.format(person_id=person_id) + "?partner=USA", None
    assert (method, path) == ("POST", OUTGOING_VISIT), path
    start = utcnow().date() + timedelta(days=10)
    return path, {"partner": "USA", "host_name": "Liberty Avionics Inc.",
                  "host_address": "1 Hangar Way, Dayton, OH 45402, United States",
                  "kind": "one_time", "initiative": "commercial",
                  "start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat(),
                  "purpose": f"Design review requested by {role.value}.",
                  "visitors": [person_id]}


def outgoing_left_behind(env: Env, s, method: str, path: str, role: Role,
                         target: str | None, body, answer) -> None:
    """left_behind for the routes of outgoing reciprocity: nothing stored but the audit
    of the export."""
    w, user_id = env.world, env.world.users[role].user_id
    clearance = s.scalar(select(Clearance).where(Clearance.person_id == (
        target or body["visitors"][0])))
    if path == OUTGOING_ASSURANCE:
        assert (answer["person_id"], answer["valid_until"]) == (
            target, clearance.valid_until.isoformat())
    if path in (OUTGOING_ASSURANCE, OUTGOING_PDF):
        event = _last_audit(s, "reciprocity:outgoing-assurance:issue", user_id)
        assert (event.subject_id, json.loads(event.details)) == (
            target, {"partner": "USA", "hozen_level": "SDS", "partner_level": "SECRET"})
        return
    assert path == OUTGOING_VISIT, path
    org = s.get(Organisation, w.users[role].org_id)
    assert (answer["requesting_facility"], answer["requesting_country"]) == (
        org.name_en, org.country_code)
    assert [(v["person_id"], v["name_latin"], v["hozen_level"], v["partner_level"],
             v["valid_until"]) for v in answer["visitors"]] == [
        (body["visitors"][0], "TOKO, Ken", "SDS", "SECRET",
         clearance.valid_until.isoformat())]
    event = _last_audit(s, "reciprocity:outgoing-visit:export", user_id)
    assert json.loads(event.details) == {"partner": "USA", "visitors": body["visitors"],
                                         "start": body["start"], "end": body["end"]}


def prepare(env: Env, method: str, path: str, role: Role) -> tuple[str, dict | None]:
    """The URL and a valid body: if the request is refused, permission is the only reason."""
    if path.startswith(CONSENTS) or path == CONSENT_ASK:
        return _consent_request(env, method, path, role)
    if path.startswith(FACILITY_ROUTES):
        allowed = EXPECTED[(method, path)][role] == "ok"
        return (path.format(**_facility_ids(env, method, path, allowed)),
                _facility_body(env, method, path, role, allowed))
    if path.startswith(ACCESS_ROUTES):
        return _access_request(env, method, path, role)
    if path.startswith(RECIPROCITY_ROUTES):
        return _reciprocity_request(env, method, path, role)
    if path.startswith(OUTGOING_ROUTES):
        return _outgoing_request(env, method, path, role)
    if path.startswith(notices_matrix.ROUTES):
        return notices_matrix.request(env, method, path, role)
    if path.startswith(sharing_matrix.SHARING_ROUTES):
        return sharing_matrix.request(env, method, path, role,
                                      EXPECTED[(method, path)][role] == "ok")
    if path.startswith(reports_matrix.REPORT_ROUTES):
        return reports_matrix.request(env, method, path, role, own_person(env, role))
    ids = {"org_id": env.world.other_company.id, "person_id": own_person(env, role)}
    if "{edge_id}" in path:
        ids["edge_id"] = _fresh_edge(env)
    if path in CASE_NEEDED:
        state, own = CASE_NEEDED[path]
        ids["case_id"] = case_in(env, state, own=own)
    if path in CLEARANCE_NEEDED:
        ids["clearance_id"] = clearance_in(env, CLEARANCE_NEEDED[path])
    allowed = EXPECTED[(method, path)][role] == "ok"
    if path == CASE + "/burden":
        # a case in the role's scope: the subject's own, the company's for its security
        # officer (and the window); one of the government body's staff for the official
        ids["case_id"] = (case_in(env, "listed", own=False, gov=True)
                          if role is Role.AGENCY_OFFICIAL else case_in(env, "listed", own=True))
    elif path == CASE + "/renewal":
        # a granted case of the role's own organisation, fresh where it will be renewed
        # (one renewal per case); a refusal writes nothing, so those may share one
        gov = role is Role.AGENCY_OFFICIAL
        ids["case_id"] = (_drive(env, "granted", own=False, gov=gov) if allowed
                          else case_in(env, "granted", own=False))
    if "{designation_id}" in path or (method, path) == ("GET", DESIGNATIONS):
        ids["designation_id"] = designation_in(env)  # one to read, or to find in the register
        if path == DESIGNATION + "/proposals" and allowed:  # one open proposal at a time
            ids["designation_id"] = _designate(env, f"{role.value}が変更を提案する指定")[0]
    if "{proposal_id}" in path:
        ids["proposal_id"] = proposal_in(env)
    if "{review_id}" in path or path == REVIEWS:
        ids["review_id"] = review_in(env)
    if "{objection_id}" in path or path == OBJECTIONS:
        ids["objection_id"] = objection_in(env)
    if "{item_id}" in path or path == DESIGNATION + "/items":
        ids["item_id"] = item_in(env)
    if "{event_id}" in path:
        ids["event_id"] = event_in(env)
    if "{complaint_id}" in path or path in ("/api/v1/complaints", "/api/v1/me/complaints"):
        ids["complaint_id"] = complaint_in(env)  # one to answer, or to find in a list
    if "{request_id}" in path:
        ids["request_id"] = correction_in(env)
    if path in (QUEUE, QUEUE_PAGE) and role in QUEUED:  # something in the role's own queue
        env.cases[("queued", role)] = case_in(env, QUEUED[role][1], own=False)
    if path == QUEUE_PAGE:  # the role's own queue (a role that has none: the first)
        ids["queue"] = QUEUED.get(role, ("intake",))[0]
    if (method, path) == ("GET", EVENTS):  # one unassessed event to find in the list
        event_in(env)
    if (method, path) == ("GET", "/api/v1/corrections"):  # and one open request
        correction_in(env)
    if (method, path) == ("GET", CUI_LIST):  # one of the role's own staff to find
        cui_authorization_in(env, role)
    if "{authorization_id}" in path:  # a fresh one where it will be revoked
        ids["authorization_id"] = cui_authorization_in(
            env, role, fresh=allowed and path.endswith("/revocation"))
    body = None
    if (method, path) == ("POST", "/api/v1/organisations"):
        body = {"kind": "university", "name_ja": "行列大学", "name_en": "Matrix University",
                "country_code": "JPN"}
    elif (method, path) == ("PATCH", "/api/v1/organisations/{org_id}"):
        body = {"name_en": f"Renamed by {role.value}"}
    elif (method, path) == ("POST", "/api/v1/ownership"):
        with unit_of_work(env.engine) as s:
            owned = make_org(s)
        body = {"owned_id": owned.id, "owner_organisation_id": env.world.gov.id,
                "share_pct": "10", "voting_pct": "10"}
    elif (method, path) == ("PATCH", "/api/v1/ownership/{edge_id}"):
        body = {"share_pct": "20"}
    elif (method, path) == ("POST", "/api/v1/people"):
        body = {"family_name_kanji": "行列", "given_name_kanji": "花子",
                "birth_date": "1990-01-01", "nationalities": ["JPN"]}
    elif (method, path) == ("PATCH", "/api/v1/people/{person_id}"):
        body = {"title": f"title set by {role.value}"}
    elif (method, path) == ("POST", "/api/v1/clearance-cases"):
        # a fresh person of the role's own organisation, whom it may list if permitted
        org = (env.world.company.id if role in (Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT)
               else env.world.gov.id)
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=org, family_name_kanji="名簿")
        body = {"person_id": person.id, "regime": "CESI", "sponsor_id": env.world.gov.id}
    elif path == CASE + "/consent":
        body = {"family_consent": True}
    elif path == CASE + "/questionnaire":
        body = full_questionnaire(utcnow().date())
    elif path == CASE + "/intake":
        body = {"investigator_id": env.world.users[Role.INVESTIGATOR].user_id}
    elif path == CASE + "/findings":
        body = FINDING
    elif path == CASE + "/adjudication":
        body = favourable_decisions()
    elif path in CLEARANCE_NEEDED:
        body = {"reason": f"reason given by {role.value}"}
    elif (method, path) == ("POST", EVENTS):
        # about themself (the subject), or about the role's own staff
        body = {"person_id": own_person(env, role), "kind": "arrest",
                "occurred_on": "2024-03-01", "details": f"reported by {role.value}"}
    elif path == ASSESS:
        body = {"adverse": True}
    elif path == CASE + "/complaints":
        body = {"kind": "employer_treatment", "text": f"complaint sent by {role.value}"}
    elif path == ANSWER:
        body = {"handling": "会社に照会", "answer": f"answered by {role.value}"}
    elif path == CORRECTIONS:
        body = {"field": "title", "value": "主任", "reason": f"sent by {role.value}"}
    elif path == DECIDE:
        body = {"accepted": True, "note": f"decided by {role.value}"}
    elif path == CASE + "/burden":
        body = {"step": "questionnaire", "party": party_of(role), "minutes": 95,
                "cost_yen": 1200, "allowance_yen": 500}
    elif path in (DESIGNATIONS, PROVISIONAL) and method == "POST":
        body = _designation_body(env, f"{role.value}の指定")
    elif path == DESIGNATION + "/proposals":
        # the agency renews (its term continues the current one); a holder may only lift
        body = {"kind": "lift", "reasons": f"proposed by {role.value}"}
        if role is Role.AGENCY_OFFICIAL:
            body |= {"kind": "renew", "term_end": (utcnow().date() + timedelta(
                days=8 * 365)).isoformat()}
    elif path == PROPOSAL + "/comments":
        body = {"text": f"commented by {role.value}"}
    elif path == PROPOSAL + "/decision":
        body = {"approve": True, "reasons": f"decided by {role.value}"}
    elif path == REVIEWS + "/{review_id}":
        body = {"still_needed": True, "reasons": f"reviewed by {role.value}"}
    elif path == DESIGNATION + "/objections":
        body = {"text": f"objection of {role.value}"}
    elif path == OBJECTIONS + "/{objection_id}/answer":
        body = {"answer": f"answered by {role.value}"}
    elif (method, path) == ("POST", ITEMS):
        body = {"title": f"item of {role.value}", "kind": "document",
                "designation_id": designation_in(env), "compartments": ["QKD"],
                "releasable_to": ["USA"]}
    elif path == BANNER_CHECK:
        body = {"banner": "CUI//SP-EXPT/PRVCY//NOFORN"}
    elif (method, path) == ("POST", CUI_LIST):
        # a fresh person of the role's own organisation, with no authorization yet
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=own_org(env, role), family_name_kanji="認可")
        trained = (utcnow().date() - timedelta(days=30)).isoformat()
        body = {"person_id": person.id, "identity_document": "passport",
                "identity_checked_on": trained, "trained_on": trained,
                "agreement_signed_on": trained}
    elif path == CUI_ONE + "/refresher":
        body = {"trained_on": utcnow().date().isoformat()}
    elif path == CUI_ONE + "/revocation":
        body = {"reason": f"revoked by {role.value}"}
    elif path == IMPORT:
        # one new person of the role's own organisation, named afresh for each request
        body = CsvBody(f"姓,名,生年月日,国籍,部署\r\n名簿,{_fresh_name()},1985-04-01,JPN,"
                       f"取込 {role.value}\r\n".encode())
    url = path.format(**ids)
    if path == VERIFY:
        url += "?purpose=" + quote("programme P-7 visit")
    elif path == IMPORT:
        url += f"?regime=CESI&sponsor_id={env.world.gov.id}"
    return url, body


class CsvBody(bytes):
    """A request body sent as text/csv rather than JSON (the candidate list import)."""


_names = iter(range(1, 10**6))


def _fresh_name() -> str:
    return "取込" + "".join("〇一二三四五六七八九"[int(d)] for d in str(next(_names)))


def send(client: TestClient, method: str, url: str, headers: dict, body):
    if isinstance(body, CsvBody):
        return client.request(method, url, content=bytes(body),
                              headers=headers | {"content-type": "text/csv"})
    return client.request(method, url, headers=headers, json=body)


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, f"{r.status_code}: {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    return body


def otp_routes(app) -> set[tuple[str, str]]:
    """(METHOD, path) of the high-risk API actions (X-Hozen-OTP)."""
    return {(m, r.path) for r in iter_routes(app.routes)
            if isinstance(r, HozenRoute) and r.gate.otp for m in r.methods}


MATRIX = [(method, path, role, outcome) for (method, path), row in EXPECTED.items()
          for role, outcome in row.items()]


@pytest.mark.parametrize("method, path, role, outcome", MATRIX,
                         ids=[f"{m} {p} {r.value} {o}" for m, p, r, o in MATRIX])
def test_role_route_matrix(env, method, path, role, outcome):
    url, body = prepare(env, method, path, role)
    headers = env.world.users[role].headers
    before = snapshot(env.engine) if outcome != "ok" else None
    if outcome == "ok" and (method, path) in otp_routes(env.app):  # a high-risk action:
        r = send(env.client, method, url, headers, body)  # never for the token alone
        assert r.status_code in (401, 403) and r.json()["field"] == "X-Hozen-OTP", r.text
        headers = with_code(env.world.users[role])
    r = send(env.client, method, url, headers, body)
    if outcome == "ok":
        expected = 200 if path in SUCCESS_200 else SUCCESS[method]
        assert r.status_code == expected, f"{r.status_code}: {r.text[:300]}"
        if path == "/api/v1/people/{person_id}":
            assert r.json()["id"] == own_person(env, role)
        elif path == VERIFY:
            assert set(r.json()) == {"status", "level", "regime", "valid_until"}
        elif path == OUTGOING_PDF:
            assert r.headers["content-type"] == "application/pdf", r.headers
            assert r.content.startswith(b"%PDF"), r.content[:20]
        elif path == CASE + "/questionnaire":
            assert r.json() == body  # what is stored so far: all of it, as sent
        elif path.startswith((CASE, CLEARANCE)) and path not in NEW_OBJECT:
            assert r.json()["id"] == url.split("/")[4], r.text  # the object asked about
        if (method, path) in RESULT:
            answer = r.json()
            assert answer | RESULT[(method, path)] == answer, answer
        answer = (r.json() if "json" in r.headers.get("content-type", "")
                  else r.text or None)  # an XML label, or nothing
        if (method, path) in PAGED:  # a page of a list: here one page holds every row
            assert answer["next_cursor"] is None, answer
            answer = answer["items"]
        left_behind(env, method, path, role, url, body, answer)
        return
    assert_unchanged(before, snapshot(env.engine))
    if outcome == "422":  # through the gate; the service refuses the role's request
        problem = assert_problem(r, 422)
        assert SERVICE_REFUSAL[(method, path)] in {e["code"] for e in problem["errors"]}, problem
        return
    if outcome == "403":
        assert assert_problem(r, 403)["type"].endswith("/forbidden")
        return
    assert_problem(r, 404)
    for missing in (str(uuid.uuid4()), "no-such-thing"):  # alike for missing and hidden
        twin = send(env.client, method, re.sub(r"\{\w+\}", missing, path), headers, body)
        assert (twin.status_code, twin.headers["content-type"], twin.content) == (
            r.status_code, r.headers["content-type"], r.content)


def left_behind(env: Env, method: str, path: str, role: Role, url: str, body,
                answer) -> None:
    """What an allowed request of the continuous-evaluation and aftercare routes wrote (or,
    for a read, found), checked in the database."""
    user_id = env.world.users[role].user_id
    target = url.split("/")[4] if url.count("/") > 4 else None  # the id in the path
    with session_factory(env.engine)() as s:
        if (method, path) == ("GET", EVENTS):  # the open ones, the one waiting among them
            assert env.cases["event"] in {e["id"] for e in answer}
            assert all(s.get(ReportableEvent, e["id"]).adverse is None for e in answer)
        elif (method, path) == ("GET", "/api/v1/corrections"):
            assert env.cases["correction"] in {c["id"] for c in answer}
            assert all(s.get(CorrectionRequest, c["id"]).status == "open" for c in answer)
        elif path == EVENTS:
            event = s.get(ReportableEvent, answer["id"])
            assert (event.person_id, event.kind, event.reported_by, event.adverse) == (
                body["person_id"], "arrest", user_id, None)
        elif path == ASSESS:
            event = s.get(ReportableEvent, target)
            assert (event.adverse, event.assessed_by) == (True, user_id)
            reopened = env.cases["event case"]  # the person's granted case goes back
            assert answer == {"reopened_cases": [reopened]}
            assert s.get(ClearanceCase, reopened).state == "adjudication"
        elif path == CASE + "/complaints":
            complaint = s.get(Complaint, answer["id"])
            assert (complaint.case_id, complaint.kind, complaint.status) == (
                target, "employer_treatment", "open")
        elif path in ("/api/v1/complaints", "/api/v1/me/complaints"):
            listed = {c["id"]: c for c in answer}
            assert listed[env.cases["complaint"]]["text"] == "説明が不十分"
            if path == "/api/v1/me/complaints":  # the subject's own only
                own = set(s.scalars(select(ClearanceCase.id).where(
                    ClearanceCase.person_id == env.world.staff.id)))
                assert {c["case_id"] for c in answer} <= own
        elif path == ANSWER:
            complaint = s.get(Complaint, target)
            assert (complaint.status, complaint.answered_by) == ("answered", user_id)
        elif path == "/api/v1/me/personal-data":
            assert answer["person"]["id"] == env.world.staff.id
            assert {c["id"] for c in answer["cases"]} == set(answer["questionnaires"])
        elif path == CORRECTIONS:
            req = s.get(CorrectionRequest, answer["id"])
            assert (req.person_id, req.status) == (env.world.staff.id, "open")
        elif path == DECIDE:
            req = s.get(CorrectionRequest, target)
            assert (req.status, req.decided_by) == ("accepted", user_id)
        elif path == CASE + "/burden":
            row = s.get(BurdenRecord, answer["id"])
            assert (row.case_id, row.party, row.recorded_by, row.minutes, row.cost_yen,
                    row.allowance_yen) == (target, party_of(role), user_id, 95, 1200, 500)
        elif path == IMPORT:
            assert [c["status"] for c in answer["cases"]] == ["in_progress"]
            case = s.get(ClearanceCase, answer["cases"][0]["id"])
            org = own_org(env, role)
            assert (case.state, case.regime, case.sponsor_id, case.listed_by, case.employer_id) == (
                "listed", "CESI", env.world.gov.id, user_id, org)
            assert s.get(Person, case.person_id).employer_id == org  # registered by the import
        elif path == QUEUE_PAGE:
            assert env.cases[("queued", role)] in {c["id"] for c in answer}
            assert {c["state"] for c in answer} == {QUEUED[role][1]}
        elif path == QUEUE:
            name, state = QUEUED[role]
            assert env.cases[("queued", role)] in {c["id"] for c in answer[name]}
            assert {c["state"] for c in answer[name]} == {state}
            assert all(answer[other] == [] for other in ("intake", "investigation",
                                                          "adjudication") if other != name)
        elif path == WORKLOAD:
            by_state = dict(s.execute(select(ClearanceCase.state, func.count())
                                      .group_by(ClearanceCase.state)).all())
            assert {k: v for k, v in answer["cases_by_state"].items() if v} == by_state
            assert env.world.users[Role.INVESTIGATOR].user_id in {
                i["id"] for i in answer["investigators"]}
            assert answer["investigations_avoided"] == s.scalar(
                select(func.count()).select_from(ClearanceCase).where(
                    ClearanceCase.reused_investigation.is_(True)))
        elif path == CASE + "/renewal":
            old, new = s.get(ClearanceCase, target), s.get(ClearanceCase, answer["id"])
            assert new.id != old.id and new.renewal_of == old.id and new.state == "listed"
            assert (new.person_id, new.regime, new.employer_id, new.listed_by) == (
                old.person_id, old.regime, old.employer_id, user_id)
            assert answer["person_id"] == old.person_id
            assert old.state == "granted"  # the renewed case stays granted meanwhile
        elif path.startswith(CONSENTS) or path == CONSENT_ASK:
            consent_left_behind(env, s, method, path, role, (url.split("/") + [""] * 5)[4],
                                body, answer)
        elif path.startswith(notices_matrix.ROUTES):
            notices_matrix.left_behind(env, s, method, path, role, url, body, answer)
        elif path.startswith(sharing_matrix.SHARING_ROUTES):
            sharing_matrix.left_behind(env, s, method, path, role, url, body, answer)
        elif path.startswith(reports_matrix.REPORT_ROUTES):
            reports_matrix.left_behind(env, s, method, path, role, url, body, answer)
        elif path.startswith(OUTGOING_ROUTES):
            parts = url.split("?")[0].split("/")  # the id in the path, if any
            outgoing_left_behind(env, s, method, path, role,
                                 parts[4] if "{" in path else None, body, answer)
        elif path.startswith(RECIPROCITY_ROUTES):
            parts = url.split("?")[0].split("/")  # the id in the path, if any
            reciprocity_left_behind(env, s, method, path, role,
                                    parts[4] if "{" in path else None, body, answer)
        elif path.startswith(ACCESS_ROUTES):
            parts = url.split("?")[0].split("/")  # the id in the path, if any
            access_left_behind(env, s, method, path, role,
                               parts[4] if "{" in path else None, body, answer)
        elif path.startswith(CUI_LIST):
            cui_left_behind(env, s, method, path, role, target, body, answer)
        elif path.startswith(FACILITY_ROUTES):
            parts = url.split("?")[0].split("/")  # the id in the path, if any
            facility_left_behind(env, s, method, path, role,
                                 parts[4] if "{" in path else None, body, answer)
        elif path.startswith((DESIGNATIONS, "/api/v1/designation-", ITEMS, BANNER_CHECK)):
            parts = url.split("?")[0].split("/")  # the id in the path, last one included
            designation_left_behind(env, s, method, path, role,
                                    parts[4] if "{" in path else None, body, answer)


def designation_left_behind(env: Env, s, method: str, path: str, role: Role,
                            target: str | None, body, answer) -> None:
    """left_behind for the routes of designation, items and markings."""
    w, user_id = env.world, env.world.users[role].user_id
    today = utcnow().date()
    if (method, path) == ("GET", DESIGNATIONS):  # the register as the role may see it
        listed = {d["id"] for d in answer}
        assert env.cases["designation"] in listed
        if role is Role.COMPANY_SECURITY_OFFICER:  # those its company holds
            assert all(w.company.id in d["holders"] for d in answer)
        elif role is Role.EXTERNAL_EXPERT:  # those it is invited to comment on
            assert listed <= set(s.scalars(select(Proposal.designation_id).where(
                Proposal.experts.contains(user_id))))
        else:  # the government sees them all
            assert len(listed) == s.scalar(select(func.count()).select_from(Designation))
    elif path in (DESIGNATIONS, PROVISIONAL):
        d = s.get(Designation, answer["id"])
        assert (d.agency_id, d.manager_id, d.created_by, d.status, d.provisional) == (
            w.gov.id, user_id, user_id, answer["status"], path == PROVISIONAL)
        assert list(s.scalars(select(DesignationHolder.organisation_id).where(
            DesignationHolder.designation_id == d.id))) == [w.company.id]
        proposals = s.scalars(select(Proposal).where(Proposal.designation_id == d.id)).all()
        assert [(p.kind, p.status, p.proposed_by, p.experts) for p in proposals] == [
            ("designate", "open", user_id, w.users[Role.EXTERNAL_EXPERT].user_id)]
        if path == PROVISIONAL:  # in effect at once, to be confirmed within 90 days
            assert d.confirm_by == today + timedelta(days=90) and d.first_start == today
    elif path == DESIGNATION:
        assert (answer["id"], answer["holders"], answer["status"]) == (
            target, [w.company.id], "in_force")
        assert [p["kind"] for p in answer["proposals"]] == ["designate"]
    elif path == DESIGNATION + "/proposals":
        p = s.get(Proposal, answer["id"])
        assert (p.designation_id, p.kind, p.status, p.proposed_by, p.reasons) == (
            target, body["kind"], "open", user_id, body["reasons"])
        if p.kind == "renew":
            assert p.term_end.isoformat() == body["term_end"]
        assert s.get(Designation, target).status == "in_force"  # until decided
    elif (method, path) == ("POST", DESIGNATION + "/objections"):
        o = s.get(Objection, answer["id"])
        assert (o.designation_id, o.filed_by, o.text, o.answer) == (
            target, user_id, body["text"], None)
    elif path == DESIGNATION + "/items":
        assert env.cases["item"] in {i["id"] for i in answer}
        assert {i["designation_id"] for i in answer} == {target}
    elif path == DESIGNATION + "/reviews":  # the designation's own (government: any)
        assert {s.get(Review, r["id"]).designation_id for r in answer} <= {target}
    elif path == DESIGNATION + "/objections":  # its own; others' to government only
        found = [s.get(Objection, o["id"]) for o in answer]
        assert {o.designation_id for o in found} <= {target}
        assert role in designations.GOVERNMENT_ROLES or all(o.filed_by == user_id
                                                            for o in found)
    elif path == PROPOSAL + "/comments":
        c = s.get(Comment, answer["id"])
        assert (c.proposal_id, c.author_id, c.organisation_id, c.text) == (
            target, user_id, w.users[role].org_id, body["text"])
    elif path == PROPOSAL + "/decision":
        p = s.get(Proposal, target)
        assert (p.status, p.decided_by, p.decision_reasons) == (
            "approved", user_id, body["reasons"])
        assert p.proposed_by == w.users[Role.AGENCY_OFFICIAL].user_id != user_id
        d = s.get(Designation, p.designation_id)
        assert (d.status, d.first_start) == ("in_force", d.term_start)
    elif path == REVIEWS:
        assert env.cases["review"] in {r["id"] for r in answer}
        assert {s.get(Designation, r["designation_id"]).agency_id for r in answer} == {w.gov.id}
    elif path == REVIEWS + "/{review_id}":
        r = s.get(Review, target)
        assert (r.still_needed, r.reviewed_by, r.reasons) == (True, user_id, body["reasons"])
        assert s.get(Designation, r.designation_id).next_review_on > today  # clock reset
    elif path == OBJECTIONS:
        assert env.cases["objection"] in {o["id"] for o in answer}
    elif path == OBJECTIONS + "/{objection_id}/answer":
        o = s.get(Objection, target)
        assert (o.answer, o.answered_by) == (body["answer"], user_id)
    elif path == ITEMS:
        item = s.get(Item, answer["id"])
        assert (item.owner_id, item.designation_id, item.created_by, item.compartments,
                item.releasable_to) == (w.gov.id, body["designation_id"], user_id, "QKD",
                                        "USA")
    elif path == ITEM:
        assert (answer["id"], answer["level"], answer["banner"]) == (
            target, "CESI", "重要経済安保情報//QKD")
    elif path == ITEM + "/label.xml":
        assert "<Classification>CESI</Classification>" in answer
        assert "<GenericValue>QKD</GenericValue>" in answer
    else:
        assert path == BANNER_CHECK, path  # its answer is in RESULT


def _last_audit(s, tag: str, user_id: str) -> AuditEvent:
    return s.scalars(select(AuditEvent).where(
        AuditEvent.tag == tag, AuditEvent.actor == f"user:{user_id}").order_by(
        AuditEvent.seq.desc())).first()


def access_left_behind(env: Env, s, method: str, path: str, role: Role, target: str | None,
                       body, answer) -> None:
    """left_behind for the routes of access decisions, programmes and departures."""
    w, user_id, today = env.world, env.world.users[role].user_id, utcnow().date()
    if path in (CHECK, CHECK_BATCH):
        answers, asked = (answer, body["requests"]) if path == CHECK_BATCH else (
            [answer], [body])
        assert [(a["person_id"], a["item_id"]) for a in answers] == [
            (q["person_id"], q["item_id"]) for q in asked]
        codes = [[r["code"] for r in a["reasons"]] for a in answers]
        # the classified item: refused with its reasons (nobody asked about is cleared)
        assert answers[0]["permit"] is False and codes[0][0] == "no_clearance", answers
        assert all(r["message"] and r["message"] != r["code"]
                   for a in answers for r in a["reasons"])
        if path == CHECK_BATCH:  # the unmarked item: open to anyone
            assert (answers[1]["permit"], codes[1]) == (True, [])
        # one audit record of the request, a batch included, with every decision
        event = _last_audit(s, "access:decision", user_id)
        assert (event.subject_id, json.loads(event.details)["decisions"]) == (
            asked[0]["person_id"], [[a["person_id"], a["item_id"], int(a["permit"]), c]
                                    for a, c in zip(answers, codes, strict=True)])
    elif path == ACCESSIBLE:
        listed = {i["id"] for i in answer["items"]}
        assert env.cases["unmarked"] in listed and env.cases["item"] not in listed
        event = _last_audit(s, "access:accessible-items", user_id)
        assert (event.subject_id, json.loads(event.details)) == (
            target, {"count": len(answer["items"])})
    elif method == "GET" and path in (PROGRAMMES, PROGRAMME):
        found = answer if path == PROGRAMMES else [answer]
        assert path == PROGRAMMES or answer["id"] == target
        [mine] = [p for p in found if p["id"] == env.cases["programme"]]
        members = {m["id"] for m in mine["members"]}
        ours = env.cases[("membership", w.company.id)]
        theirs = env.cases[("membership", w.gov.id)]
        if role is Role.COMPANY_SECURITY_OFFICER:  # those its company takes part in, and
            # of their members its own staff only
            assert all(w.company.id in p["organisations"] for p in found)
            assert env.cases["programme elsewhere"] not in {p["id"] for p in found}
            assert ours in members and theirs not in members
            assert {m["organisation_id"] for p in found for m in p["members"]} == {
                w.company.id}
        else:  # the government sees every programme and member
            assert {ours, theirs} <= members
            assert path == PROGRAMME or len(found) == s.scalar(
                select(func.count()).select_from(Programme))
    elif path == PROGRAMMES:
        p = s.get(Programme, answer["id"])
        assert (p.code, p.agency_id, p.created_by, p.countries) == (
            body["code"], w.gov.id, user_id, "GBR")
        assert set(p.organisations.split(",")) == {w.gov.id, w.company.id}
    elif path == PROGRAMME + "/members":
        m = s.get(Membership, answer["id"])
        assert (m.programme_id, m.person_id, m.added_by, m.added_on, m.briefed_on) == (
            target, body["person_id"], user_id, today, None)
        assert s.get(Person, m.person_id).employer_id == w.users[role].org_id
    elif path == BRIEFING:
        m = s.get(Membership, target)
        assert (m.briefed_on, m.nda_signed_on, m.briefed_by, m.ended_on) == (
            today, today, user_id, None)
        assert s.get(Person, m.person_id).employer_id == w.users[role].org_id
    elif path == DEPARTURES:  # an SDS clearance: followed up for the policy's years
        d = s.get(Departure, answer["id"])
        assert (d.person_id, d.organisation_id, d.programme_id, d.departed_on,
                d.recorded_by, d.obligations) == (body["person_id"], w.users[role].org_id,
                                                  None, today, user_id, body["obligations"])
        until = add_years(today, int(get_policy().retention["departure_followup_years"]))
        assert d.follow_up_until == until and answer["follow_up_until"] == until.isoformat()
    elif path == FOLLOW_UPS:
        assert env.cases["departure"] in {f["id"] for f in answer}
        assert all(f["follow_up_until"] >= today.isoformat() for f in answer)
    else:
        assert path == CONTACTS, path
        c = s.get(FollowUpContact, answer["id"])
        assert (c.departure_id, c.contacted_on, c.note, c.recorded_by) == (
            target, today, body["note"], user_id)


def cui_left_behind(env: Env, s, method: str, path: str, role: Role, target: str | None,
                    body, answer) -> None:
    """left_behind for the routes of CUI authorization."""
    w, user_id, today = env.world, env.world.users[role].user_id, utcnow().date()
    org = own_org(env, role)
    if method == "GET":  # the role's own staff's; the window and oversight see all
        listed = {a["id"]: a for a in answer}
        key = f"cui authorization {'gov' if role is Role.AGENCY_OFFICIAL else 'company'}"
        assert listed[env.cases[key]]["current"] is True
        if role in (Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER):
            assert {a["organisation_id"] for a in answer} == {org}
        else:
            assert len(listed) == s.scalar(select(func.count()).select_from(CuiAuthorization))
            assert {a["organisation_id"] for a in answer} >= {w.company.id}
        return
    a = s.get(CuiAuthorization, answer["id"])
    assert a.organisation_id == org == answer["organisation_id"]
    if path == CUI_LIST:
        assert (a.person_id, a.granted_by, a.status, a.granted_on, a.last_training_on) == (
            body["person_id"], user_id, "active", today, a.trained_on)
        assert a.valid_until.isoformat() == answer["valid_until"] > today.isoformat()
    elif path.endswith("/refresher"):
        assert (a.id, a.last_training_on, a.status) == (target, today, "active")
    else:
        assert (a.id, a.status, a.revoked_reason_length) == (
            target, "revoked", len(body["reason"]))


def facility_left_behind(env: Env, s, method: str, path: str, role: Role, target: str | None,
                         body, answer) -> None:
    """left_behind for the routes of facility clearance, FOCI and a business's registers."""
    w, user_id, today = env.world, env.world.users[role].user_id, utcnow().date()
    f = s.get(Facility, target) if "{facility_id}" in path else None
    listed = {x.get("id") for x in answer} if isinstance(answer, list) else set()
    own = role is Role.COMPANY_SECURITY_OFFICER  # its own organisation's; government: all
    if (method, path) == ("GET", FACILITIES):
        assert env.cases["facility"] in listed
        if own:
            assert {x["organisation_id"] for x in answer} == {w.company.id}
        else:
            assert len(listed) == s.scalar(select(func.count()).select_from(Facility))
    elif path == FACILITIES:
        f = s.get(Facility, answer["id"])
        assert (f.organisation_id, f.level, f.state, f.agency_id, f.proposed_by) == (
            body["organisation_id"], "CESI", "proposed", w.gov.id, user_id)
    elif path == "/api/v1/facility-checklist":
        assert [c["id"] for c in answer["controls"]] == [
            c.id for c in load_checklist().controls]
    elif path == FACILITY:
        assert (answer["id"], answer["organisation_id"], answer["state"]) == (
            target, w.company.id, f.state)
    elif path == FACILITY + "/application":
        assert (f.state, f.security_officer_id, f.deputy_officer_id, f.internal_rules) == (
            "applied", user_id, env.cases["deputy"], body["internal_rules"])
        assert [(a.name, a.level) for a in s.scalars(select(ApprovedArea).where(
            ApprovedArea.facility_id == target))] == [("第一保全室", "SDS")]
    elif path == FACILITY + "/blockers":  # applied: its checklist not yet recorded
        assert answer and {b["code"] for b in answer} == {"control_not_met"}
    elif path == FACILITY + "/review":
        assert (f.state, f.reviewer_id) == ("under_review", user_id)
    elif path == FACILITY + "/checklist":
        assert f.state == "under_review"
        entry = json.loads(f.checklist)[load_checklist().controls[0].id]
        assert entry == {"met": True, "evidence": f"checked by {role.value}"}
    elif path == FACILITY + "/crosswalk":  # certified: every regime's controls evidenced
        assert answer["regimes"] and all(r["complete"] for r in answer["regimes"].values())
    elif path in DECISIONS:
        state = answer["state"]  # as in RESULT
        assert f.state == state and f.organisation_id == w.company.id
        if path.endswith("/national-interest"):
            assert (f.national_interest_on, f.national_interest_by,
                    f.national_interest_reasons) == (today, user_id, body["reasons"])
        elif path.endswith("/withdraw"):
            assert f.decision_reasons == body["reasons"]
        else:
            assert (f.decided_by, f.decision_reasons) == (user_id, body["reasons"])
        if path.endswith("/certify"):
            assert f.certified_on == today and f.valid_until > today
    elif path == FACILITY + "/changes":
        c = s.get(ChangeReport, answer["id"])
        assert (c.facility_id, c.kinds, c.status, c.reported_by, c.description) == (
            target, "address", "pending", user_id, body["description"])
        assert f.state == "change_pending"
    elif path == CHANGE_DECISION:
        c = s.get(ChangeReport, target)
        assert (c.status, c.decided_by, c.reasons) == ("approved", user_id, body["reasons"])
        assert s.get(Facility, c.facility_id).state == "certified"
    elif path == FOCI_ORG + "/foci":  # the company has no foreign owner
        assert (answer["organisation_id"], answer["flagged"], answer["total_share_pct"],
                answer["gate"]) == (w.company.id, False, 0, {"CESI": [], "SDS": []})
    elif path == FOCI_ORG + "/ownership.svg":
        assert "<svg" in answer
    elif path == FOCI_ORG + "/foci-declarations":
        d = s.scalars(select(FociDeclaration).where(
            FociDeclaration.organisation_id == target).order_by(
            FociDeclaration.declared_at.desc())).first()
        assert (d.declared_by, json.loads(d.board), d.foreign_debt_pct) == (
            user_id, [["JPN"], ["JPN"]], 0)
    elif path == FOCI_ORG + "/foci-mitigations":
        m = s.scalars(select(FociMitigation).where(
            FociMitigation.reference == body["reference"])).one()
        assert (m.organisation_id, m.instrument, m.recorded_by, m.signed_on) == (
            target, "board_resolution", user_id, today)
        assert m.id in {x["id"] for x in answer["mitigations"]}
    else:
        register_left_behind(env, s, method, path, role, target, body, answer)


def register_left_behind(env: Env, s, method: str, path: str, role: Role,
                         target: str | None, body, answer) -> None:
    """left_behind for the routes of a business's registers."""
    w, user_id, today = env.world, env.world.users[role].user_id, utcnow().date()
    listed = {x.get("id") for x in answer} if isinstance(answer, list) else set()
    own = role is Role.COMPANY_SECURITY_OFFICER  # its own organisation's; government: all
    if (method, path) == ("POST", HANDLERS):
        h = s.get(Handler, answer["id"])
        assert (h.item_id, h.organisation_id, h.person_id, h.added_by, h.added_on) == (
            target, w.company.id, body["person_id"], user_id, today)
    elif path in (HANDLERS, "/api/v1/item-handlers"):
        assert env.cases["handler"] in listed
        assert path != HANDLERS or {x["item_id"] for x in answer} == {target}
        assert not own or {x["organisation_id"] for x in answer} == {w.company.id}
    elif path == HANDLER_REMOVAL:
        assert s.get(Handler, target).removed_on == today
    elif path == CUSTODY:
        e = s.get(CustodyEvent, answer["id"])
        assert (e.item_id, e.organisation_id, e.kind, e.person_id, e.recorded_by,
                e.note) == (body["item_id"], w.company.id, "handling", body["person_id"],
                            user_id, body["note"])
    elif path == ITEM + "/custody":
        assert env.cases["custody"] in listed and {x["item_id"] for x in answer} == {target}
    elif path == "/api/v1/custody/where":  # the item everyone sees, held at the company
        here = [x for x in answer if (x["item_id"], x["organisation_id"]) == (
            env.cases["item"], w.company.id)]
        assert [x["status"] for x in here] == ["held"]
        assert not own or {x["organisation_id"] for x in answer} == {w.company.id}
    elif (method, path) == ("POST", INCIDENTS):
        i = s.get(Incident, answer["id"])
        assert (i.organisation_id, i.kind, i.status, i.reported_by, i.item_ids,
                i.person_ids) == (w.company.id, "mishandling", "open", user_id,
                                  body["item_ids"][0], body["person_ids"][0])
        # a reportable event on the person involved, for continuous evaluation
        details = json.loads(s.scalar(select(AuditEvent.details).where(
            AuditEvent.tag == "facilities:incident:report", AuditEvent.subject_id == i.id)))
        events = [s.get(ReportableEvent, e) for e in details["events"]]
        assert [(e.person_id, e.kind, e.reported_by, e.occurred_on, e.adverse)
                for e in events] == [(body["person_ids"][0], INCIDENT_EVENT_KIND, user_id,
                                      i.occurred_on, None)]
    elif path == INCIDENTS:
        assert env.cases["incident"] in listed
        assert not own or {x["organisation_id"] for x in answer} == {w.company.id}
    elif path == INCIDENT_CLOSURE:
        i = s.get(Incident, target)
        assert (i.status, i.closed_by, i.closing_note) == ("closed", user_id,
                                                           body["closing_note"])
    elif path == TRAINING:
        t = s.get(TrainingRecord, answer["records"][0]["id"])  # the latest first
        assert (t.person_id, t.organisation_id, t.kind, t.trained_on, t.recorded_by) == (
            body["person_id"], w.company.id, "refresher", today, user_id)
    elif path == TRAINING_STATUS:
        assert answer["person_id"] == target
        assert env.cases["training"] in {r["id"] for r in answer["records"]}
    elif path == "/api/v1/training/overdue":  # own staff: the cleared person, never trained
        assert env.cases["cleared"] in {x["person_id"] for x in answer}
        assert all(x["overdue"] and s.get(Person, x["person_id"]).employer_id == w.company.id
                   for x in answer)
    elif (method, path) == ("POST", FACILITY + "/inspections"):
        i = s.get(Inspection, answer["id"])
        assert (i.facility_id, i.kind, i.recorded_by, i.summary) == (
            target, body["kind"], user_id, body["summary"])
        assert [x["severity"] for x in answer["findings"]] == ["minor"]
    elif path == FACILITY + "/inspections":
        assert env.cases["inspection"] in listed
    elif path == FINDING_CLOSURE:
        assert s.get(InspectionFinding, target).closed_on == today
    elif path == "/api/v1/facility-findings/overdue":
        assert env.cases["finding"] in listed and all(x["overdue"] for x in answer)
    elif (method, path) == ("POST", FACILITY + "/participants"):
        p = s.get(ResearchParticipant, answer["id"])
        assert (p.facility_id, p.person_id, p.joined_on, p.added_by) == (
            target, body["person_id"], today, user_id)
    elif path == FACILITY + "/participants":
        assert env.cases["participant"] in listed
    elif path == PARTICIPANT_REMOVAL:
        assert s.get(ResearchParticipant, target).left_on == today
    elif (method, path) == ("POST", FACILITY + "/specification"):
        e = s.get(SpecificationEntry, answer["id"])
        assert (e.facility_id, e.item_id, e.level, e.recorded_by) == (
            target, body["item_id"], "CESI", user_id)
    else:
        assert path == FACILITY + "/specification", path
        assert env.cases["specification"] in listed


def reciprocity_left_behind(env: Env, s, method: str, path: str, role: Role,
                            target: str | None, body, answer) -> None:
    """left_behind for the routes of reciprocity."""
    w, user_id, today = env.world, env.world.users[role].user_id, utcnow().date()
    listed = {x.get("id") for x in answer} if isinstance(answer, list) else set()
    if (method, path) == ("GET", AGREEMENTS):  # every agreement, the UK's table in it
        assert listed == set(s.scalars(select(Agreement.id)))
        [uk] = [a for a in answer if a["partner"] == "GBR"]
        assert (uk["to_hozen"]["SECRET"], uk["from_hozen"]["SDS"], uk["in_force"]) == (
            "SDS", "SECRET", True)
    elif (method, path) == ("GET", AGREEMENT):
        row = s.get(Agreement, target)
        assert (answer["id"], answer["partner"], answer["scope"], answer["version"]) == (
            target, "GBR", row.scope, row.version)
    elif path == AGREEMENT:  # the correction, its version moved on, and its record
        row = s.get(Agreement, target)
        assert (row.scope, row.updated_by, row.version) == (
            body["scope"], user_id, body["version"] + 1)
        assert (answer["scope"], answer["version"], answer["to_hozen"]["SECRET"]) == (
            body["scope"], row.version, "SDS")
        event = _last_audit(s, "reciprocity:agreement:update", user_id)
        assert (event.subject_id, json.loads(event.details)) == (
            target, {"partner": "GBR", "fields": ["scope"]})
    elif path == ASSURANCES + "/personnel":  # the engineer registered with it
        a = s.get(ForeignAssurance, answer["id"])
        assert (a.kind, a.person_id, a.organisation_id, a.partner_level, a.level,
                a.valid_until.isoformat(), a.reference, a.submitted_by, a.withdrawn_at) == (
            "personnel", answer["person_id"], env.uk_company, "SECRET", "SDS",
            body["valid_until"], body["reference"], user_id, None)
        assert s.get(Agreement, a.agreement_id).partner == "GBR"
        assert s.get(Person, a.person_id).employer_id == env.uk_company
        assert assurances.nationalities(s, a.person_id) == {"GBR"}
    elif path == ASSURANCES + "/facility":
        a = s.get(ForeignAssurance, answer["id"])
        assert (a.kind, a.person_id, a.organisation_id, a.partner_level, a.level,
                a.reference, a.submitted_by) == (
            "facility", None, env.uk_company, "SECRET", "SDS", body["reference"], user_id)
        assert answer["organisation_id"] == env.uk_company
    elif (method, path) == ("GET", ASSURANCES):
        assert env.cases["assurance"] in listed
        if role is Role.FOREIGN_LIAISON:  # its own government's only
            assert {a["partner"] for a in answer} == {"GBR"}
        else:  # the government sees every one
            assert len(listed) == s.scalar(select(func.count()).select_from(ForeignAssurance))
    elif path == ASSURANCE:
        a = s.get(ForeignAssurance, target)
        assert (answer["id"], answer["person_id"], answer["partner"], answer["level"],
                answer["withdrawn"]) == (target, a.person_id, "GBR", "SDS", False)
    elif path == WITHDRAWAL:  # from now on it counts for nothing
        a = s.get(ForeignAssurance, target)
        assert a.withdrawn_at is not None and assurances.recognised(s, a, today) is None
        assert _last_audit(s, "reciprocity:assurance:withdraw", user_id).subject_id == target
    elif (method, path) == ("POST", VISITS):
        v = s.get(VisitRequest, answer["id"])
        assert (v.programme_id, v.host_organisation_id, v.area_id, v.requested_by,
                v.status, v.fast_path, v.agency_decided_by, v.host_decided_by) == (
            body["programme_id"], w.company.id, body["area_id"], user_id, "approved", True,
            None, None)
        a = s.get(ForeignAssurance, body["visitors"][0])
        assert [(x.person_id, x.assurance_id) for x in s.scalars(select(Visitor).where(
            Visitor.visit_id == v.id))] == [(a.person_id, a.id)]
        assert [(x["person_id"], x["level"]) for x in answer["visitors"]] == [
            (a.person_id, "SDS")]
        # the programme's agency and the host are told
        told = set(s.scalars(select(Notification.user_id).where(
            Notification.kind == "visit_approved",
            Notification.dedupe_key.like(f"visit_approved:{v.id}:%"))))
        assert told >= {w.users[Role.AGENCY_OFFICIAL].user_id,
                        w.users[Role.COMPANY_SECURITY_OFFICER].user_id}
    elif (method, path) == ("GET", VISITS):
        assert env.cases["visit"] in listed
        if role is Role.COMPANY_SECURITY_OFFICER:  # those it hosts
            assert {v["host_organisation_id"] for v in answer} == {w.company.id}
        elif role is Role.FOREIGN_LIAISON:  # those of its government's nationals
            assert all("GBR" in {x["nationality"] for x in v["visitors"]} for v in answer)
        else:  # the government sees every one
            assert len(listed) == s.scalar(select(func.count()).select_from(VisitRequest))
    elif path == VISIT:
        assert (answer["id"], answer["status"], answer["programme_code"],
                answer["host_organisation_id"], answer["fast_path_reasons"]) == (
            target, "submitted", "CASEBYCASE", w.company.id, ["country_not_preauthorised"])
        assert [x["assurance_id"] for x in answer["visitors"]] == list(s.scalars(
            select(Visitor.assurance_id).where(Visitor.visit_id == target)))
    elif path == VISIT_DECISION:  # the role's side approved; the other's still to come
        v = s.get(VisitRequest, target)
        side = "agency" if role is Role.AGENCY_OFFICIAL else "host"
        assert (v.agency_decided_by, v.host_decided_by) == (
            (user_id, None) if side == "agency" else (None, user_id))
        assert (v.status, v.decided_at) == ("submitted", None)
        assert (answer["agency_decided"], answer["host_decided"]) == (
            side == "agency", side == "host")
        event = _last_audit(s, "reciprocity:visit:approve", user_id)
        assert (event.subject_id, json.loads(event.details)["side"]) == (target, side)
    elif path.startswith(TRANSFERS):
        transfer_left_behind(env, s, method, path, role, target, body, answer)
    else:  # every personnel assurance; the engineer's steps counted from the audit log
        assert path == TIME_TO_ACCESS, path
        found = {m["assurance_id"]: m for m in answer}
        assert set(found) == set(s.scalars(select(ForeignAssurance.id).where(
            ForeignAssurance.kind == "personnel")))
        a = s.get(ForeignAssurance, env.cases["assurance"])
        its_visits = list(s.scalars(select(Visitor.visit_id).where(
            Visitor.assurance_id == a.id)))
        steps = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor.like("user:%"), or_(
                (AuditEvent.tag == "reciprocity:assurance:submit")
                & (AuditEvent.subject_id == a.id),
                AuditEvent.tag.in_(("reciprocity:visit:request", "reciprocity:visit:approve"))
                & AuditEvent.subject_id.in_(its_visits))))
        assert steps >= 2  # its submission, and the visit requested with it
        # nobody has asked about the engineer: no permitted access yet
        assert (found[a.id]["person_id"], found[a.id]["first_access_at"],
                found[a.id]["hours"], found[a.id]["human_steps"]) == (
            a.person_id, None, None, steps)


def transfer_left_behind(env: Env, s, method: str, path: str, role: Role,
                         target: str | None, body, answer) -> None:
    """left_behind for the routes of transfers between companies."""
    w, user_id = env.world, env.world.users[role].user_id
    if (method, path) == ("POST", TRANSFERS):  # the request; the other company holds nothing
        t = s.get(TransferRequest, answer["id"])
        assert (t.item_id, t.from_organisation_id, t.to_organisation_id, t.reason, t.status,
                t.requested_by, t.decided_by) == (
            body["item_id"], w.company.id, w.other_company.id, body["reason"], "submitted",
            user_id, None)
        assert not registers.holds(s, w.other_company.id, s.get(Item, t.item_id))
        event = _last_audit(s, "reciprocity:transfer:request", user_id)
        assert (event.subject_id, json.loads(event.details)) == (t.id, {
            "item": t.item_id, "from": w.company.id, "to": w.other_company.id,
            "level": "CESI"})
    elif (method, path) == ("GET", TRANSFERS):
        listed = {x["id"] for x in answer}
        assert env.cases["transfer"] in listed
        if role is Role.COMPANY_SECURITY_OFFICER:  # those it sends or receives
            assert all(w.company.id in (x["from_organisation_id"], x["to_organisation_id"])
                       for x in answer)
        else:  # the government sees every one
            assert len(listed) == s.scalar(select(func.count()).select_from(TransferRequest))
    elif path == TRANSFER:
        assert (answer["id"], answer["status"], answer["item_id"],
                answer["to_organisation_id"]) == (
            target, "submitted", env.cases["transfer item"], w.other_company.id)
    elif path == TRANSFER_DECISION:  # approved: the other company now holds the item
        t = s.get(TransferRequest, target)
        assert (t.status, t.decided_by, t.decision_reasons) == (
            "approved", user_id, body["reasons"])
        assert registers.holds(s, w.other_company.id, s.get(Item, t.item_id))
        assert _last_audit(s, "reciprocity:transfer:approve", user_id).subject_id == target
    else:  # the custody event in the company's log, linked to the transfer
        assert path in (TRANSFER_DISPATCH, TRANSFER_RECEIPT), path
        t = s.get(TransferRequest, target)
        dispatch = path == TRANSFER_DISPATCH
        e = s.get(CustodyEvent, t.dispatch_event_id if dispatch else t.receipt_event_id)
        assert (e.item_id, e.organisation_id, e.kind, e.person_id, e.to_organisation_id,
                e.recorded_by) == (
            t.item_id, w.company.id, "transfer" if dispatch else "receipt",
            body["person_id"], w.other_company.id if dispatch else None, user_id)
        verb = "dispatch" if dispatch else "receive"
        event = _last_audit(s, f"reciprocity:transfer:{verb}", user_id)
        assert (event.subject_id, json.loads(event.details)["event"]) == (target, e.id)


# --- originator control ------------------------------------------------------------------------
# A consent route acts on a designation of the agency, held by the company, whose
# information the UK (the matrix liaison's government) provided: its officer asked the UK
# to consent to passing it to a third party; the liaison decides a fresh request and
# withdraws a fresh grant; every other reader is told "not found", as of one it cannot see.
THIRD_PARTIES = ("AUS", "ITA", "FRA", "DEU", "IND", "KOR", "CAN", "NZL", "ESP", "NLD", "SWE",
                 "NOR", "POL", "BEL", "DNK", "FIN", "AUT", "PRT", "GRC", "CZE", "HUN", "IRL")


def _third_party(env: Env) -> str:
    n = env.cases.get("third parties", 0)
    env.cases["third parties"] = n + 1
    return THIRD_PARTIES[n]


def originated_in(env: Env) -> str:
    """The agency's designation in force of information from the UK, held by the company."""
    if "originated" not in env.cases:
        u = env.world.users
        body = _designation_body(env, "英国から受領した情報") | {
            "originator_country": "GBR", "releasable_to": ["GBR"]}
        with unit_of_work(env.engine) as s:
            d = proposals.propose_designation(s, DesignationCreate.model_validate(body),
                                              actor=u[Role.AGENCY_OFFICIAL].actor)
            proposal_id = s.scalar(select(Proposal.id).where(Proposal.designation_id == d.id))
            proposals.decide(s, proposal_id, Decision(approve=True, reasons="必要性を確認"),
                             actor=u[Role.APPROVING_OFFICIAL].actor)
            env.cases["originated"] = d.id
    return env.cases["originated"]


def consent_in(env: Env, fresh: str | None = None) -> str:
    """The company officer's request for the UK's consent (reused); or (`fresh`) a new one
    that is requested, or granted by the liaison."""
    if fresh is None and "consent" in env.cases:
        return env.cases["consent"]
    u = env.world.users
    with unit_of_work(env.engine) as s:
        c = originator.request_consent(s, originated_in(env), ConsentCreate(
            third_party=_third_party(env), purpose="三か国共同開発"),
            actor=u[Role.COMPANY_SECURITY_OFFICER].actor)
        if fresh == "granted":
            originator.decide_consent(s, c.id, ConsentDecision(grant=True, reference="UK-1"),
                                      actor=u[Role.FOREIGN_LIAISON].actor)
        consent_id = c.id
    if fresh is None:
        env.cases["consent"] = consent_id
    return consent_id


def _consent_request(env: Env, method: str, path: str, role: Role) -> tuple[str, dict | None]:
    allowed = EXPECTED[(method, path)][role] == "ok"
    if path == CONSENT_ASK:
        return (path.format(designation_id=originated_in(env)),
                {"third_party": _third_party(env), "purpose": f"asked by {role.value}"})
    if path == CONSENTS:
        consent_in(env)
        return path, None
    fresh = {CONSENT_DECISION: "requested", CONSENT_WITHDRAWAL: "granted"}.get(path)
    consent_id = consent_in(env, fresh if allowed else None)
    body = {"grant": True, "reference": f"UK-{role.value}"} if path == CONSENT_DECISION \
        else ({} if path == CONSENT_WITHDRAWAL else None)
    return path.format(consent_id=consent_id), body


def consent_left_behind(env: Env, s, method: str, path: str, role: Role, target: str,
                        body, answer) -> None:
    """left_behind for the routes of originator control."""
    user_id = env.world.users[role].user_id
    if path == CONSENT_ASK:  # the UK's liaison is asked
        c = s.get(OriginatorConsent, answer["id"])
        assert (c.designation_id, c.originator, c.third_party, c.status, c.requested_by,
                c.requesting_organisation_id) == (
            target, "GBR", body["third_party"], "requested", user_id,
            env.world.users[role].actor.organisation_id)
        assert _last_audit(s, "reciprocity:originator-consent:request",
                           user_id).subject_id == c.id
    elif path == CONSENTS:
        listed = {c["id"] for c in answer}
        assert env.cases["consent"] in listed
        if role in (Role.SYSTEM_ADMIN, Role.WINDOW_OFFICER, Role.APPROVING_OFFICIAL,
                    Role.OVERSIGHT_INSPECTOR, Role.AUDITOR):
            assert len(listed) == s.scalar(select(func.count()).select_from(
                OriginatorConsent))
        else:  # the agency's designations, the UK's information, the company's requests
            assert all(c["originator"] == "GBR" for c in answer)
    elif path == CONSENT:
        assert (answer["id"], answer["originator"], answer["designation_id"]) == (
            target, "GBR", env.cases["originated"])
    else:
        c = s.get(OriginatorConsent, target)
        granted = path == CONSENT_DECISION
        assert (c.status, c.decided_by) == ("granted" if granted else "withdrawn", user_id)
        verb = "grant" if granted else "withdraw"
        assert _last_audit(s, f"reciprocity:originator-consent:{verb}",
                           user_id).subject_id == target


def test_a_liaison_sees_its_own_governments_records(env):
    """The matrix's liaison is the UK government's. A liaison of no partner government
    (the one in the Japanese government body) may submit and list no assurance: its
    organisation has no agreement (422); it and another partner's liaison (the USA's) are
    told "not found" of the UK's assurance and visit, list neither, and may not name the
    UK's assurance in a visit. Nothing is written."""
    assurance_id, visit_id = assurance_in(env), visit_in(env)
    request = visit_body(env, programme_in(env), "another liaison")
    with cheap_argon2(), unit_of_work(env.engine) as s:
        us_government = make_org(s, kind="foreign_government", country_code="USA",
                                 name_en="US Department of Defense", name_ja="米国国防総省")
        us_liaison = make_user(s, Role.FOREIGN_LIAISON, us_government.id)
    home, us = env.home_liaison.headers, us_liaison.headers
    before = snapshot(env.engine)
    for method, url, body in (("POST", ASSURANCES + "/personnel", engineer_body(env, "home")),
                              ("POST", ASSURANCES + "/facility",
                               facility_assurance_body(env, "home"))):
        problem = assert_problem(send(env.client, method, url, home, body), 422)
        assert [e["code"] for e in problem["errors"]] == ["no_agreement_with_partner"]
    r = env.client.get(ASSURANCES, headers=home)  # speaks for no partner: sees none
    assert r.status_code == 200 and r.json() == {"items": [], "next_cursor": None}
    for headers in (home, us):
        for method, url in (("GET", f"{ASSURANCES}/{assurance_id}"),
                            ("POST", f"{ASSURANCES}/{assurance_id}/withdrawal"),
                            ("GET", f"{VISITS}/{visit_id}")):
            assert_problem(send(env.client, method, url, headers, None), 404)
        r = env.client.get(VISITS, headers=headers)
        assert r.status_code == 200 and visit_id not in {v["id"] for v in r.json()["items"]}
        problem = assert_problem(send(env.client, "POST", VISITS, headers, request), 422)
        assert "assurance_unknown" in {e["code"] for e in problem["errors"]}
    r = env.client.get(ASSURANCES, headers=us)
    assert r.status_code == 200 and assurance_id not in {a["id"] for a in r.json()["items"]}
    assert_unchanged(before, snapshot(env.engine))


def test_the_matrix_refuses_something_to_every_role_but_none_everything():
    """A sanity check of the hand-written table itself."""
    for role in Role:
        outcomes = [row[role] for row in EXPECTED.values()]
        assert "ok" in outcomes and {"403", "404"} & set(outcomes), role
    for (method, path), row in EXPECTED.items():
        if path == HIDDEN[0] or path.startswith((HIDDEN[1], *HIDDEN_DESIGNATIONS,
                                                 *HIDDEN_FACILITIES, *HIDDEN_ACCESS,
                                                 *HIDDEN_RECIPROCITY, *HIDDEN_OUTGOING)):
            assert set(row.values()) <= {"ok", "404"}, (method, path)
        else:
            assert "404" not in row.values(), (method, path)
        # a 422 is only for a role the service refuses, named in SERVICE_REFUSAL
        assert ("422" in row.values()) == ((method, path) in SERVICE_REFUSAL), (method, path)


# --- every route is in a table --------------------------------------------------------------


def _app_routes(app) -> list[tuple[str, str, object]]:
    return [(method, getattr(route, "path", ""), route) for route in iter_routes(app.routes)
            for method in sorted(getattr(route, "methods", None) or {"*"})]


def test_every_api_route_is_in_the_matrix(env):
    seen, missing = set(), []
    for method, path, route in _app_routes(env.app):
        if not path.startswith("/api/"):
            continue
        if (method, path) in FRAMEWORK:
            continue
        seen.add((method, path))
        if (method, path) not in EXPECTED:
            missing.append(f"{method} {path}")
            continue
        # An API route is a HozenRoute gated by a permission and a bearer token.
        assert isinstance(route, HozenRoute) and isinstance(route.gate, Gate), path
        assert route.gate.permission is not None and route.gate.channel == "api", path
        # the route is declared to refuse as "not found" exactly where the table says so
        assert (route.gate.deny_as == 404) == ("404" in EXPECTED[(method, path)].values()), path
    assert missing == [], "add these routes to EXPECTED_TABLE"
    assert set(EXPECTED) == seen, "the table names routes the app no longer has"


def test_every_page_is_in_the_web_table(env):
    seen, missing = set(), []
    for method, path, route in _app_routes(env.app):
        if path.startswith("/api/") or path in WEB_FRAMEWORK:
            continue
        if path.startswith("/taxii2/"):  # TAXII 2.1: its own table, test_taxii_routes.py
            continue
        if method == "HEAD":
            continue
        seen.add((method, path))
        if (method, path) not in WEB:
            missing.append(f"{method} {path}")
            continue
        assert isinstance(route, HozenRoute) and isinstance(route.gate, Gate), path
        public = WEB[(method, path)].startswith("public")
        assert (route.gate.permission is None) == public, path
    assert missing == [], "add these pages to WEB"
    assert set(WEB) == seen


# --- no valid token: 401 everywhere -----------------------------------------------------------

CREDENTIALS = ["none", "empty bearer", "unknown", "basic scheme", "no scheme", "revoked",
               "inactive user", "expired"]


def _auth_header(env: Env, kind: str) -> dict[str, str]:
    good = env.world.users[Role.WINDOW_OFFICER].token
    value = {
        "none": None,
        "empty bearer": "Bearer ",
        "unknown": "Bearer hzn_" + "A" * 43,
        "basic scheme": f"Basic {good}",
        "no scheme": good,
    }.get(kind, f"Bearer {env.bad_tokens.get(kind)}")
    return {} if value is None else {"Authorization": value}


@pytest.mark.parametrize("method, path", list(EXPECTED), ids=[f"{m} {p}" for m, p in EXPECTED])
def test_no_valid_token_is_401_everywhere(env, method, path):
    url, body = prepare(env, method, path, Role.WINDOW_OFFICER)
    before = snapshot(env.engine)
    wrong = {}
    for credential in CREDENTIALS:
        r = send(env.client, method, url, _auth_header(env, credential), body)
        if (r.status_code, r.headers.get("content-type", "")[:24],
                r.headers.get("www-authenticate", "")[:6].lower()) != (
                401, "application/problem+json", "bearer"):
            wrong[credential] = (r.status_code, r.text[:200])
    assert wrong == {}
    assert_unchanged(before, snapshot(env.engine))


def test_the_good_token_in_those_headers_works(env):
    """Control for the 401 cases: the same token, sent properly, is accepted."""
    token = env.world.users[Role.WINDOW_OFFICER].token
    r = env.client.get("/api/v1/me", headers={"Authorization": f"bearer {token}"})
    assert r.status_code == 200 and r.json()["roles"] == ["window_officer"]


# --- pages: sign-in required, CSRF on every form -------------------------------------------


# Ids for the signed-out pages: the sign-in page comes first, whatever the id names.
SOME_ID = "0b6f3c8e-5f1d-4c1e-9a57-3c2b8f0d4e11"


def _page_url(env: Env, path: str, **ids: str) -> str:
    return path.format(**{"person_id": env.world.staff.id, "org_id": env.world.other_company.id,
                          "code": "en", "case_id": SOME_ID, "complaint_id": SOME_ID,
                          "event_id": SOME_ID, "request_id": SOME_ID,
                          "designation_id": SOME_ID, "proposal_id": SOME_ID,
                          "review_id": SOME_ID, "objection_id": SOME_ID,
                          "authorization_id": SOME_ID, "facility_id": SOME_ID,
                          "change_id": SOME_ID, "organisation_id": env.world.company.id,
                          "item_id": SOME_ID, "handler_id": SOME_ID, "incident_id": SOME_ID,
                          "finding_id": SOME_ID, "participant_id": SOME_ID,
                          "programme_id": SOME_ID, "membership_id": SOME_ID,
                          "departure_id": SOME_ID, "assurance_id": SOME_ID,
                          "visit_id": SOME_ID, "community_id": SOME_ID,
                          "transfer_id": SOME_ID, "consent_id": SOME_ID,
                          "registration_id": SOME_ID} | intel_matrix.PAGE_IDS
                          | notices_matrix.PAGE_IDS | ids)


PAGES = [k for k, v in WEB.items() if v in ("page", "form")]


@pytest.mark.parametrize("method, path", PAGES, ids=[f"{m} {p}" for m, p in PAGES])
def test_signed_out_pages_send_to_sign_in_and_write_nothing(env, method, path):
    url = _page_url(env, path)
    with TestClient(env.app, raise_server_exceptions=False) as anon:
        before = snapshot(env.engine)
        r = anon.request(method, url, follow_redirects=False,
                         data={"name_ja": "x"} if method == "POST" else None)
        assert r.status_code == 303, r.text[:300]
        assert r.headers["location"] == "/login?next=" + quote(url, safe="")
        assert_unchanged(before, snapshot(env.engine))


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token in the form"
    return m[1]


def _sign_in(web: TestClient, user) -> tuple[str, str]:
    """Sign `user` in through the real sign-in form: (the session's token, the token the
    sign-in page gave before)."""
    r = mfa_sign_in(web, user.username)  # with the code step or enrolment a role needs
    anon_token = web.cookies["hozen_csrf"]
    assert "hozen_session" in r.cookies
    token = _csrf(web.get("/inbox").text)
    assert token != anon_token
    return token, anon_token


@pytest.fixture(scope="module")
def signed_in_as(env):
    """One signed-in client per role of the world, made when first asked for:
    role -> (client, the session's CSRF token, the pre-sign-in token)."""
    clients: dict[Role, tuple[TestClient, str, str]] = {}

    def get(role: Role):
        if role not in clients:
            web = TestClient(env.app, raise_server_exceptions=False).__enter__()
            clients[role] = (web, *_sign_in(web, env.world.users[role]))
        with unit_of_work(env.engine) as s:  # re-authenticated now: high-risk forms open
            s.execute(update(WebSession).where(
                WebSession.user_id == env.world.users[role].user_id).values(reauth_at=utcnow()))
        return clients[role]

    yield get
    for web, *_ in clients.values():
        web.__exit__(None, None, None)


@pytest.fixture(scope="module")
def signed_in(signed_in_as):
    """A signed-in window officer with its session's token."""
    return signed_in_as(Role.WINDOW_OFFICER)


@dataclass
class FormPost:
    """Who posts a form, where, and a valid body: a refusal is for the CSRF token alone."""

    role: Role
    url: str
    data: dict[str, str]
    files: dict | None = None


def _csv_file() -> dict:
    text = f"姓,名,生年月日,国籍\r\n画面,{_fresh_name()},1986-05-06,JPN\r\n"
    return {"file": ("candidates.csv", text.encode(), "text/csv")}


def _form(env: Env, path: str, *, fresh: bool = False) -> FormPost:
    """`fresh`: the form will be accepted, so it gets an object of its own where one is used
    up (a granted case is renewed once) or changed for later tests (the edit form sets
    every field, the employer too: the world's staff must stay the company's)."""
    w, u = env.world, env.world.users
    WO, INV, ADJ = Role.WINDOW_OFFICER, Role.INVESTIGATOR, Role.ADJUDICATOR
    CSO, SUB = Role.COMPANY_SECURITY_OFFICER, Role.SUBJECT
    person = {"family_name_kanji": "画面", "given_name_kanji": "花子",
              "birth_date": "1990-01-01", "nationalities": "JPN"}
    org = {"kind": "university", "name_ja": "画面大学", "name_en": "Form University",
           "country_code": "JPN"}
    simple = {
        "/people/new": (WO, person),
        "/people/{person_id}/edit": (WO, person),
        "/organisations/new": (WO, org),
        "/organisations/{org_id}/edit": (WO, org | {"kind": "company"}),
        "/organisations/{org_id}/ownership": (WO, {"owner_organisation_id": w.gov.id,
                                                   "share_pct": "10", "voting_pct": "10"}),
        "/logout": (WO, {}),
        "/candidates/events": (CSO, {"person_id": w.staff.id, "kind": "arrest",
                                     "occurred_on": "2024-03-01", "details": "画面から報告"}),
        "/inbox/read": (SUB, {}),
        "/my/data/corrections": (SUB, {"field": "title", "value": "主任",
                                       "reason": "画面から"}),
    }
    if path == "/people/{person_id}/edit" and fresh:
        with unit_of_work(env.engine) as s:
            other = make_person(s, employer_id=w.gov.id, family_name_kanji="編集")
        return FormPost(WO, _page_url(env, path, person_id=other.id), dict(person))
    if path in simple:
        role, data = simple[path]
        return FormPost(role, _page_url(env, path), dict(data))
    if path in MFA_FORMS:
        return _mfa_form(env, path, fresh)
    if path == "/candidates":
        with unit_of_work(env.engine) as s:
            fresh_person = make_person(s, employer_id=w.company.id, family_name_kanji="画面")
        return FormPost(CSO, path, {"person_id": fresh_person.id, "regime": "CESI",
                                    "sponsor_id": w.gov.id})
    if path == "/candidates/upload":
        return FormPost(CSO, path, {"regime": "CESI", "sponsor_id": w.gov.id}, _csv_file())
    if path == "/candidates/{case_id}/renewal":
        case_id = (_drive(env, "granted", own=False) if fresh
                   else case_in(env, "granted", own=False))
        return FormPost(CSO, _page_url(env, path, case_id=case_id), {})
    case_forms = {  # path -> (role, the case's state, whether it is the subject's own, body)
        "/casework/{case_id}/intake": (WO, "submitted", False,
                                       {"investigator_id": u[INV].user_id}),
        "/casework/{case_id}/findings": (INV, "investigation", False, FINDING),
        "/casework/{case_id}/completion": (INV, "investigation", False, {}),
        "/casework/{case_id}/adjudication": (ADJ, "adjudication", False, {
            k: v for d in favourable_decisions()["decisions"]
            for k, v in ((f"{d['area']}-favourable", "yes"), (f"{d['area']}-reasons",
                                                               d["reasons"]))}),
        "/my/assessments/{case_id}/consent": (SUB, "listed", True,
                                              {"consent": "yes", "family_consent": "yes"}),
        "/my/assessments/{case_id}/refusal": (SUB, "listed", True, {}),
        "/my/assessments/{case_id}/withdrawal": (SUB, "draft", True, {}),
        "/my/assessments/{case_id}/complaints": (SUB, "listed", True,
                                                 {"kind": "assessment", "text": "画面から"}),
        "/my/assessments/{case_id}/questionnaire": (SUB, "draft", True, {
            "action": "save", "travel-0-country_code": "USA", "travel-0-start": "2023-08-01",
            "travel-0-end": "2023-08-10", "travel-0-purpose": "観光"}),
    }
    if path.startswith(intel_matrix.FORMS):
        role, url, data = intel_matrix.form(env, path, _page_url, fresh)
        return FormPost(role, url, data)
    if path.startswith(notices_matrix.FORMS):
        role, url, data = notices_matrix.form(env, path, _page_url, fresh)
        return FormPost(role, url, data)
    if path.startswith(reports_matrix.FORMS):
        role, url, data = reports_matrix.form(env, path, _page_url, fresh)
        return FormPost(role, url, data)
    if path.startswith(sharing_matrix.SHARING_FORMS):
        role, url, data = sharing_matrix.form(env, path, _page_url, fresh)
        return FormPost(role, url, data)
    if path.startswith("/designations"):
        return _designation_form(env, path, fresh=fresh)
    if path.startswith("/cui-authorizations"):
        return _cui_form(env, path, fresh=fresh)
    if path.startswith(("/registers", *REGISTER_FORMS)):
        return _register_form(env, path, fresh=fresh)
    if path.startswith(ACCESS_FORMS):
        return _access_form(env, path)
    if path.startswith(RECIPROCITY_FORMS):
        return _reciprocity_form(env, path, fresh=fresh)
    if path.startswith(("/facilities", "/organisations/{organisation_id}/foci")):
        return _facility_form(env, path)
    if path in case_forms:
        role, state, own, data = case_forms[path]
        case_id = case_in(env, state, own=own)
        return FormPost(role, _page_url(env, path, case_id=case_id), dict(data))
    # the window's answers to what others sent
    if path == "/casework/complaints/{complaint_id}/answer":
        return FormPost(WO, _page_url(env, path, complaint_id=complaint_in(env)),
                        {"handling": "会社に照会", "answer": "画面から回答"})
    if path == "/casework/events/{event_id}/assessment":
        return FormPost(WO, _page_url(env, path, event_id=event_in(env)), {"adverse": "no"})
    assert path == "/casework/corrections/{request_id}/decision", f"no form for {path}"
    return FormPost(WO, _page_url(env, path, request_id=correction_in(env)),
                    {"accepted": "yes", "note": "画面から"})


def _designation_form(env: Env, path: str, *, fresh: bool) -> FormPost:
    """The designation forms, each posted by a role that may use it, on what it needs: a
    review or an objection awaiting an answer, an open proposal (the company consulted,
    the expert invited), the designation everyone sees, or (`fresh`) one of its own where
    a proposal will be opened (one open proposal at a time)."""
    u, today = env.world.users, utcnow().date()
    AGO, APO, CSO = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
    EE, OI = Role.EXTERNAL_EXPERT, Role.OVERSIGHT_INSPECTOR
    if path == "/designations":
        body = _designation_body(env, "画面からの指定")
        data = {k: body[k] for k in ("title", "regime", "category", "reasons", "scope_kind",
                                     "scope", "term_start", "term_end")}
        return FormPost(AGO, path, data | {"holders": env.world.company.id,
                                           "experts": u[EE].user_id})
    if path == "/designations/reviews/{review_id}":
        return FormPost(AGO, _page_url(env, path, review_id=review_in(env)),
                        {"still_needed": "yes", "reasons": "画面から: 引き続き必要"})
    if path == "/designations/objections/{objection_id}/answer":
        return FormPost(OI, _page_url(env, path, objection_id=objection_in(env)),
                        {"answer": "画面から回答"})
    if "{proposal_id}" in path:
        proposal_id = proposal_in(env)
        with session_factory(env.engine)() as s:
            designation_id = s.get(Proposal, proposal_id).designation_id
        url = _page_url(env, path, designation_id=designation_id, proposal_id=proposal_id)
        if path.endswith("/comments"):
            return FormPost(EE, url, {"text": "画面からの意見"})
        return FormPost(APO, url, {"approve": "yes", "reasons": "画面から承認"})
    designation_id = designation_in(env)
    if path.endswith("/proposals"):  # the holder's security officer proposes lifting
        if fresh:
            designation_id = _designate(env, "画面で解除を提案する指定")[0]
        return FormPost(CSO, _page_url(env, path, designation_id=designation_id),
                        {"kind": "lift", "reasons": "画面から: 不要になった"})
    url = _page_url(env, path, designation_id=designation_id)
    if path.endswith("/objections"):
        return FormPost(EE, url, {"text": "画面からの異議"})
    assert path.endswith("/items"), f"no form for {path}"
    return FormPost(AGO, url, {"title": f"画面からの文書 {today}", "kind": "document",
                               "compartments": "qkd", "releasable_to": "usa"})


def _cui_form(env: Env, path: str, *, fresh: bool) -> FormPost:
    """The CUI authorization forms, posted by the company's security officer: a grant for
    a fresh person of its staff, a refresher or (on a fresh one, where it will be done) a
    revocation of an authorization of its staff."""
    CSO = Role.COMPANY_SECURITY_OFFICER
    if path == "/cui-authorizations":
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=env.world.company.id, family_name_kanji="画面")
        trained = (utcnow().date() - timedelta(days=30)).isoformat()
        return FormPost(CSO, path, {"person_id": person.id, "identity_document": "passport",
                                    "identity_checked_on": trained, "trained_on": trained,
                                    "agreement_signed_on": trained})
    authorization_id = cui_authorization_in(env, CSO, fresh=fresh and path.endswith(
        "/revocation"))
    url = _page_url(env, path, authorization_id=authorization_id)
    if path.endswith("/refresher"):
        return FormPost(CSO, url, {"trained_on": utcnow().date().isoformat()})
    assert path.endswith("/revocation"), f"no form for {path}"
    return FormPost(CSO, url, {"reason": "画面から取消"})


def _facility_form(env: Env, path: str) -> FormPost:
    """The facility clearance and FOCI forms, each posted by a role that may use it, on
    the company's certification in the state the step needs (a step that moves it on
    leaves the next request a new one: facility_in) or on the company's FOCI review."""
    AGO, APO, CSO = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
    today = utcnow().date().isoformat()
    if path == "/facilities":
        with unit_of_work(env.engine) as s:
            org = make_org(s)
        return FormPost(AGO, path, {"organisation_id": org.id, "level": "CESI", "project": ""})
    if path.startswith("/organisations/"):
        url = _page_url(env, path)
        if path.endswith("/declaration"):  # all Japanese: FOCI stays clear
            return FormPost(CSO, url, {"board": "JPN\nJPN", "foreign_debt_pct": "0",
                                       "foreign_revenue_pct": "0"})
        assert path.endswith("/mitigation"), f"no form for {path}"
        return FormPost(AGO, url, {"instrument": "board_resolution", "reference": "BR-画面",
                                   "terms": "画面から: 外国株主は保全情報にアクセスしない",
                                   "signed_on": today})
    step = path.removeprefix("/facilities/{facility_id}/")
    if step == "changes/{change_id}/decision":
        change_id = change_in(env)
        return FormPost(AGO, _page_url(env, path, facility_id=facility_in(
            env, "change_pending"), change_id=change_id), {"approve": "yes",
                                                          "reasons": "画面から承認"})
    url = _page_url(env, path, facility_id=facility_in(
        env, FACILITY_NEEDED.get(FACILITY + "/" + step, "certified")))
    if step == "application":
        body = _application(env, "SDS")
        return FormPost(CSO, url, {k: body[k] for k in (
            "internal_rules", "governance", "training_plan", "security_officer_id",
            "deputy_officer_id")} | {"area-0-kind": "room", "area-0-name": "画面の保全室",
                                     "area-0-level": "SDS"})
    if step == "checklist":
        return FormPost(AGO, url, {k: v for c in load_checklist().controls for k, v in (
            (f"met-{c.id}", "yes"), (f"evidence-{c.id}", "画面から"))})
    if step == "changes":
        return FormPost(CSO, url, {"kinds": "address", "description": "画面から: 本社移転"})
    role = {"withdraw": CSO, "national-interest": APO}.get(step, AGO)
    assert FACILITY + "/" + step in DECISIONS or step == "review", f"no form for {path}"
    return FormPost(role, url, {} if step == "review" else {"reasons": f"画面から: {step}"})


# The forms on a facility's record that keep its registers.
REGISTER_FORMS = tuple("/facilities/{facility_id}/" + step for step in (
    "inspections", "findings/", "participants", "specification"))
ACCESS_FORMS = ("/people/{person_id}/access", "/programme", "/departures", "/follow-ups")


def _register_form(env: Env, path: str, *, fresh: bool) -> FormPost:
    """The forms of the handling records, posted by the company's security officer (the
    agency official closes an incident and writes the contract's specification) on what
    the API's rows use: the company's certification in force, the item everyone sees and
    its cleared handler; or (`fresh`) a handler of its own, where it will be removed."""
    AGO, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
    today = utcnow().date()
    if path == "/registers/handlers":  # the cleared person, on an item not yet theirs
        facility_in(env, "certified")
        return FormPost(CSO, path, {"item_id": fresh_item(env, "画面で取扱者を加える文書"),
                                    "person_id": cleared_in(env)})
    if path == "/registers/handlers/{handler_id}/removal":
        return FormPost(CSO, _page_url(env, path, handler_id=handler_in(env, fresh=fresh)),
                        {})
    if path == "/registers/custody":  # a handling by the current handler
        handler_in(env)
        facility_in(env, "certified")
        return FormPost(CSO, path, {"item_id": item_in(env), "kind": "handling",
                                    "person_id": cleared_in(env), "note": "画面から"})
    if path == "/registers/incidents":
        return FormPost(CSO, path, {"kind": "mishandling", "severity": "low",
                                    "occurred_on": today.isoformat(),
                                    "description": "画面から: 取扱いの誤り",
                                    "item_ids": item_in(env), "person_ids": cleared_in(env)})
    if path == "/registers/incidents/{incident_id}/closure":
        return FormPost(AGO, _page_url(env, path, incident_id=incident_in(env)),
                        {"closing_note": "画面から: 再発防止策を確認した"})
    if path == "/registers/training":
        return FormPost(CSO, path, {"person_id": env.world.staff.id, "kind": "refresher",
                                    "trained_on": today.isoformat()})
    step = path.removeprefix("/facilities/{facility_id}/")
    if step == "inspections":  # a self-inspection with one finding
        url = _page_url(env, path, facility_id=facility_in(env, "certified"))
        return FormPost(CSO, url, {"kind": "self",
                                   "held_on": (today - timedelta(days=1)).isoformat(),
                                   "summary": "画面から: 自己点検",
                                   "finding-0-severity": "minor",
                                   "finding-0-text": "画面から: 掲示の更新漏れ"})
    if step == "findings/{finding_id}/closure":  # of its own self-inspection
        finding_id = finding_in(env)
        return FormPost(CSO, _page_url(env, path, facility_id=env.cases["inspected"],
                                       finding_id=finding_id), {})
    if step == "participants":  # a fresh person of its own, in its research project
        with unit_of_work(env.engine) as s:
            person = make_person(s, employer_id=env.world.company.id,
                                 family_name_kanji="画面")
        return FormPost(CSO, _page_url(env, path, facility_id=project_in(env)),
                        {"person_id": person.id})
    if step == "participants/{participant_id}/removal":
        participant_id = participant_in(env)
        return FormPost(CSO, _page_url(env, path, facility_id=env.cases["project"],
                                       participant_id=participant_id), {})
    assert step == "specification", f"no form for {path}"
    url = _page_url(env, path, facility_id=facility_in(env, "certified"))
    return FormPost(AGO, url, {"item_id": fresh_item(env, "画面の契約文書"),
                               "departments": "研究開発部", "handling": "保全室内でのみ閲覧",
                               "return_rule": "契約終了時に返却"})


def _access_form(env: Env, path: str) -> FormPost:
    """The forms of access and programmes, each posted by a role that may use it: the
    company's officer asks about its staff, adds and briefs its own staff in the programme
    and records a departure; the agency official creates a programme; the window records
    a follow-up contact."""
    AGO, CSO = Role.AGENCY_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
    today = utcnow().date().isoformat()
    if path == "/people/{person_id}/access":  # the answer is the explain page
        return FormPost(CSO, _page_url(env, path), {"item_id": item_in(env)})
    if path == "/programmes":
        return FormPost(AGO, path, {"code": _fresh_code(), "name_ja": "画面の計画",
                                    "name_en": "Form programme", "countries": "GBR",
                                    "organisations": env.world.company.id})
    if path in ("/programmes/{programme_id}/members", "/departures"):
        with unit_of_work(env.engine) as s:  # a fresh person of its own staff
            person = make_person(s, employer_id=env.world.company.id,
                                 family_name_kanji="画面")
        if path == "/departures":
            return FormPost(CSO, path, {"person_id": person.id, "departed_on": today,
                                        "obligations": "画面から: 守秘義務"})
        return FormPost(CSO, _page_url(env, path, programme_id=programme_in(env)),
                        {"person_id": person.id})
    if path == "/programme-members/{membership_id}/briefing":
        return FormPost(CSO, _page_url(env, path, membership_id=membership_in(env, CSO)),
                        {"briefed_on": today, "nda_signed_on": today})
    assert path == "/follow-ups/{departure_id}/contacts", f"no form for {path}"
    return FormPost(Role.WINDOW_OFFICER, _page_url(env, path, departure_id=departure_in(env)),
                    {"contacted_on": today, "note": "画面から: 近況を確認"})


RECIPROCITY_FORMS = ("/foreign-assurances", "/visits", "/transfers", "/originator-consents")


def _reciprocity_form(env: Env, path: str, *, fresh: bool) -> FormPost:
    """The forms of reciprocity, on what the API's rows use: the liaison submits the
    assurances of the UK engineer and company, withdraws the engineer's assurance (or,
    `fresh`, one of its own, where it will be withdrawn) and requests a visit under the
    programme that pre-authorises GBR; the agency official decides a visit awaiting both
    decisions (`fresh`: one of its own)."""
    FL = Role.FOREIGN_LIAISON
    if path == "/foreign-assurances/personnel":
        body = engineer_body(env, "form")
        return FormPost(FL, path, body["person"] | {"nationalities": "GBR"} | {
            k: body[k] for k in ("partner_level", "valid_until", "reference")})
    if path == "/foreign-assurances/facility":
        return FormPost(FL, path, facility_assurance_body(env, "form"))
    if path == "/foreign-assurances/{assurance_id}/withdrawal":
        return FormPost(FL, _page_url(env, path, assurance_id=assurance_in(env, fresh=fresh)),
                        {})
    if path == "/visits":  # the host is the area's
        body = visit_body(env, programme_in(env), "form")
        return FormPost(FL, path, {k: body[k] for k in (
            "kind", "programme_id", "area_id", "starts_on", "ends_on", "purpose")} | {
            "visitors": body["visitors"][0]})
    if path.startswith(("/transfers", "/originator-consents")):
        return _exchange_form(env, path, fresh=fresh)
    assert path == "/visits/{visit_id}/decision", f"no form for {path}"
    return FormPost(Role.AGENCY_OFFICIAL,
                    _page_url(env, path, visit_id=visit_in(env, fresh=fresh)),
                    {"approve": "true"})


def _exchange_form(env: Env, path: str, *, fresh: bool) -> FormPost:
    """The forms of transfers and of the originator's consent, on what the API's rows use:
    the company's officer asks to pass a fresh item, records dispatch of an approved
    transfer and receipt of a dispatched one; the agency official decides a submitted one;
    the officer asks the UK's consent; the UK liaison grants a request and withdraws a
    grant (`fresh`: each on one of its own)."""
    CSO, FL = Role.COMPANY_SECURITY_OFFICER, Role.FOREIGN_LIAISON
    if path == "/transfers":
        return FormPost(CSO, path, {"item_id": fresh_item(env, "画面から移転する文書"),
                                    "to_organisation_id": env.world.other_company.id,
                                    "reason": "画面から"})
    if path == "/transfers/{transfer_id}/decision":
        return FormPost(Role.AGENCY_OFFICIAL, _page_url(env, path, transfer_id=transfer_in(
            env, "submitted" if fresh else None)), {"approve": "true"})
    if path.startswith("/transfers/"):
        state = "approved" if path.endswith("/dispatch") else "dispatched"
        transfer_id = transfer_in(env, state if fresh else None)
        facility_in(env, "certified")
        return FormPost(CSO, _page_url(env, path, transfer_id=transfer_id),
                        {"person_id": cleared_in(env), "note": "画面から"})
    if path == "/originator-consents":
        return FormPost(CSO, path, {"designation_id": originated_in(env),
                                    "third_party": _third_party(env), "purpose": "画面から"})
    state = "requested" if path.endswith("/decision") else "granted"
    consent_id = consent_in(env, state if fresh else None)
    return FormPost(FL, _page_url(env, path, consent_id=consent_id),
                    {"grant": "true", "reference": "UK-form"} if state == "requested" else {})


MFA_FORMS = ("/reauth", "/account/security/enrol", "/account/security/recovery-codes")
SHOWN_ONCE = MFA_FORMS[1:]  # recovery codes are shown in the answer itself (200), once


def _mfa_form(env: Env, path: str, fresh: bool) -> FormPost:
    """Re-authentication (an officer, enrolled at sign-in), optional enrolment (the
    subject: the key its security page offers) and new recovery codes."""
    officer = env.world.users[Role.WINDOW_OFFICER]
    if path == "/reauth":
        return FormPost(Role.WINDOW_OFFICER, path, {
            "password": PASSWORD, "next": "/",
            "code": AUTHENTICATOR.code(officer.username) if fresh else "000000"})
    if path == "/account/security/recovery-codes":
        return FormPost(Role.WINDOW_OFFICER, path, {})
    subject = env.world.users[Role.SUBJECT]
    code = "000000"
    if fresh:
        with unit_of_work(env.engine) as s:
            secret = mfa.begin_enrolment(s, s.get(User, subject.user_id))
        AUTHENTICATOR.secrets[subject.username] = secret
        code = AUTHENTICATOR.code(subject.username)
    return FormPost(Role.SUBJECT, path, {"code": code})


# Signing out last: should a refusal wrongly sign out, only the logout cases fail.
FORMS = sorted((p for (m, p), v in WEB.items() if v == "form"), key=lambda p: p == "/logout")


@pytest.mark.parametrize("token_kind", ["missing", "wrong", "pre-sign-in token"])
@pytest.mark.parametrize("path", FORMS)
def test_form_post_without_the_session_csrf_token_is_refused(env, signed_in_as, path,
                                                             token_kind):
    """Each form posted by a user who may use it, with a valid body (a file upload as
    multipart), lacking only the session's token."""
    post = _form(env, path)
    web, token, anon_token = signed_in_as(post.role)
    form = post.data
    if token_kind == "wrong":
        form["csrf_token"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif token_kind == "pre-sign-in token":
        form["csrf_token"] = anon_token
    before = snapshot(env.engine)
    r = web.post(post.url, data=form, files=post.files, follow_redirects=False)
    assert_unchanged(before, snapshot(env.engine))
    assert r.status_code == 403, r.text[:300]
    assert web.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_form_post_with_the_session_csrf_token_is_accepted(env, signed_in):
    """Control: the refusals above are for the token alone."""
    web, token, _ = signed_in
    form = _form(env, "/organisations/new").data | {"name_en": "CSRF Control University",
                                                    "csrf_token": token}
    r = web.post("/organisations/new", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    with session_factory(env.engine)() as s:
        assert s.scalar(select(func.count()).select_from(Organisation).where(
            Organisation.name_en == "CSRF Control University")) == 1


@pytest.mark.parametrize("path", [p for p in FORMS if p != "/logout"])
def test_every_form_with_the_session_csrf_token_is_accepted(env, signed_in_as, path):
    """Control for each form: the same post with the token is carried out (a redirect, and
    something written)."""
    post = _form(env, path, fresh=True)
    web, token, _ = signed_in_as(post.role)
    before = snapshot(env.engine)
    r = web.post(post.url, data=post.data | {"csrf_token": token}, files=post.files,
                 follow_redirects=False)
    if path in SHOWN_ONCE:
        assert r.status_code == 200 and 'id="recovery-codes"' in r.text, r.text[:500]
        return
    assert r.status_code == 303, r.text[:500]
    assert not r.headers["location"].startswith("/login"), r.headers["location"]
    if path != "/inbox/read":  # nothing may be left unread to mark
        assert snapshot(env.engine) != before


@pytest.mark.parametrize("token_kind", ["missing", "wrong", "no cookie"])
def test_sign_in_without_the_csrf_token_is_refused(env, token_kind):
    user = env.world.users[Role.WINDOW_OFFICER]
    with TestClient(env.app, raise_server_exceptions=False) as web:
        form = {"username": user.username, "password": PASSWORD, "next": "/"}
        if token_kind == "wrong":
            web.get("/login")  # sets the double-submit cookie
            form["csrf_token"] = "not-the-cookie-value"
        elif token_kind == "no cookie":
            form["csrf_token"] = _csrf(web.get("/login").text)
            web.cookies.clear()
        else:
            web.get("/login")
        before = snapshot(env.engine)
        r = web.post("/login", data=form, follow_redirects=False)
        assert r.status_code == 403, r.text[:300]
        assert "hozen_session" not in r.cookies
        assert_unchanged(before, snapshot(env.engine))


def test_signed_in_refusals_render_an_error_page(env):
    """A signed-in subject asking for a page it may not use, or a person it may not see,
    gets the error page (403, 404), not a server error."""
    user = env.world.users[Role.SUBJECT]
    with TestClient(env.app, raise_server_exceptions=False) as web:
        r = mfa_sign_in(web, user.username)  # (the subject may have enrolled above)
        assert r.status_code == 303 and "hozen_session" in r.cookies
        assert web.get(f"/people/{env.world.staff.id}").status_code == 200  # themself
        assert web.get("/organisations").status_code == 403
        assert web.get(f"/people/{env.world.outsider.id}").status_code == 404
