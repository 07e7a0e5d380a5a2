"""Pure rules of international reciprocity (DESIGN.md R7, R16): an agreement's
level-equivalence table, never mapping upwards; a partner's clearance assurance; visit
requests and their fast path; the partner's label for a hozen level; originator control.
No I/O beyond reading the shipped agreements.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from itertools import pairwise
from types import MappingProxyType

from hozen.access.rules import HOME, RANKS

Errors = list[tuple[str, str]]
HOZEN_LEVELS = tuple(level for level, rank in sorted(RANKS.items(), key=lambda x: x[1])
                     if rank)  # CUI, CESI, SDS: what a table may map to
KINDS = ("general", "industrial")  # security of information / industrial security
NATO = "NATO"
VISIT_KINDS = ("one_time", "recurring")


@dataclass(frozen=True)
class Agreement:
    """An agreement with a partner country (ISO 3166 alpha-3) or NATO. `levels` are the
    partner's own, low to high; `in_force_to` is the last day in force (None: open)."""

    partner: str
    name_en: str
    name_ja: str
    kind: str
    in_force_from: date
    in_force_to: date | None
    scope: str
    levels: tuple[str, ...]
    to_hozen: Mapping[str, str]  # partner level -> hozen level (incoming assurances)
    from_hozen: Mapping[str, str]  # hozen level -> partner level (outgoing, labels)
    confirmed: bool  # False: the table is "to be confirmed"
    date_confirmed: bool = True  # False: only the month of entry into force is known


@dataclass(frozen=True)
class Reciprocity:
    """The shipped data: agreements, NTIB-like partners, NATO members, visit limits."""

    agreements: tuple[Agreement, ...]
    ntib: frozenset[str]
    nato_members: frozenset[str]
    one_time_max_days: int
    recurring_max_days: int


# --- the equivalence table -----------------------------------------------------------------

def table_errors(a: Agreement) -> Errors:
    """Every level known, both directions monotone, and neither direction upward: a
    partner level is never recognised above the hozen level its own equivalent stands
    for, and a hozen level is never presented as a partner level recognised above it."""
    errors = _known_errors(a)
    return errors or _order_errors(a)


def _known_errors(a: Agreement) -> Errors:
    errors: Errors = []
    if len(set(a.levels)) != len(a.levels):
        errors.append(("levels", "levels_repeated"))
    for p, h in a.to_hozen.items():
        if p not in a.levels:
            errors.append((f"to_hozen.{p}", "partner_level_unknown"))
        if h not in HOZEN_LEVELS:
            errors.append((f"to_hozen.{p}", "hozen_level_unknown"))
    for h, p in a.from_hozen.items():
        if h not in HOZEN_LEVELS:
            errors.append((f"from_hozen.{h}", "hozen_level_unknown"))
        if p not in a.levels:
            errors.append((f"from_hozen.{h}", "partner_level_unknown"))
        elif p not in a.to_hozen:  # its round trip could not be checked
            errors.append((f"from_hozen.{h}", "partner_level_not_in_table"))
    return errors


def _order_errors(a: Agreement) -> Errors:
    """Assumes every level is known (_known_errors passed)."""
    pos = {p: i for i, p in enumerate(a.levels)}
    errors: Errors = []
    mapped = sorted(a.to_hozen, key=pos.__getitem__)
    errors += [(f"to_hozen.{q}", "table_not_monotone") for p, q in pairwise(mapped)
               if RANKS[a.to_hozen[q]] < RANKS[a.to_hozen[p]]]
    given = sorted(a.from_hozen, key=RANKS.__getitem__)
    errors += [(f"from_hozen.{k}", "table_not_monotone") for h, k in pairwise(given)
               if pos[a.from_hozen[k]] < pos[a.from_hozen[h]]]
    errors += [(f"from_hozen.{h}", "table_upward") for h, p in a.from_hozen.items()
               if RANKS[a.to_hozen[p]] > RANKS[h]]
    errors += [(f"to_hozen.{p}", "table_upward") for p, h in a.to_hozen.items()
               if h in a.from_hozen and pos[a.from_hozen[h]] > pos[p]]
    return errors


