"""Information items under a designation or marked CUI: their derived level, banner and
portion markings, and confidentiality label; checking a banner brought in from outside."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.audit.services import record
from hozen.db import get_by_id, is_id, new_id, split_list
from hozen.designations import markings, rules
from hozen.designations.models import Designation, Item
from hozen.designations.schemas import ItemCreate, ItemView
from hozen.designations.services import (
    GOVERNMENT_ROLES,
    _country_errors,
    access_designation,
    status_today,
)
from hozen.errors import NotFound, ValidationFailed
from hozen.paging import DEFAULT_PAGE, page
from hozen.policy import get_policy
from hozen.reciprocity import originator, outgoing
from hozen.reciprocity.models import Agreement

POLICY_ID = "JP-HOZEN-1"  # the label's policy identifier: this policy file
# The marking's attribute names as the item request calls them.
REQUEST_FIELDS = {"categories": "cui_categories", "rel_to": "releasable_to"}


def _marking(item: Item, level: str) -> markings.Marking | None:
    if level == "UNMARKED":
        return None
    return markings.Marking(
        level=level, categories=tuple(split_list(item.cui_categories)) if level == "CUI" else (),
        compartments=tuple(split_list(item.compartments)) if level != "CUI" else (),
        controls=tuple(c for c in split_list(item.controls)
                       if level == "CUI" or c not in markings.CUI_ONLY_CONTROLS),
        rel_to=tuple(split_list(item.releasable_to)),
        display_only=tuple(split_list(item.display_only)))


def item_view(session: Session, item: Item,
              agreements: dict[str, Agreement] | None = None) -> ItemView:
    d = session.get(Designation, item.designation_id) if item.designation_id else None
    status = status_today(d) if d else None
    level = rules.item_level(status, d.regime if d else None, bool(item.cui_categories),
                             lifted=item.lifted_on is not None)
    m = _marking(item, level)
    cats = get_policy().cui.specified
    alternatives = outgoing.item_alternative_labels(session, level, m.rel_to,
                                                    agreements) if m else []
    return ItemView(
        id=item.id, title=item.title, kind=item.kind, owner_id=item.owner_id,
        designation_id=item.designation_id, level=level,
        designation_status=status.value if status else None, lifted_on=item.lifted_on,
        banner=markings.banner(m, cats) if m else None,
        portion=markings.portion(m, cats) if m else None, tlp=item.tlp,
        label=markings.confidentiality_label(m, policy_id=POLICY_ID, created=item.created_at,
                                             categories=cats, tlp=item.tlp,
                                             alternatives=alternatives) if m else None)


def create_item(session: Session, data: ItemCreate, *, actor: Actor) -> Item:
    """The designating agency registers an item under one of its designations, or a CUI
    item of its own; the marking's attributes are checked like an imported banner."""
    actor.require(Permission.DESIGNATIONS_ITEM_WRITE)
    if data.banner is not None:
        data = _from_banner(data)
    errors: list[tuple[str, str]] = []
    regime = "CUI" if data.cui_categories else None
    if data.designation_id:
        try:
            d = access_designation(session, actor, data.designation_id)
        except NotFound:
            raise ValidationFailed([("designation_id", "designation_unknown")]) from None
        if not rules.classified(status_today(d)):
            errors.append(("designation_id", "designation_not_classifying"))
        if d.agency_id != actor.organisation_id:
            errors.append(("designation_id", "designating_agency_required"))
        if data.banner is not None and _level_of(data.banner) != d.regime:
            errors.append(("banner", "banner_level_mismatch"))
        errors += originator.releasability_errors(session, "releasable_to", d,
                                                  data.releasable_to)
        regime = d.regime
    if regime is not None:
        m = markings.Marking(regime, tuple(data.cui_categories), tuple(data.compartments),
                             tuple(data.controls), tuple(data.releasable_to),
                             tuple(data.display_only))
        errors += [(REQUEST_FIELDS.get(field, field), code) for field, code in
                   markings.marking_errors(m, get_policy().cui.specified)]
    else:  # an unmarked item carries no marking at all
        errors += [(field, "marking_invalid") for field in
                   ("controls", "compartments", "releasable_to", "display_only")
                   if getattr(data, field)]
    errors += _country_errors(session, "releasable_to", data.releasable_to)
    errors += _country_errors(session, "display_only", data.display_only)
    if errors:
        raise ValidationFailed(list(dict.fromkeys(errors)))
    item = Item(id=new_id(), title=data.title, kind=data.kind, owner_id=actor.organisation_id,
                designation_id=data.designation_id,
                cui_categories=",".join(sorted(set(data.cui_categories))),
                controls=",".join(sorted(set(data.controls))),
                compartments=",".join(sorted(set(data.compartments))),
                releasable_to=",".join(sorted(set(data.releasable_to))),
                display_only=",".join(sorted(set(data.display_only))), tlp=data.tlp,
                created_by=actor.id)
    session.add(item)
    session.flush()
    record(session, actor=actor.audit_name, tag="designations:item:create",
           subject_type="information_item", subject_id=item.id,
           details={"designation": item.designation_id})
    return item


