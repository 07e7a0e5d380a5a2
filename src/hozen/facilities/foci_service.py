"""FOCI from the database: the ownership graph above an organisation (read up its owners,
any depth, cycles included), its latest board and debt/revenue declaration and its
mitigation instruments, assessed by the pure rules in foci.py and rules.py; the
ownership picture. Persons who own shares appear only by nationality."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.db import get_by_id, is_id, new_id, utcnow
from hozen.errors import NotFound, ValidationFailed
from hozen.facilities import foci, rules
from hozen.facilities import picture as drawing
from hozen.facilities.models import Facility, FociDeclaration, FociMitigation
from hozen.facilities.schemas import (
    Exposure,
    FociDeclare,
    FociView,
    MitigationCreate,
)
from hozen.facilities.scope import sees_organisation
from hozen.policy import get_policy
from hozen.registry.models import Country, Organisation, OwnershipEdge, PersonNationality

MAX_ORGANISATIONS = 20_000  # the graph above one organisation, read level by level


def _organisation(session: Session, actor: Actor, organisation_id: str) -> Organisation:
    if not actor.can(Permission.FACILITIES_READ) or not is_id(organisation_id):
        raise NotFound("organisation not found")
    org = get_by_id(session, Organisation, organisation_id)
    if org is None or not sees_organisation(actor, org.id):
        raise NotFound("organisation not found")
    return org


def _graph(session: Session, target: Organisation
           ) -> tuple[foci.OwnershipGraph, dict[str, Organisation], list[OwnershipEdge]]:
    """The organisations that own the target, directly or through others, with every
    holding among them; foreign organisations end a chain (foci.py)."""
    foreign_kinds = set(get_policy().registry["foreign_kinds"])
    orgs: dict[str, Organisation] = {target.id: target}
    edges: list[OwnershipEdge] = []
    frontier = [target.id]
    while frontier and len(orgs) < MAX_ORGANISATIONS:
        found = list(session.scalars(select(OwnershipEdge).where(
            OwnershipEdge.owned_id.in_(frontier))))
        edges += found
        new = {e.owner_organisation_id for e in found if e.owner_organisation_id} - set(orgs)
        for o in session.scalars(select(Organisation).where(Organisation.id.in_(new))):
            orgs[o.id] = o
        frontier = [i for i in new if orgs[i].country_code == foci.DOMESTIC
                    and orgs[i].kind not in foreign_kinds]
    person_ids = {e.owner_person_id for e in edges if e.owner_person_id}
    nationalities: dict[str, set[str]] = {p: set() for p in person_ids}
    former: dict[str, set[str]] = {p: set() for p in person_ids}
    for n in session.scalars(select(PersonNationality).where(
            PersonNationality.person_id.in_(person_ids))):
        (nationalities if n.status == "current" else former)[n.person_id].add(n.country_code)
    graph = foci.OwnershipGraph(
        organisations=[foci.Organisation(o.id, o.country_code) for o in orgs.values()],
        persons=[foci.Person(p, frozenset(nationalities[p] or former[p] or {foci.DOMESTIC}))
                 for p in sorted(person_ids)],
        holdings=[foci.Holding(e.owner_organisation_id or e.owner_person_id, e.owned_id,
                               e.share_pct, e.voting_pct) for e in edges])
    return graph, orgs, edges


def _declaration(session: Session, organisation_id: str) -> FociDeclaration | None:
    return session.scalar(select(FociDeclaration).where(
        FociDeclaration.organisation_id == organisation_id)
        .order_by(FociDeclaration.declared_at.desc(), FociDeclaration.id.desc()).limit(1))


def _mitigations(session: Session, organisation_id: str, on: date) -> list[FociMitigation]:
    return list(session.scalars(select(FociMitigation).where(
        FociMitigation.organisation_id == organisation_id,
        or_(FociMitigation.ended_on.is_(None), FociMitigation.ended_on > on))
        .order_by(FociMitigation.signed_on)))


def _assessment(session: Session, org: Organisation) -> tuple[foci.Assessment, foci.OwnershipGraph,
                                                              dict, list]:
    graph, orgs, edges = _graph(session, org)
    exposure = foci.effective_foreign(graph, [org.id])[org.id]
    declared = _declaration(session, org.id)
    board = [foci.Person(f"seat-{i}", frozenset(seat))
             for i, seat in enumerate(json.loads(declared.board) if declared else [])]
    assessment = foci.assess(
        exposure, board, declared.foreign_debt_pct if declared else None,
        declared.foreign_revenue_pct if declared else None,
        foci.Thresholds.from_policy(get_policy().foci))
    return assessment, graph, orgs, edges


def _situation(a: foci.Assessment) -> rules.FociSituation:
    control = float(get_policy().foci["control_pct"])
    return rules.foci_situation(a.exposure.total_share_pct, a.exposure.total_voting_pct,
                                bool(a.foreign_board_ids), control_pct=control)


def gate_for(session: Session, f: Facility) -> rules.Foci:
    """The FOCI facts a certification (and later an access decision) is gated on."""
    org = session.get(Organisation, f.organisation_id)
    a, *_ = _assessment(session, org)
    return rules.Foci(flagged=a.flagged,
                      mitigations=frozenset(m.instrument for m in _mitigations(
                          session, org.id, utcnow().date())),
                      situation=_situation(a), ntib_only=a.ntib_only,
                      national_interest_approved=f.national_interest_on is not None)


def assess(session: Session, organisation_id: str, *, actor: Actor) -> FociView:
    org = _organisation(session, actor, organisation_id)
    a, graph, orgs, _ = _assessment(session, org)
    e = a.exposure
    mitigations = _mitigations(session, org.id, utcnow().date())
    situation = _situation(a)
    gate = {level: [code for _, code in rules.foci_gate(
        a.flagged, {m.instrument for m in mitigations}, level, a.ntib_only, False,
        situation=situation)] for level in rules.CERT_LEVELS}
    paths = foci.foreign_paths(graph, org.id)
    declared = _declaration(session, org.id)
    seats = json.loads(declared.board) if declared else []
    return FociView(
        organisation_id=org.id, flagged=a.flagged, reasons=list(a.reasons) + list(a.notices),
        situation=situation.value, total_share_pct=e.total_share_pct,
        total_voting_pct=e.total_voting_pct,
        countries=[Exposure(country=c, share_pct=e.share_pct.get(c, 0.0),
                            voting_pct=e.voting_pct.get(c, 0.0)) for c in e.countries],
        foreign_board_members=len(a.foreign_board_ids), board_seats=len(seats),
        foreign_debt_pct=float(a.declared_debt_pct or 0),
        foreign_revenue_pct=float(a.declared_revenue_pct or 0), ntib_only=a.ntib_only,
        mitigations=[{"id": m.id, "instrument": m.instrument, "reference": m.reference,
                      "terms": m.terms, "signed_on": m.signed_on} for m in mitigations],
        gate=gate,
        paths=[{"ids": list(p.ids), "names": [_label(orgs, i) for i in p.ids],
                "countries": list(p.countries), "share_pct": p.share_pct,
                "voting_pct": p.voting_pct} for p in paths.paths])


def _label(orgs: dict[str, Organisation], node_id: str, countries=()) -> str:
    """An organisation's name; a person only as a shareholder of their nationalities."""
    if node_id in orgs:
        return orgs[node_id].name_ja
    return "個人株主" + (f" ({', '.join(countries)})" if countries else "")