def in_force(a: Agreement, on: date) -> bool:
    return a.in_force_from <= on and (a.in_force_to is None or on <= a.in_force_to)


def _force_errors(a: Agreement, on: date) -> Errors:
    return [] if in_force(a, on) else [("agreement", "agreement_not_in_force")]


def hozen_level(a: Agreement, partner_level: str, on: date) -> tuple[str | None, Errors]:
    """The hozen level a partner level counts as on a day: exactly the table's value,
    never a neighbour's; None with every reason when there is none."""
    errors = _force_errors(a, on)
    if partner_level not in a.levels:
        errors.append(("partner_level", "partner_level_unknown"))
    elif partner_level not in a.to_hozen:
        errors.append(("partner_level", "partner_level_not_in_table"))
    return (None, errors) if errors else (a.to_hozen[partner_level], errors)


def partner_level(a: Agreement, hozen_level: str, on: date) -> tuple[str | None, Errors]:
    """The partner level a hozen level is presented as (outgoing assurance or label)."""
    errors = _force_errors(a, on)
    if hozen_level not in HOZEN_LEVELS:
        errors.append(("hozen_level", "hozen_level_unknown"))
    elif hozen_level not in a.from_hozen:
        errors.append(("hozen_level", "hozen_level_not_in_table"))
    return (None, errors) if errors else (a.from_hozen[hozen_level], errors)


# --- assurances ----------------------------------------------------------------------------

def covers(a: Agreement, nationality: str, nato_members: Iterable[str] | None = None) -> bool:
    """A country agreement covers its own nationals; the NATO agreement those of the
    member states (None: the shipped list)."""
    if a.partner != NATO:
        return nationality == a.partner
    members = load_reciprocity().nato_members if nato_members is None else nato_members
    return nationality in frozenset(members)


def assurance_errors(a: Agreement, partner_level: str, valid_until: date, on: date,
                     nationality: str, *, nato_members: Iterable[str] | None = None
                     ) -> Errors:
    """Why a partner government's clearance assurance is not recognised on a day (empty:
    recognised): its level, its validity and the holder's nationality."""
    errors = hozen_level(a, partner_level, on)[1]
    if valid_until < on:
        errors.append(("valid_until", "assurance_expired"))
    if not covers(a, nationality, nato_members):
        errors.append(("nationality", "nationality_not_partner"))
    return errors


def recognised_rank(a: Agreement, partner_level: str, valid_until: date, on: date,
                    nationality: str, *, nato_members: Iterable[str] | None = None) -> int:
    """The rank (access.rules.RANKS) a foreign clearance counts as on a day; 0 when not
    recognised. It counts for access only during an approved visit (access.rules)."""
    if assurance_errors(a, partner_level, valid_until, on, nationality,
                        nato_members=nato_members):
        return 0
    return RANKS[a.to_hozen[partner_level]]


# --- visits --------------------------------------------------------------------------------

def visit_errors(kind: str, start: date, end: date, today: date, recurring_max_days: int,
                 one_time_max_days: int = 30) -> Errors:
    """A visit request's dates: not in the past, in order, and no longer (counting both
    ends) than its kind allows."""
    errors: Errors = []
    if kind not in VISIT_KINDS:
        errors.append(("kind", "visit_kind_unknown"))
    if start < today:
        errors.append(("start", "start_in_past"))
    limit = recurring_max_days if kind == "recurring" else one_time_max_days
    if end < start:
        errors.append(("end", "end_before_start"))
    elif (end - start).days + 1 > limit:
        errors.append(("end", "too_long"))
    return errors


