"""People, a block at a time, with what hangs on them: assessment cases in every state
and their investigations, clearances (active, suspended, expired, revoked; both regimes),
programme memberships, training, the handler register, CUI authorizations, departures,
and partner nationals' assurances and visits. Personal data is prepared exactly as the
bulk importer prepares it (normalised, sealed, indexed by keyed hashes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from hozen.clearances.rules import REGIME_RANK, CaseState, ClearanceStatus, Regime, add_years
from hozen.crypto import Keyring
from hozen.policy import get_policy
from hozen.registry import rules
from hozen.registry.services import seal, search_tokens
from hozen.synth import names
from hozen.synth.rows import Rows
from hozen.synth.source import IDS_PER_PERSON, PEOPLE_BLOCK, PEOPLE_MS, Source
from hozen.synth.world import World

CASE_STATES = {CaseState.GRANTED: 52, CaseState.LISTED: 6, CaseState.REFUSED: 3,
               CaseState.DRAFT: 6, CaseState.SUBMITTED: 5, CaseState.INVESTIGATION: 10,
               CaseState.ADJUDICATION: 6, CaseState.DENIED: 5, CaseState.WITHDRAWN: 7}
CLEARANCE_STATUSES = {ClearanceStatus.ACTIVE: 78, ClearanceStatus.SUSPENDED: 5,
                      ClearanceStatus.EXPIRED: 12, ClearanceStatus.REVOKED: 5}
VISIT_STATUSES = {"approved": 60, "submitted": 25, "refused": 10, "withdrawn": 5}
INVESTIGATED = (CaseState.INVESTIGATION, CaseState.ADJUDICATION, CaseState.GRANTED,
                CaseState.DENIED)
CONSENTED = (CaseState.DRAFT, CaseState.SUBMITTED, *INVESTIGATED)


@dataclass
class Block:
    """One block of people, ready to write: person, nationality and search-token rows in
    the bulk importer's shape, and the rest by table."""

    people: list[tuple] = field(default_factory=list)
    nationalities: list[tuple] = field(default_factory=list)
    tokens: list[tuple] = field(default_factory=list)
    rows: Rows = field(default_factory=Rows)


def block(seed: int, number: int, count: int, w: World, ring: Keyring) -> Block:
    """People number*PEOPLE_BLOCK .. +count, drawn from the block's own RNG."""
    src = Source(seed, f"people/{number}", PEOPLE_MS + number * PEOPLE_BLOCK * IDS_PER_PERSON)
    out, key_id = Block(), ring.active
    officials = {org: official for org, official, _ in w.agencies}
    # Each block's first cases take every state, and its first grants every clearance
    # status in both regimes, so that even a small data set has them all.
    cover = Cover(list(CaseState), [(s, r) for s in ClearanceStatus for r in Regime])
    for _ in range(count):
        pid, data, employer, current, former, at = _person(src, w)
        out.people.append((pid, employer, seal(pid, data, ring), at, at, 1))
        out.nationalities += [(pid, c, "current") for c in current]
        out.nationalities += [(pid, c, "former") for c in former]
        out.tokens += [(pid, t, key_id) for t in sorted(search_tokens(data, ring))]
        officer = w.cso.get(employer) or officials.get(employer)
        if officer and src.chance(0.35):
            _case(src, w, out.rows, pid, employer, officer, cover)
        elif employer and current[0] != "JPN" and current[0] in w.foreign_employers \
                and src.chance(0.3):
            _assurance(src, w, out.rows, pid, employer, current[0])
        if officer and src.chance(0.05):
            _cui(src, w, out.rows, pid, employer, officer)
    return out


def _person(src: Source, w: World) -> tuple:
    pid = src.new_id()
    foreign = src.chance(0.06) and w.foreign_employers
    if foreign:
        country = src.choice(w.foreign_countries)
        fka, gka, fl, gl = src.choice(names.FOREIGN.get(country, names.FOREIGN["USA"]))
        raw = {"family_name_kana": fka, "given_name_kana": gka, "family_name_latin": fl,
               "given_name_latin": gl, "department": "Defence Cooperation",
               "title": src.choice(("Engineer", "Liaison Officer"))}
        current, former = [country], []
        employer = src.choice(w.foreign_employers[country])
    else:
        (fk, fka, fl), (gk, gka, gl) = src.choice(names.FAMILY), src.choice(names.GIVEN)
        raw = {"family_name_kanji": fk, "given_name_kanji": gk, "family_name_kana": fka,
               "given_name_kana": gka, "family_name_latin": fl, "given_name_latin": gl,
               "department": src.choice(names.DEPARTMENTS), "title": src.choice(names.TITLES)}
        current = ["JPN", "USA"] if src.chance(0.005) else ["JPN"]
        former = [c for c in [src.choice(("KOR", "CHN", "USA", "BRA"))]
                  if c not in current] if src.chance(0.01) else []
        employer = src.choice(w.employers) if src.chance(0.97) else None
    raw["birth_date"] = w.as_of - timedelta(days=src.randint(22 * 365, 65 * 365))
    data, errors = rules.normalise_person(raw, w.as_of)
    if errors:  # never: the name pools are valid, and a unit test holds them to it
        raise ValueError(f"a generated person fails the registry's rules: {errors}")
    return pid, data, employer, current, former, src.moment(w.as_of - timedelta(
        days=src.randint(1, 900)))


