"""Bulk import of organisations and their ownership from a legacy system's CSV file
(`hozen import FILE --kind organisations`), on the framework of `hozen.registry.importing`:
streamed, batches written whole or not at all, rejected rows reported by line and column,
resumed by the file's digest.

Each row goes through the registry's own services, exactly as an organisation and its
holdings created through the API: `create_organisation` (kind, country, check digit of
the corporate number, a number registered once) and `create_ownership` (percentages,
totals at most 100%, one holding per owner), each audited. A row is written whole or
not at all (a savepoint per row): an organisation whose holding is refused is not
created either.

Parents and owners are named by corporate number (法人番号) and must already be in the
registry or come on an EARLIER line of the file: a row cannot wait for a later one,
since a batch is final when it commits. A legacy system's export lists owners first (its
ownership graph is ordered by a walk from the top); a reference to a later line is
rejected as `organisation_unknown`. The second holding of a cross-holding (A owns B, B
owns A) therefore goes through the API after the import.

Owners are written `corporate number:share%[:voting%]`, several separated by ';' or '|'
(voting defaults to the share), e.g. `1234567890123:40;7000012050002:10.5:12`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.errors import ValidationFailed, validate
from hozen.registry import ownership, rules
from hozen.registry import services as registry
from hozen.registry.importing import Importer, Outcome, Pending
from hozen.registry.models import Organisation
from hozen.registry.schemas import OrganisationCreate, OwnershipCreate

COLUMNS: dict[str, tuple[str, ...]] = {
    "name_ja": ("name_ja", "名称", "法人名", "商号"),
    "name_en": ("name_en", "英文名称", "english name", "name (english)"),
    "kind": ("kind", "種別"),
    "corporate_number": ("corporate_number", "法人番号", "corporate number"),
    "country_code": ("country_code", "国", "所在国", "country"),
    "parent_corporate_number": ("parent_corporate_number", "親法人番号", "親会社法人番号",
                                "parent corporate number"),
    "owners": ("owners", "株主", "出資者", "shareholders"),
}
REQUIRED = ("name_ja", "name_en", "kind", "country_code")
# The services' fields, named by the file's columns
_COLUMN_OF = {"parent_id": "parent_corporate_number", "owner_organisation_id": "owners",
              "owned_id": "owners", "share_pct": "owners", "voting_pct": "owners"}


def parse_owners(text: str) -> list[tuple[str, Decimal, Decimal]] | None:
    """(corporate number, share %, voting %) of each owner written in the column, or
    None when the column is not in that form."""
    owners = []
    for part in text.replace("|", ";").split(";"):
        if not part.strip():
            continue
        fields = [f.strip() for f in part.split(":")]
        if len(fields) not in (2, 3) or not fields[0]:
            return None
        try:
            share = Decimal(fields[1])
            voting = Decimal(fields[2]) if len(fields) == 3 else share
        except InvalidOperation:
            return None
        if not (share.is_finite() and voting.is_finite()):
            return None
        owners.append((fields[0], share, voting))
    return owners


def _by_number(session: Session, value: str, column: str) -> str:
    """The id of the organisation with this corporate number; ValidationFailed naming
    the column otherwise."""
    number, errors = rules.check_corporate_number(value)
    if errors:
        raise ValidationFailed([(column, code) for _, code in errors])
    org_id = session.scalar(select(Organisation.id).where(
        Organisation.corporate_number == number))
    if org_id is None:
        raise ValidationFailed([(column, "organisation_unknown")])
    return org_id


def _import_row(session: Session, raw: dict[str, str], actor: Actor) -> str:
    """Create one row's organisation and holdings through the registry's services."""
    errors: list[tuple[str, str]] = []
    owners = parse_owners(raw.get("owners", ""))
    if owners is None:
        errors.append(("owners", "owners_invalid"))
    values = {c: raw.get(c) or None for c in ("kind", "name_ja", "name_en", "country_code",
                                              "corporate_number")}
    if parent := raw.get("parent_corporate_number"):
        try:
            values["parent_id"] = _by_number(session, parent, "parent_corporate_number")
        except ValidationFailed as exc:
            errors += exc.errors
    try:
        data = validate(OrganisationCreate, values, whole_path=False)
    except ValidationFailed as exc:
        errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    org = registry.create_organisation(session, data, actor=actor)
    for number, share, voting in owners:
        holding = validate(OwnershipCreate, {
            "owned_id": org.id, "owner_organisation_id": _by_number(session, number, "owners"),
            "share_pct": share, "voting_pct": voting}, whole_path=False)
        ownership.create_ownership(session, holding, actor=actor)
    return org.id


def write(session: Session, pending: Pending, actor: Actor) -> Outcome:
    created: list[str] = []
    rejects: list[tuple[int, str, str]] = []
    for line, raw in pending:
        row = session.begin_nested()
        try:
            created.append(_import_row(session, raw, actor))
        except ValidationFailed as exc:
            row.rollback()
            rejects += [(line, _COLUMN_OF.get(field, field), code)
                        for field, code in exc.errors]
        else:
            row.commit()
    return Outcome(created, rejects)


ORGANISATIONS = Importer(
    "organisations", Permission.REGISTRY_ORGANISATION_WRITE, COLUMNS, REQUIRED,
    "registry:organisation:import", load=lambda session: None,
    prepare=lambda pending, _context, _today: pending, write=write)