def fast_path(agreement: Agreement | None, on: date, programme_countries: frozenset[str],
              nationality: str, assurance_ok: bool) -> Errors:
    """Why a visit cannot be approved automatically (empty: it can). It needs an
    agreement in force with the visitor's government, the visitor's country
    pre-authorised by the programme (the NTIB-like exemption from case-by-case approval
    is the programme's, country by country: an NTIB partner the programme does not name
    is decided case by case like any other) and the clearance assurance recognised.
    Access during the visit is still decided item by item (releasability and the rest)."""
    errors = [("agreement", "no_agreement")] if agreement is None \
        else _force_errors(agreement, on)
    if nationality not in programme_countries:
        errors.append(("nationality", "country_not_preauthorised"))
    if not assurance_ok:
        errors.append(("assurance", "assurance_not_recognised"))
    return errors


# --- labels --------------------------------------------------------------------------------

# --- originator control ---------------------------------------------------------------------

def third_party_errors(field: str, originator: str | None, codes: Iterable[str],
                       consented: Iterable[str]) -> Errors:
    """The positions in `codes` (a releasability list) naming a third party to the
    originator of the information without its recorded consent: neither the originator
    itself nor Japan, which received it."""
    if originator is None:
        return []
    allowed = {originator, HOME, *consented}
    return [(f"{field}.{n}", "originator_consent_required")
            for n, code in enumerate(codes) if code not in allowed]


def alternative_label(a: Agreement, hozen_level: str, on: date) -> dict:
    """The partner's equivalent classification for an alternative confidentiality label
    (ADatP-4774 style); raises ValueError naming the codes when there is none."""
    level, errors = partner_level(a, hozen_level, on)
    if errors:
        raise ValueError(", ".join(code for _, code in errors))
    return {"policy_identifier": a.partner, "classification": level,
            "to_be_confirmed": not a.confirmed}


# --- loading -------------------------------------------------------------------------------

def load_agreements(text: str | None = None) -> tuple[Agreement, ...]:
    """The agreements from TOML text (None: the shipped file), each table checked."""
    return load_reciprocity(text).agreements


def load_reciprocity(text: str | None = None) -> Reciprocity:
    return _shipped() if text is None else parse_reciprocity(text)


@cache
def _shipped() -> Reciprocity:
    text = resources.files("hozen.reciprocity").joinpath("agreements.toml").read_text("utf-8")
    return parse_reciprocity(text)


def parse_reciprocity(text: str) -> Reciprocity:
    raw = tomllib.loads(text)
    agreements = tuple(_agreement(r) for r in raw["agreement"])
    partners = [a.partner for a in agreements]
    if len(set(partners)) != len(partners):
        raise ValueError("agreements: repeated partner")
    visit = raw["visit"]
    return Reciprocity(agreements, frozenset(raw["ntib"]), frozenset(raw["nato_members"]),
                       int(visit["one_time_max_days"]), int(visit["recurring_max_days"]))


def _agreement(r: Mapping) -> Agreement:
    a = Agreement(
        partner=r["partner"], name_en=r["name_en"], name_ja=r["name_ja"], kind=r["kind"],
        in_force_from=r["in_force_from"], in_force_to=r.get("in_force_to"),
        scope=r.get("scope", ""), levels=tuple(r["levels"]),
        to_hozen=MappingProxyType(dict(r.get("to_hozen", {}))),
        from_hozen=MappingProxyType(dict(r.get("from_hozen", {}))),
        confirmed=bool(r["confirmed"]), date_confirmed=bool(r.get("date_confirmed", True)))
    errors = table_errors(a) + _term_errors(a)
    if errors:
        raise ValueError(f"agreements: {a.partner}: {errors}")
    return a


def _term_errors(a: Agreement) -> Errors:
    errors: Errors = [] if a.kind in KINDS else [("kind", "kind_unknown")]
    if any(type(d) is not date for d in (a.in_force_from, a.in_force_to or date.min)):
        errors.append(("in_force_from", "not_a_date"))
    elif a.in_force_to is not None and a.in_force_to < a.in_force_from:
        errors.append(("in_force_to", "end_before_start"))
    return errors