@dataclass
class Cover:
    """What a block must still show: case states, (clearance status, regime) pairs."""

    states: list[CaseState]
    grants: list[tuple[ClearanceStatus, Regime]]


def _case(src: Source, w: World, rows: Rows, pid: str, employer: str, officer: str,
          cover: Cover) -> None:
    state = cover.states.pop() if cover.states else src.pick(CASE_STATES)
    government = employer not in w.cso  # an agency's own staff
    regime = Regime.SDS if src.chance(0.5 if government else 0.2) else Regime.CESI
    status = None
    if state is CaseState.GRANTED:
        status = src.pick(CLEARANCE_STATUSES)
        if cover.grants:
            status, regime = cover.grants.pop()
    sponsor, official, _ = src.choice(w.agencies)
    years = int(get_policy().clearance["validity_years"][regime.value])
    if status is ClearanceStatus.EXPIRED:
        decided = w.as_of - timedelta(days=years * 366 + src.randint(1, 900))
    elif state in (CaseState.GRANTED, CaseState.DENIED):
        decided = w.as_of - timedelta(days=src.randint(10, years * 365 - 10))
    else:
        decided = w.as_of - timedelta(days=src.randint(0, 10))  # not decided: now-ish
    submitted = decided - timedelta(days=src.randint(20, 120))
    consented = submitted - timedelta(days=src.randint(3, 30))
    created = consented - timedelta(days=src.randint(1, 14))
    case_id, inv = src.new_id(), None
    if state in INVESTIGATED:
        inv = src.new_id()
        rows.add("investigation", id=inv, person_id=pid, regime=regime.value,
                 investigator_id=w.investigator,
                 opened_at=src.moment(submitted + timedelta(days=2)),
                 completed_on=None if state is CaseState.INVESTIGATION
                 else decided - timedelta(days=6))
    is_decided = state in (CaseState.GRANTED, CaseState.DENIED)
    submitted_at = src.moment(submitted) if state in (CaseState.SUBMITTED,
                                                        *INVESTIGATED) else None
    decided_at = src.moment(decided) if is_decided else None
    consented_at = src.moment(consented) if state in CONSENTED or (
        state is CaseState.WITHDRAWN and src.chance(0.5)) else None
    last = decided_at or submitted_at or consented_at or src.moment(created)
    rows.add("clearance_case", id=case_id, person_id=pid, regime=regime.value,
             sponsor_id=sponsor, employer_id=employer, listed_by=officer, state=state.value,
             family_consent=consented_at is not None, declines_reasons=src.chance(0.1),
             investigation_id=inv, reused_investigation=False, renewal_of=None,
             questionnaire=None, decision_reasons=None, consented_at=consented_at,
             submitted_at=submitted_at, decided_at=decided_at,
             created_at=src.moment(created), updated_at=last, version=1)
    if status is None:
        return
    rows.add("clearance", id=src.new_id(), person_id=pid, case_id=case_id,
             regime=regime.value, sponsor_id=sponsor, granted_on=decided,
             valid_until=add_years(decided, years) - timedelta(days=1), status=status.value,
             updated_at=decided_at, version=1)
    if status is ClearanceStatus.ACTIVE:
        _cleared(src, w, rows, pid, employer, officer, official, regime, decided)
    if src.chance(0.02):
        departed = w.as_of - timedelta(days=src.randint(1, 1000))
        rows.add("departure", id=src.new_id(), person_id=pid, organisation_id=employer,
                 programme_id=None, departed_on=departed,
                 obligations="退職後も知り得た情報を漏らさない義務を負う",
                 follow_up_until=add_years(departed, 5) if regime is Regime.SDS else None,
                 recorded_by=w.window_officer, recorded_at=src.moment(departed))


