"""Designations in every status, with their holders and proposals, and the K information
items: most under a designation (with compartments and releasability), the rest CUI or
unmarked. Streamed: yields the rows a batch at a time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from hozen.clearances.rules import add_years
from hozen.designations.rules import Status
from hozen.policy import get_policy
from hozen.synth import names
from hozen.synth.rows import Rows
from hozen.synth.source import ITEMS_MS, Source
from hozen.synth.world import World

BLOCK = 100  # designations drawn from one RNG
UNDESIGNATED_BLOCK = 1_000
CLASSIFIED_SHARE, CUI_SHARE = 0.75, 0.15  # of the items; the rest are unmarked
HELD_SAMPLE = 8  # classified items remembered per holder, for the handler register
STATUSES = {Status.IN_FORCE: 65, Status.PROPOSED: 6, Status.PROVISIONAL: 4,
            Status.PENDING_DISPOSITION: 5, Status.LIFTED: 8, Status.DOWNGRADED: 4,
            Status.REJECTED: 3}
SCOPE_KINDS = {"programme": 3, "technology": 5, "organisation": 2}


def designation_count(items: int) -> int:
    """About a hundred items a designation, and at least one in each status."""
    return max(len(STATUSES), round(items * CLASSIFIED_SHARE) // 100)


def stream(seed: int, items: int, w: World, batch: int) -> Iterator[Rows]:
    """Rows of designations and items, about `batch` items at a time."""
    d_total, classified = designation_count(items), round(items * CLASSIFIED_SHARE)
    refs: dict[tuple[str, int], int] = {}
    cover = list(STATUSES)  # the first designations take every status
    rows, made = Rows(), 0
    each, extra = divmod(classified, d_total)
    for d in range(d_total):
        if d % BLOCK == 0:  # ids after those of the items before: in order of making
            src = Source(seed, f"designations/{d // BLOCK}",
                         ITEMS_MS + d * 8 + d * each + min(d, extra))
        n_items = each + (1 if d < extra else 0)
        _designation(src, w, rows, refs, n_items, cover.pop() if cover else None)
        made += n_items
        if made >= batch:
            yield rows
            rows, made = Rows(), 0
    rest = items - classified
    n_cui = round(items * CUI_SHARE)
    for i in range(rest):
        if i % UNDESIGNATED_BLOCK == 0:
            src = Source(seed, f"items/{i // UNDESIGNATED_BLOCK}",
                         ITEMS_MS + d_total * 8 + classified + i)
        _undesignated(src, w, rows, cui=i < n_cui)
        made += 1
        if made >= batch:
            yield rows
            rows, made = Rows(), 0
    if made or rows.tables():
        yield rows


def _reference(refs: dict[tuple[str, int], int], regime: str, on: date) -> str:
    """指定番号 as the service numbers them: regime, year, a number within the year."""
    n = refs[regime, on.year] = refs.get((regime, on.year), 0) + 1
    return f"{regime}-{on.year}-{n:04d}"


def _terms(src: Source, status: Status, as_of: date) -> dict:
    """Dates of a designation in `status` on `as_of`."""
    if status in (Status.PROPOSED, Status.REJECTED):
        start = as_of + timedelta(days=src.randint(1, 60))
        return dict(first_start=None, term_start=start, term_end=add_years(start, 5) -
                    timedelta(days=1), next_review_on=None, created=as_of -
                    timedelta(days=src.randint(1, 40)))
    if status is Status.PROVISIONAL:
        start = as_of - timedelta(days=src.randint(0, 80))
        return dict(first_start=start, term_start=start, term_end=add_years(start, 5) -
                    timedelta(days=1), next_review_on=start + timedelta(days=365),
                    created=start, confirm_by=start + timedelta(days=90), provisional=True)
    if status is Status.PENDING_DISPOSITION:  # the term ran out, neither renewed nor lifted
        end = as_of - timedelta(days=src.randint(1, 120))
        start = add_years(end + timedelta(days=1), -5)
        return dict(first_start=start, term_start=start, term_end=end,
                    next_review_on=end, created=start - timedelta(days=30))
    first = as_of - timedelta(days=src.randint(30, 4000))
    start = first
    while add_years(start, 5) <= as_of:  # renewed term by term
        start = add_years(start, 5)
    out = dict(first_start=first, term_start=start,
               term_end=add_years(start, 5) - timedelta(days=1),
               next_review_on=as_of + timedelta(days=src.randint(-20, 365)),
               created=first - timedelta(days=30))
    if status is Status.LIFTED:
        out.update(lifted_on=as_of - timedelta(days=src.randint(1, 25)), next_review_on=None)
    return out


def _designation(src: Source, w: World, rows: Rows, refs: dict, n_items: int,
                 status: Status | None) -> None:
    categories = get_policy().designation_categories
    agency, official, approver = src.choice(w.agencies)
    status = status or src.pick(STATUSES)
    regime = "SDS" if src.chance(0.3) else "CESI"
    category = src.choice(sorted(categories[regime]))
    scope_kind = src.pick(SCOPE_KINDS)
    programme = src.choice(w.programmes) if w.programmes else None
    subject = src.choice(names.DESIGNATION_SUBJECTS)
    scope = {"programme": programme[1] if programme else "GEN", "technology": subject,
             "organisation": "指定書記載の部署"}[scope_kind]
    partners = w.partners
    releasable = sorted(src.sample(partners, src.randint(0, min(2, len(partners)))))
    t = _terms(src, status, w.as_of)
    created = t.pop("created")
    did = src.new_id()
    rows.add("designation", id=did, reference=_reference(refs, regime, created), title=subject,
             agency_id=agency, manager_id=official, regime=regime, category=category,
             reasons="公になれば我が国の安全保障に著しい支障を与えるおそれがあるため",
             scope_kind=scope_kind, scope=scope, releasable_to=",".join(releasable),
             originator_country=(src.choice(partners) if category == "foreign_government"
                                 and partners else None),
             status=status.value, provisional=t.pop("provisional", False),
             confirm_by=t.pop("confirm_by", None), lifted_on=t.pop("lifted_on", None),
             cabinet_approved=False, cabinet_reasons=None, created_by=official,
             created_at=src.moment(created), version=1, **t)
    holders = sorted(src.sample(w.hosts, min(len(w.hosts), src.randint(1, 3))))
    for org in holders:
        rows.add("designation_holder", id=src.new_id(), designation_id=did, organisation_id=org)
    outcome = {Status.PROPOSED: "open", Status.PROVISIONAL: "open",
               Status.REJECTED: "rejected"}.get(status, "approved")
    decided = outcome != "open"
    rows.add("designation_proposal", id=src.new_id(), designation_id=did, kind="designate",
             status=outcome, term_end=t["term_end"], cabinet_reasons=None,
             reasons="指定の必要性", experts="", category=None, scope_kind=None, scope=None,
             holders=None, releasable_to=None, items=None, proposed_by=official,
             proposed_at=src.moment(created), decided_by=approver if decided else None,
             decided_at=src.moment(created + timedelta(days=14)) if decided else None,
             decision_reasons="必要性を確認" if decided else None)
    classified = status in (Status.IN_FORCE, Status.PROVISIONAL)
    for n in range(n_items):
        kind_ja, kind = src.choice(names.ITEM_KINDS)
        owner = src.choice(holders) if holders and src.chance(0.6) else agency
        compartments = [programme[1]] if scope_kind == "programme" and programme else (
            [src.choice(w.programmes)[1]] if w.programmes and src.chance(0.1) else [])
        iid = src.new_id()
        rows.add("information_item", id=iid, title=f"{subject} {kind_ja} 第{n + 1}版",
                 kind=kind, owner_id=owner, designation_id=did, cui_categories="",
                 controls="", compartments=",".join(compartments),
                 releasable_to=",".join(r for r in releasable if src.chance(0.8)),
                 display_only="", tlp=None, lifted_on=None, lifted_by_proposal=None,
                 created_by=official, created_at=src.moment(created + timedelta(days=20)))
        if classified:
            for org in holders:
                held = w.held.setdefault(org, [])
                if len(held) < HELD_SAMPLE:
                    held.append((iid, regime, tuple(compartments)))


def _undesignated(src: Source, w: World, rows: Rows, *, cui: bool) -> None:
    categories = sorted(get_policy().cui.categories)
    owner = src.choice(w.domestic) if w.domestic and src.chance(0.7) else src.choice(
        w.agencies)[0]
    kind_ja, kind = src.choice(names.ITEM_KINDS)
    subject = src.choice(names.DESIGNATION_SUBJECTS)
    rows.add("information_item", id=src.new_id(), title=f"{subject} {kind_ja}", kind=kind,
             owner_id=owner, designation_id=None,
             cui_categories=",".join(sorted(src.sample(categories, src.randint(1, 2))))
             if cui else "", controls="", compartments="", releasable_to="",
             display_only="", tlp=None, lifted_on=None, lifted_by_proposal=None,
             created_by=w.cso.get(owner) or w.agencies[0][1],
             created_at=src.moment(w.as_of - timedelta(days=src.randint(1, 1500))))