def picture(session: Session, organisation_id: str, *, actor: Actor) -> bytes:
    org = _organisation(session, actor, organisation_id)
    graph, orgs, edges = _graph(session, org)
    persons = {p.id: sorted(p.nationalities) for p in graph.persons}
    nodes = [drawing.Node(o.id, o.name_ja, o.country_code,
                          "target" if o.id == org.id else "organisation")
             for o in orgs.values()]
    nodes += [drawing.Node(pid, _label(orgs, pid, nats), (nats or [foci.DOMESTIC])[0],
                           "person") for pid, nats in persons.items()]
    drawn = [drawing.Edge(e.owner_organisation_id or e.owner_person_id, e.owned_id,
                          float(e.share_pct), float(e.voting_pct)) for e in edges]
    paths = [p.ids for p in foci.foreign_paths(graph, org.id).paths]
    return drawing.ownership_svg(nodes, drawn, org.id, paths,
                                 title=f"{org.name_ja} の資本関係")


# --- declarations and mitigations ------------------------------------------------------------


def declare(session: Session, organisation_id: str, data: FociDeclare, *,
            actor: Actor) -> FociDeclaration:
    """The business's security officer declares its board and foreign debt and revenue."""
    actor.require(Permission.FACILITIES_FOCI_DECLARE)
    org = _organisation(session, actor, organisation_id)
    known = set(session.scalars(select(Country.code)))
    errors = [(f"board.{i}.{j}", "country_unknown") for i, seat in enumerate(data.board)
              for j, c in enumerate(seat) if c not in known]
    if errors:
        raise ValidationFailed(errors)
    d = FociDeclaration(id=new_id(), organisation_id=org.id,
                        board=json.dumps([sorted(set(s)) for s in data.board]),
                        foreign_debt_pct=data.foreign_debt_pct,
                        foreign_revenue_pct=data.foreign_revenue_pct, declared_by=actor.id)
    session.add(d)
    session.flush()
    record(session, actor=actor.audit_name, tag="facilities:foci:declare",
           subject_type="organisation", subject_id=org.id,
           details={"declaration": d.id, "seats": len(data.board)})
    return d


def record_mitigation(session: Session, organisation_id: str, data: MitigationCreate, *,
                      actor: Actor) -> FociMitigation:
    """The agency records an instrument it concluded with the business."""
    actor.require(Permission.FACILITIES_FOCI_MITIGATE)
    org = _organisation(session, actor, organisation_id)
    if data.signed_on > utcnow().date():
        raise ValidationFailed([("signed_on", "date_in_future")])
    m = FociMitigation(id=new_id(), organisation_id=org.id, instrument=data.instrument,
                       reference=data.reference, terms=data.terms, signed_on=data.signed_on,
                       recorded_by=actor.id)
    session.add(m)
    session.flush()
    record(session, actor=actor.audit_name, tag="facilities:foci:mitigate",
           subject_type="organisation", subject_id=org.id,
           details={"mitigation": m.id, "instrument": m.instrument})
    return m
