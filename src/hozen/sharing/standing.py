"""The admission rule of a community or an event and the live decision (DESIGN R10): whether
the rule admits a person today, and why not; for a page of people at once (a community's
members, an event's attendance, the authors of a page of posts) their names and standing
read in a fixed number of statements however many people the page holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.access import attributes, cache
from hozen.access import rules as access
from hozen.accounts.actor import Actor
from hozen.db import split_set, utcnow
from hozen.registry import rules as registry_rules
from hozen.registry import services as registry
from hozen.registry.models import Organisation, Person
from hozen.sharing import rules
from hozen.sharing.schemas import AdmissionRule, EligibilityView, RuleView


def today() -> date:
    return utcnow().date()


def _join(values) -> str:
    return ",".join(sorted(set(values)))


# --- the rule -----------------------------------------------------------------------------------


def rule_columns(data: AdmissionRule) -> dict:
    return {"min_level": data.min_level, "regimes": _join(data.regimes),
            "programmes": _join(data.programmes), "nationalities": _join(data.nationalities),
            "organisation_kinds": _join(data.organisation_kinds),
            "releasable_to": _join(data.releasable_to)}


def rule_of(row) -> rules.Rule:
    return rules.Rule(container_id=row.id, min_rank=rules.LEVEL_RANKS[row.min_level],
                      regimes=split_set(row.regimes), programmes=split_set(row.programmes),
                      nationalities=split_set(row.nationalities),
                      organisation_kinds=split_set(row.organisation_kinds),
                      releasable=split_set(row.releasable_to))


def rule_view(row) -> RuleView:
    return RuleView(min_level=row.min_level, regimes=sorted(split_set(row.regimes)),
                    programmes=sorted(split_set(row.programmes)),
                    nationalities=sorted(split_set(row.nationalities)),
                    organisation_kinds=sorted(split_set(row.organisation_kinds)),
                    releasable_to=sorted(split_set(row.releasable_to)))


# --- one person's live decision -------------------------------------------------------------------


def context() -> access.Context:
    return access.Context(today().toordinal(), attributes.system_area_rank())


def subject(session: Session, person_id: str) -> tuple[access.Subject, str | None]:
    """The person's live attributes and their employer's kind."""
    s = attributes.subject(session, person_id, today())
    person = session.get(Person, person_id)
    org = session.get(Organisation, person.employer_id) if person.employer_id else None
    return s, org.kind if org else None


def eligibility(session: Session, row, person_id: str | None) -> rules.Eligibility:
    """Whether the person meets the rule of a community or an event today, and why not."""
    if person_id is None:
        return rules.Eligibility(False, ("no_person_record",))
    s, kind = subject(session, person_id)
    return rules.eligibility(rule_of(row), s, kind, context())


def eligibilities(session: Session, rows, person_id: str | None
                  ) -> dict[str, rules.Eligibility]:
    """The person's eligibility for each of several communities or events: their live
    attributes read once."""
    if person_id is None:
        return {}
    s, kind = subject(session, person_id)
    ctx = context()
    return {row.id: rules.eligibility(rule_of(row), s, kind, ctx) for row in rows}


def eligibility_view(e: rules.Eligibility) -> EligibilityView:
    return EligibilityView(eligible=e.eligible, reasons=list(e.reasons))


# --- a page of people at once ---------------------------------------------------------------------


def display_name(data: registry_rules.PersonData) -> str:
    """A name as the registry holds it, kanji where there is one."""
    return " ".join(n for n in (data.family_name_kanji or data.family_name_latin,
                                data.given_name_kanji or data.given_name_latin) if n)


def names(session: Session, person_ids: Iterable[str], *, actor: Actor,
          purpose: str) -> dict[str, str]:
    """Person id -> name, in one read of the registry (recorded, naming its purpose)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    return {pid: display_name(data) for pid, data in registry.records_for(
        session, ids, actor=actor, purpose=purpose).items()}


def standings(session: Session, row, person_ids: Iterable[str]
              ) -> dict[str, rules.Eligibility]:
    """Person id -> whether the rule of `row` (a community or an event) admits them today,
    and why not: their employers' kinds and attribute epochs each read once for the page,
    their attributes from the shared cache."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    employers = dict(session.execute(select(Person.id, Person.employer_id).where(
        Person.id.in_(ids))).all())
    orgs = sorted({o for o in employers.values() if o})
    kinds = dict(session.execute(select(Organisation.id, Organisation.kind).where(
        Organisation.id.in_(orgs))).all()) if orgs else {}
    tags = cache.epochs(session, ids)
    rule, ctx, day = rule_of(row), context(), today()
    return {pid: rules.eligibility(rule, attributes.subject(session, pid, day, tags),
                                   kinds.get(employers.get(pid)), ctx) for pid in ids}