def _level_of(banner: str) -> str:
    return markings.BANNER_LEVELS.get(banner.split("//", 1)[0], "")


def _from_banner(data: ItemCreate) -> ItemCreate:
    """Attributes from a banner brought in from outside: parsed strictly, refused with the
    position of the first error; a banner and attributes together are refused."""
    given = [f for f in ("cui_categories", "controls", "compartments", "releasable_to",
                         "display_only") if getattr(data, f)]
    if given:
        raise ValidationFailed([(f, "banner_with_attributes") for f in given])
    try:
        m = markings.parse_banner(data.banner, get_policy().cui.specified)
    except markings.MarkingError as exc:
        raise ValidationFailed([("banner", exc.code)], position=exc.position) from exc
    if m.level != "CUI" and not data.designation_id:
        raise ValidationFailed([("banner", "banner_level_mismatch")])
    if m.level == "CUI" and not m.categories:  # an item is CUI through its categories
        raise ValidationFailed([("banner", "cui_category_required")])
    return data.model_copy(update={
        "cui_categories": list(m.categories), "controls": list(m.controls),
        "compartments": list(m.compartments), "releasable_to": list(m.rel_to),
        "display_only": list(m.display_only)})


def read_item(session: Session, item_id: str, *, actor: Actor) -> ItemView:
    actor.require(Permission.DESIGNATIONS_READ)
    item = get_by_id(session, Item, item_id) if is_id(item_id) else None
    if item is None:
        raise NotFound("item not found")
    if item.designation_id:
        access_designation(session, actor, item.designation_id)  # same scope
    elif not (actor.is_system or actor.roles & GOVERNMENT_ROLES
              or actor.organisation_id == item.owner_id):
        raise NotFound("item not found")
    return item_view(session, item)


def list_items(session: Session, designation_id: str, *, actor: Actor,
               cursor: str | None = None,
               limit: int = DEFAULT_PAGE) -> tuple[list[ItemView], str | None]:
    """A page of the designation's items in id order, and the cursor of the next page."""
    d = access_designation(session, actor, designation_id)
    rows, nxt = page(session, select(Item).where(Item.designation_id == d.id), [Item.id],
                     cursor=cursor, limit=limit)
    # the agreements their REL TO names, read once a page (their alternative labels)
    partners = {c for i in rows for c in split_list(i.releasable_to)}
    agreements = {a.partner: a for a in session.scalars(select(Agreement).where(
        Agreement.partner.in_(partners)))} if partners else {}
    return [item_view(session, i, agreements) for i in rows], nxt


def check_banner(text: str) -> dict:
    """Parse a banner brought in from outside: its attributes, or the error's position."""
    try:
        m = markings.parse_banner(text, get_policy().cui.specified)
    except markings.MarkingError as exc:
        raise ValidationFailed([("banner", exc.code)], position=exc.position) from exc
    return {"level": m.level, "categories": list(m.categories),
            "compartments": list(m.compartments), "controls": list(m.controls),
            "rel_to": list(m.rel_to), "display_only": list(m.display_only)}

