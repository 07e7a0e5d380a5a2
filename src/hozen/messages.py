"""Words for error codes. English is the message id; the catalogues translate it."""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark a string for the catalogues without translating it here."""
    return text


MESSAGES: dict[str, str] = {
    "required": N_("This field is required."),
    "too_long": N_("This value is too long."),
    "invalid": N_("This value is not valid."),
    "not_a_number": N_("Enter a number."),
    "kana_only": N_("Use kana (katakana or hiragana) only."),
    "latin_only": N_("Use Latin letters, spaces, hyphens and apostrophes only."),
    "name_required": N_("Give the family and given names in kanji or in Latin letters."),
    "date_invalid": N_("Enter a valid date, e.g. 1990-05-03 or 平成2年5月3日."),
    "date_in_future": N_("The date cannot be in the future."),
    "date_too_early": N_("The date is too early."),
    "country_unknown": N_("Unknown country code."),
    "duplicate": N_("A country is listed twice."),
    "current_and_former": N_("A country cannot be both a current and a former nationality."),
    "corporate_number_invalid": N_("Not a valid corporate number (13 digits with check digit)."),
    "corporate_number_taken": N_("This corporate number is already registered."),
    "foreign_kind_home_country": N_("A foreign organisation cannot be in Japan."),
    "domestic_kind_foreign_country": N_("This kind of organisation must be in Japan."),
    "parent_cycle": N_("This parent would make a loop of parents."),
    "organisation_unknown": N_("No such organisation."),
    "person_unknown": N_("No such person."),
    "owner_required": N_("Give exactly one owner: an organisation or a person."),
    "owner_is_owned": N_("An organisation cannot own itself."),
    "owner_exists": N_("This owner already has a holding; change it instead."),
    "percent_range": N_("Enter a percentage from 0 to 100."),
    "holding_required": N_("Give a share or a voting percentage above zero."),
    "total_over_100": N_("Holdings in this organisation would exceed 100%."),
    "employer_out_of_scope": N_("You may only register staff of your own organisation."),
    "stale": N_("Someone else changed this record; reload and try again."),
    "login_failed": N_("Wrong user name or password."),
    "login_throttled": N_(
        "Too many failed sign-ins. Wait a few minutes, then try again."),
    "body_too_large": N_("The request is larger than the server accepts."),
    "too_short": N_("This value is too short."),
    "sponsor_not_agency": N_("The sponsor must be a government agency."),
    "no_employer": N_("The person has no employer on record."),
    "case_already_open": N_("An assessment for this person and regime is already open."),
    "family_consent_missing": N_(
        "Family members can be given only after consent to family checks."),
    "all_areas_required": N_("Every one of the seven areas must be answered."),
    "investigator_required": N_("Choose an investigator."),
    "end_before_start": N_("The end is before the start."),
    "overlapping_periods": N_("The periods overlap."),
    "unexplained_gap": N_("There is a gap of more than 30 days; add an entry that explains it."),
    "csv_encoding": N_("The file is not text in UTF-8 or Shift_JIS."),
    "csv_empty": N_("The file has no candidate rows."),
    "csv_header_unknown": N_("Unknown column; use the column names of the template."),
    "csv_header_missing": N_("A required column is missing."),
    "csv_header_duplicate": N_("This column appears twice."),
    "csv_too_many_rows": N_("The file has too many rows; split it."),
    "csv_malformed": N_("The file is not well-formed CSV."),
    "owners_invalid": N_(
        "Write owners as corporate number:share% (optionally :voting%), separated by ';'."),
    "person_required": N_("Give the person's id, or their full name and birth date."),
    "person_ambiguous": N_(
        "More than one person has this name and birth date; give the person's id."),
    "validity_too_long": N_("The clearance would be valid longer than its regime allows."),
    "clearance_exists": N_("This clearance is already on record."),
    "cursor_invalid": N_("This page link is no longer valid; start again from the first page."),
    "no_organisation": N_("Your account belongs to no organisation."),
    "state_conflict": N_("This step is not possible in the present state of the record."),
    "separation_of_duties": N_("Nobody adjudicates a case they investigated."),
    "same_official": N_("The approving official must not be the proposer."),
    "designating_agency_required": N_("Only an official of a designating agency may do this."),
    "category_unknown": N_("Not a category of this regime or policy."),
    "term_too_long": N_("A term lasts at most 5 years."),
    "beyond_absolute_limit": N_("A designation never lasts beyond 60 years in all."),
    "cabinet_approval_required": N_(
        "Beyond 30 years in all, a designation needs a recorded cabinet approval with reasons."),
    "not_for_this_kind": N_("This kind does not take this field."),
    "change_required": N_("Propose at least one new value for the scope, holders or "
                          "releasability."),
    "item_unknown": N_("No such item under this designation, or it has already been "
                       "lifted."),
    "lift_whole_instead": N_("These are all its items: propose lifting the designation."),
    "holders_propose_lifting_only": N_("A holder may propose a lifting (whole or in "
                                       "part) only."),
    "provisional_starts_today": N_("A provisional designation takes effect today."),
    "expert_unknown": N_("Not an external expert registered in hozen."),
    "marking_invalid": N_("The marking is malformed."),
    "marking_not_canonical": N_("The marking is not written in the standard order or spacing."),
    "level_unknown": N_("Unknown classification level."),
    "categories_cui_only": N_("CUI categories go with CUI only."),
    "compartments_classified_only": N_("Compartments go with CESI or SDS only."),
    "compartment_invalid": N_("A compartment is 1 to 20 capital letters, digits or hyphens."),
    "control_unknown": N_("Unknown dissemination control."),
    "control_cui_only": N_("This control goes with CUI only."),
    "noforn_with_release": N_("NOFORN cannot be combined with REL TO or DISPLAY ONLY."),
    "category_prefix": N_("Write specified categories with SP- and basic ones without."),
    "designation_unknown": N_("No such designation."),
    "cui_category_required": N_("A CUI item names at least one CUI category."),
    "banner_with_attributes": N_("Give either a banner or the marking's attributes, not both."),
    "banner_level_mismatch": N_(
        "The banner's level is not the designation's (a CUI banner without a designation)."),
    "cui_authorization_exists": N_("This person already holds a current CUI authorization."),
    "training_overdue": N_("The training is more than a year old; a refresher is due."),
    "designation_not_classifying": N_("The designation no longer classifies anything."),
    # facility clearance
    "out_of_order": N_("This step is not possible in the certification's present state."),
    "foci_unmitigated": N_("Flagged for foreign ownership, control or influence, and no "
                           "mitigation is recorded."),
    "mitigation_insufficient": N_("The recorded mitigation does not fit the foreign owners' "
                                  "position or this level."),
    "national_interest_required": N_("SDS access of a mitigated business needs a "
                                     "national-interest approval."),
    "unknown_instrument": N_("Unknown mitigation instrument."),
    "unknown_area_kind": N_("An area is a room, a container or an IT system."),
    "unknown_level": N_("Unknown level."),
    "not_separate_from_open_lab": N_("A research project's area must be apart from the open "
                                     "laboratory."),
    "no_area_at_level": N_("At least one approved area at or above the level is needed."),
    "foreign_participant_unscreened": N_("A foreign national is screened before joining a "
                                         "cleared project."),
    "unknown_change_kind": N_("Unknown kind of change."),
    "unknown_inspection_kind": N_("An inspection is a self-inspection or an on-site one."),
    "corrective_action_required": N_("A major or critical finding needs a corrective action "
                                     "with a due date."),
    "due_before_inspection": N_("The corrective action falls due before the inspection."),
    "critical_finding_open": N_("A critical finding's corrective action is still open."),
    "not_certified": N_("The business holds no certification in force."),
    "above_facility_level": N_("Above the level the business is certified for."),
    "control_not_met": N_("A required checklist control is not met."),
    "unknown_control": N_("No such control on the checklist."),
    "not_certifiable": N_("Only a company, university or research institute is certified."),
    "project_required": N_("A university or research institute is certified per research "
                           "project: name it."),
    "officer_unknown": N_("Choose one of the organisation's own security officers."),
    "not_classified": N_("This item is not classified (CESI or SDS): it has no handlers, "
                         "custody log or contract line."),
    "person_not_cleared": N_("The person holds no active, unexpired clearance."),
    "clearance_below_level": N_("The person's clearance is below the item's level."),
    "not_own_staff": N_("Not a person of your own organisation's staff."),
    "unknown_report": N_("No such report; choose timeliness, burden, annual, due-dates or "
                         "time-to-access."),
    "unknown_format": N_("Choose the format csv, pdf or json."),
    "facility_not_certified": N_("Your organisation holds no certification in force for "
                                 "this."),
    "facility_expired": N_("The certification has expired."),
    "facility_level_insufficient": N_("The certification is below the item's level."),
    "not_a_handler": N_("The person is not a current handler of this item at your "
                        "organisation."),
    "same_organisation": N_("A transfer goes to another organisation."),
    "not_a_holder": N_("That organisation does not hold this item."),
    "area_unknown": N_("No such approved area of your organisation."),
    "area_below_level": N_("The area is not approved for the item's level."),
    "item_not_held": N_("No such item held by your organisation."),
    "not_a_business": N_("Classified information passes only to a business."),
    "already_holds": N_("That organisation already holds this item."),
    "not_releasable_to_receiver": N_("The item is not releasable to the receiver's "
                                     "country."),
    "no_facility_assurance": N_("The receiver's government assures no facility clearance "
                                "at the item's level."),
    "originator_consent_required": N_("The partner government that provided this "
                                      "information has not consented to passing it to "
                                      "that country."),
    "no_originator": N_("This designation holds no information from a partner "
                        "government."),
    "not_a_third_party": N_("That is the originator or Japan, not a third party."),
    "no_such_item": N_("No such item."),
    "not_agency_item": N_("The item is not one of the contracting agency's."),
    "on_site_by_agency": N_("An on-site inspection is recorded by an official of the "
                            "certifying agency."),
    "self_inspection_by_business": N_("A self-inspection is recorded by the business's own "
                                      "security officer."),
    "not_a_research_project": N_("This certification is not of a research project."),
    "nationality_unknown": N_("The person's nationality is not on record."),
    # access decisions (what failed)
    "designation_lapsed": N_("The item's designation ended without renewal or lifting: it "
                             "is pending disposition and denied to everyone."),
    "no_clearance": N_("The person holds no clearance."),
    "clearance_suspended": N_("The person's clearance is suspended."),
    "clearance_expired": N_("The person's clearance has expired."),
    "no_cui_authorization": N_("The person holds neither a current CUI authorization nor a "
                               "clearance."),
    "facility_clearance_missing": N_("The person's organisation holds no facility clearance "
                                     "in force."),
    "facility_clearance_below_level": N_("The organisation's facility clearance is below the "
                                         "item's level."),
    "not_registered_handler": N_("The person is not on the handler register for this item."),
    "not_programme_member": N_("The person is not a member of every programme on the item."),
    "not_briefed": N_("The person has not been briefed (with a signed acknowledgement) for "
                      "every programme on the item."),
    "not_releasable": N_("The item is not releasable to the person's nationality."),
    "visit_not_approved": N_("A foreign national has access only during an approved visit."),
    "foreign_clearance_not_recognised": N_("The visitor's clearance, as their government "
                                           "assures it, does not count today under the "
                                           "security agreement."),
    # reciprocity
    "no_agreement_with_partner": N_("Japan has no security agreement with this partner."),
    "agreement_not_in_force": N_("The security agreement is not in force on that day."),
    "partner_level_unknown": N_("The level is not one of the partner's levels."),
    "partner_level_not_in_table": N_("The agreement's table gives this partner level no "
                                     "equivalent."),
    "assurance_expired": N_("The assurance has expired."),
    "nationality_not_partner": N_("The person is not a national of the partner."),
    "organisation_not_partner": N_("The organisation is not in the partner's country."),
    "not_a_partner_company": N_("Choose a company of the partner's country."),
    "japanese_national": N_("A Japanese national is assessed in Japan, not assured by a "
                            "partner."),
    "person_or_person_id": N_("Name the person or give the id of one named earlier, not "
                              "both."),
    "assurance_unknown": N_("No such assurance of your government."),
    "not_a_personnel_assurance": N_("Name a personnel assurance."),
    "assurance_ends_before_visit": N_("The assurance ends before the visit does."),
    "host_not_in_programme": N_("The host organisation does not take part in this programme."),
    "programme_unknown": N_("No such programme."),
    "start_in_past": N_("The start cannot be in the past."),
    "visit_kind_unknown": N_("Choose a one-time or a recurring visit."),
    "levels_repeated": N_("A level is listed twice."),
    "hozen_level_unknown": N_("Choose CUI, CESI or SDS."),
    "hozen_level_not_in_table": N_("The agreement's table gives this level no partner "
                                   "equivalent."),
    "table_not_monotone": N_("A higher partner level cannot map to a lower hozen level."),
    "table_upward": N_("The table would map a level upwards."),
    "no_agreement": N_("There is no security agreement with the visitor's government."),
    "country_not_preauthorised": N_("The programme does not pre-authorise the visitor's "
                                    "country: the agency and the host decide."),
    "assurance_not_recognised": N_("The visitor's assurance is not recognised."),
    "area_not_approved": N_("The place of access is not an area approved for the item's "
                            "level."),
    "person_departed": N_("The person has left the organisation."),
    "organisation_not_in_programme": N_("The person's organisation does not take part in "
                                        "this programme."),
    "before_membership": N_("The briefing cannot precede the membership."),
    "not_a_member": N_("The person is not a member of this programme."),
    "same_person": N_("Give two different people (the deputy, or the witness)."),
    # outgoing reciprocity
    "not_japanese_national": N_("Only a Japanese national's clearance is presented to a "
                                "partner."),
    "latin_name_required": N_("Record the person's name in Latin letters first: the "
                              "partner reads it so."),
    "visitor_repeated": N_("A visitor is listed twice."),
    "clearance_ends_before_visit": N_("The visitor's clearance ends before the visit does."),
    # mass notices
    "audience_required": N_("Choose at least one of: kinds of organisation, a certified "
                            "level, programmes."),
    "audience_empty": N_("No security officer is in the chosen organisations: nobody would "
                         "receive the notice."),
    # threat intelligence
    "author_cannot_approve": N_("A second official approves a tear-line, not its author."),
    "tearline_source_not_classified": N_("Only a classified (CESI or SDS) object needs a "
                                         "tear-line."),
    "collection_classified": N_("A tear-line is released into a collection of at most CUI."),
    "collection_unknown": N_("No such collection, or not one you may use."),
    "stix_invalid": N_("The STIX object was refused; see the reason below."),
    # communities and events
    "clearance_regime_not_admitted": N_("Only holders of a clearance of the regimes named "
                                        "in the admission rule are admitted."),
    "nationality_not_admitted": N_("The admission rule does not admit the person's "
                                   "nationality."),
    "organisation_kind_not_admitted": N_("The admission rule does not admit people of this "
                                         "kind of organisation."),
    "no_person_record": N_("Your account is not linked to a registered person."),
    "level_not_permitted": N_("You may share only at a level you may read yourself."),
    "content_type_not_allowed": N_("This kind of file is not accepted (PDF, text, CSV, JSON, "
                                   "PNG or JPEG only)."),
    "file_empty": N_("The file is empty."),
    "file_too_large": N_("The file is larger than 2 MB."),
}


def message(code: str) -> str:
    return MESSAGES.get(code, MESSAGES["invalid"])

ROLE_LABELS: dict[str, str] = {
    "system_admin": N_("System administrator"),
    "window_officer": N_("Government window officer"),
    "investigator": N_("Investigator"),
    "adjudicator": N_("Adjudicator"),
    "agency_official": N_("Agency official"),
    "approving_official": N_("Approving official"),
    "company_security_officer": N_("Company security officer"),
    "subject": N_("Subject"),
    "foreign_liaison": N_("Foreign liaison"),
    "external_expert": N_("External expert"),
    "oversight_inspector": N_("Oversight inspector"),
    "auditor": N_("Auditor"),
}

KIND_LABELS: dict[str, str] = {
    "government_body": N_("Government body"),
    "company": N_("Company"),
    "university": N_("University"),
    "research_institute": N_("Research institute"),
    "foreign_government": N_("Foreign government"),
    "foreign_company": N_("Foreign company"),
}

# --- suitability assessment ----------------------------------------------------------

STATE_LABELS: dict[str, str] = {
    "listed": N_("Awaiting the subject's consent"),
    "refused": N_("Consent refused"),
    "draft": N_("Questionnaire in progress"),
    "submitted": N_("Submitted, awaiting intake"),
    "investigation": N_("Under investigation"),
    "adjudication": N_("Under adjudication"),
    "granted": N_("Granted"),
    "denied": N_("Not granted"),
    "withdrawn": N_("Withdrawn"),
}
# What the employer sees: the outcome only (refusal and withdrawal alike).
EMPLOYER_STATUS_LABELS: dict[str, str] = {
    "in_progress": N_("In progress"),
    "not_proceeding": N_("Will not proceed"),
    "granted": N_("Granted"),
    "denied": N_("Not granted"),
}
AREA_LABELS: dict[str, str] = {
    "harmful_activities": N_("Relation to harmful activities (espionage, terrorism and the like)"),
    "criminal_record": N_("Criminal and disciplinary record"),
    "information_handling": N_("Record of handling information"),
    "drugs": N_("Misuse of drugs"),
    "mental_health": N_("Mental health"),
    "alcohol": N_("Moderation in drinking alcohol"),
    "finances": N_("Economic circumstances, including debts"),
}
RELATION_LABELS: dict[str, str] = {
    "parent": N_("Parent"),
    "sibling": N_("Brother or sister"),
    "spouse": N_("Spouse"),
    "spouse_parent": N_("Spouse's parent"),
    "cohabitant": N_("Person living with you"),
}
SEVERITY_LABELS: dict[str, str] = {
    "none": N_("None"), "minor": N_("Minor"), "moderate": N_("Moderate"),
    "serious": N_("Serious"),
}
EVENT_KIND_LABELS: dict[str, str] = {
    "foreign_travel": N_("Foreign travel"),
    "foreign_contact": N_("Contact with a foreign national or government"),
    "arrest": N_("Arrest"),
    "financial_trouble": N_("Financial trouble"),
    "information_incident": N_("Information security incident"),
    "name_change": N_("Change of name"),
    "nationality_change": N_("Change of nationality"),
}
EMPLOYMENT_KIND_LABELS: dict[str, str] = {
    "employed": N_("Employed"), "self_employed": N_("Self-employed"),
    "student": N_("Student"), "unemployed": N_("Unemployed"), "other": N_("Other"),
}
REGIME_LABELS: dict[str, str] = {
    "CESI": N_("Critical economic security information (CESI)"),
    "SDS": N_("Specially designated secrets (SDS)"),
}

# --- designation ---------------------------------------------------------------------

DESIGNATION_STATUS_LABELS: dict[str, str] = {
    "proposed": N_("Proposed, awaiting approval"),
    "provisional": N_("Provisional, to be confirmed"),
    "in_force": N_("In force"),
    "pending_disposition": N_("Pending disposition (term ended): access denied"),
    "lifted": N_("Lifted"),
    "downgraded": N_("Downgraded to CUI"),
    "rejected": N_("Not approved"),
}
PROPOSAL_KIND_LABELS: dict[str, str] = {
    "designate": N_("designation"), "renew": N_("renewal"), "lift": N_("lifting"),
    "downgrade": N_("downgrade"), "change": N_("change of scope"),
    "lift_part": N_("partial lifting"),
}
FACILITY_STATE_LABELS: dict[str, str] = {
    "proposed": N_("proposed by the agency"), "applied": N_("applied"),
    "under_review": N_("under review"), "certified": N_("certified"),
    "change_pending": N_("certified, a change under review"), "suspended": N_("suspended"),
    "revoked": N_("revoked"), "expired": N_("expired"), "refused": N_("refused"),
    "withdrawn": N_("withdrawn"),
}
# What would satisfy each failed condition of an access decision (the explain page).
ACCESS_REMEDY_LABELS: dict[str, str] = {
    "designation_lapsed": N_("The designating agency renews or lifts the designation."),
    "no_clearance": N_("A suitability assessment through the government window."),
    "clearance_suspended": N_("The adjudicator reinstates the clearance."),
    "clearance_expired": N_("A renewed suitability assessment."),
    "clearance_below_level": N_("A clearance at the item's level."),
    "no_cui_authorization": N_("A CUI authorization from the employer's security officer."),
    "facility_clearance_missing": N_("The organisation is certified as a qualified business."),
    "facility_clearance_below_level": N_("A certification at the item's level."),
    "foci_unmitigated": N_("The agency records a mitigation that fits the foreign owners' "
                           "position."),
    "national_interest_required": N_("An approving official grants a national-interest "
                                     "approval."),
    "not_registered_handler": N_("The security officer adds the person to the handler "
                                 "register."),
    "not_programme_member": N_("The programme adds the person as a member."),
    "not_briefed": N_("A briefing and a signed non-disclosure acknowledgement."),
    "training_overdue": N_("The yearly refresher training."),
    "not_releasable": N_("Nothing: the originator's releasability decides."),
    "visit_not_approved": N_("An approved visit under a security agreement."),
    "foreign_clearance_not_recognised": N_("A current assurance from the visitor's "
                                           "government at a level the agreement's table "
                                           "recognises."),
    "area_not_approved": N_("Access from an approved area at the item's level."),
    "person_departed": N_("Nothing: access ends with departure."),
}
INCIDENT_KIND_LABELS: dict[str, str] = {
    "loss": N_("loss"), "leak": N_("leak"), "unauthorised_access": N_("unauthorised access"),
    "mishandling": N_("mishandling"),
}
INCIDENT_SEVERITY_LABELS: dict[str, str] = {
    "low": N_("low"), "medium": N_("medium"), "high": N_("high"), "critical": N_("critical"),
}
AREA_KIND_LABELS: dict[str, str] = {
    "room": N_("Room"), "container": N_("Container"), "it_system": N_("IT system"),
}
CHANGE_KIND_LABELS: dict[str, str] = {
    "owner": N_("owners"), "officers": N_("officers"), "address": N_("address"),
    "areas": N_("approved areas"), "name": N_("name"),
}
CHANGE_STATUS_LABELS: dict[str, str] = {
    "pending": N_("under review"), "approved": N_("approved"), "rejected": N_("not approved"),
    "voided": N_("void"),
}
FOCI_SITUATION_LABELS: dict[str, str] = {
    "minority": N_("a minority without board representation"),
    "board_representation": N_("represented on the board, without control"),
    "control": N_("in control"),
}
FOCI_REASON_LABELS: dict[str, str] = {
    "country_share": N_("ownership from %(country)s reaches the threshold"),
    "country_voting": N_("voting power from %(country)s reaches the threshold"),
    "total_share": N_("foreign ownership in total reaches the threshold"),
    "total_voting": N_("foreign voting power in total reaches the threshold"),
    "foreign_board": N_("a foreign national sits on the board"),
    "foreign_debt": N_("notable foreign debt (declared)"),
    "foreign_revenue": N_("notable foreign revenue (declared)"),
}
MITIGATION_LABELS: dict[str, str] = {
    "board_resolution": N_("Board resolution"),
    "security_control_agreement": N_("Security control agreement"),
    "special_security_agreement": N_("Special security agreement"),
    "proxy_agreement": N_("Proxy agreement"), "voting_trust": N_("Voting trust"),
}
CHANGE_DIRECTION_LABELS: dict[str, str] = {
    "narrow": N_("narrowing"), "widen": N_("widening"), "mixed": N_("narrowing and widening"),
    "scope": N_("new scope"),
}
PROPOSAL_OUTCOME_LABELS: dict[str, str] = {
    "open": N_("open"), "approved": N_("approved"), "rejected": N_("not approved"),
}
SCOPE_KIND_LABELS: dict[str, str] = {
    "programme": N_("Programme"), "organisation": N_("Organisation"),
    "technology": N_("Technology field"),
}
ITEM_KIND_LABELS: dict[str, str] = {
    "document": N_("Document"), "dataset": N_("Dataset"), "technical_data": N_("Technical data"),
}

CUI_FAILURE_LABELS: dict[str, str] = {
    "cui_authorization_revoked": N_("revoked"),
    "cui_authorization_expired": N_("expired"),
    "training_overdue": N_("refresher training overdue"),
}
IDENTITY_DOCUMENT_LABELS: dict[str, str] = {
    "my_number_card": N_("Individual number card (the number is not recorded)"),
    "passport": N_("Passport"), "driving_licence": N_("Driving licence"),
    "residence_card": N_("Residence card"), "other": N_("Other official document"),
}