def _cleared(src: Source, w: World, rows: Rows, pid: str, employer: str, officer: str,
             official: str, regime: Regime, granted: date) -> None:
    """An active holder: trained, perhaps in a programme and on the handler register."""
    refresher = max(granted, w.as_of - timedelta(days=src.randint(0, 360)))
    for kind, on in (("initial", granted), ("refresher", refresher)):
        rows.add("training_record", id=src.new_id(), person_id=pid, organisation_id=employer,
                 kind=kind, trained_on=on, recorded_by=officer, recorded_at=src.moment(on))
    if w.programmes and src.chance(0.3):
        programme = src.choice(w.programmes)[0]
        added = max(granted, w.as_of - timedelta(days=src.randint(1, 700)))
        ended = added + timedelta(days=src.randint(30, 300)) if src.chance(0.1) else None
        rows.add("programme_member", id=src.new_id(), programme_id=programme, person_id=pid,
                 added_on=added, added_by=official, briefed_on=added, nda_signed_on=added,
                 briefed_by=official, ended_on=ended if ended and ended < w.as_of else None,
                 debriefed_by=official if ended and ended < w.as_of else None)
    held = [h for h in w.held.get(employer, ())
            if REGIME_RANK[Regime(h[1])] <= REGIME_RANK[regime]]
    if held and src.chance(0.7):
        for item, _level, _compartments in src.sample(held, min(len(held), src.randint(1, 2))):
            rows.add("item_handler", id=src.new_id(), item_id=item, organisation_id=employer,
                     person_id=pid, added_on=max(granted, w.as_of - timedelta(days=300)),
                     added_by=officer, removed_on=None)


def _cui(src: Source, w: World, rows: Rows, pid: str, employer: str, officer: str) -> None:
    years = int(get_policy().clearance["cui_authorization_years"])
    granted = w.as_of - timedelta(days=src.randint(1, years * 365 - 1))
    revoked = src.chance(0.05)
    rows.add("cui_authorization", id=src.new_id(), person_id=pid, organisation_id=employer,
             identity_document="運転免許証", identity_checked_on=granted, trained_on=granted,
             agreement_signed_on=granted,
             last_training_on=max(granted, w.as_of - timedelta(days=src.randint(0, 330))),
             granted_on=granted, valid_until=add_years(granted, years) - timedelta(days=1),
             status="revoked" if revoked else "active", granted_by=officer,
             revoked_reason_length=12 if revoked else None, created_at=src.moment(granted))


def _assurance(src: Source, w: World, rows: Rows, pid: str, employer: str,
               country: str) -> None:
    """A partner national whose government assures their clearance; often visiting."""
    liaison, agreement = w.liaisons.get(country), w.agreements.get(country)
    if liaison is None or agreement is None:
        return
    agreement_id, to_hozen = agreement
    partner_level = src.choice(sorted(k for k, v in to_hozen.items() if v in ("CESI", "SDS")))
    submitted = w.as_of - timedelta(days=src.randint(1, 300))
    assurance = src.new_id()
    rows.add("foreign_assurance", id=assurance, kind="personnel", agreement_id=agreement_id,
             person_id=pid, organisation_id=employer, partner_level=partner_level,
             level=to_hozen[partner_level], valid_until=w.as_of + timedelta(
                 days=src.randint(30, 700)), reference=f"{country}-PCL-{src.randint(1, 99999):05d}",
             submitted_by=liaison, submitted_at=src.moment(submitted), withdrawn_at=None)
    if not (w.hosts and w.programmes) or not src.chance(0.5):
        return
    host = src.choice(w.hosts)
    programme = next((p for p in w.programmes if country in p[2]), w.programmes[0])[0]
    status = src.pick(VISIT_STATUSES)
    starts = w.as_of + timedelta(days=src.randint(-30, 60))
    requested = src.moment(min(starts, w.as_of) - timedelta(days=src.randint(1, 20)))
    decided = requested + timedelta(hours=src.randint(1, 72)) \
        if status in ("approved", "refused") else None
    fast = status == "approved" and src.chance(0.5)
    agency = w.agencies[0][1]  # the programme's agency decides (first: the window's)
    visit = src.new_id()
    rows.add("visit_request", id=visit, kind="one_time", programme_id=programme,
             host_organisation_id=host, area_id=w.areas[host][0][0], starts_on=starts,
             ends_on=starts + timedelta(days=src.randint(0, 20)), purpose="共同開発の設計審査",
             status=status, fast_path=fast, fast_path_reasons="",
             requested_by=liaison, requested_at=requested,
             agency_decided_by=agency if decided and not fast else None,
             agency_decided_at=decided if not fast else None,
             host_decided_by=w.cso.get(host) if decided and not fast else None,
             host_decided_at=decided if not fast else None,
             reasons="審査の結果、受入れを見送る" if status == "refused" else "",
             decided_at=decided)
    rows.add("visitor", id=src.new_id(), visit_id=visit, person_id=pid,
             assurance_id=assurance)
