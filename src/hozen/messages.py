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
    "not_for_this_kind": N_("This kind of proposal does not take this field."),
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
