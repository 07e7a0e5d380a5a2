"""The candidate list (名簿) as a CSV file: one row per candidate, in the columns of the
template (Japanese or English headings), UTF-8 or Shift_JIS as spreadsheets save it.
Every row is checked; a file with any bad row lists nobody and reports each row's errors
by line number and column, so the officer corrects the file and uploads it again."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from hozen.accounts.actor import Actor
from hozen.accounts.permissions import Permission
from hozen.clearances import services
from hozen.clearances.models import ClearanceCase
from hozen.clearances.schemas import CandidateCreate
from hozen.csvio import parse_headings, row_values
from hozen.errors import ValidationFailed, validate
from hozen.policy import get_policy
from hozen.registry import search
from hozen.registry import services as registry
from hozen.registry.schemas import PersonCreate
from hozen.text import parse_date

# column -> the headings accepted for it (the first is the template's)
COLUMNS: dict[str, tuple[str, ...]] = {
    "family_name_kanji": ("family_name_kanji", "姓", "氏"),
    "given_name_kanji": ("given_name_kanji", "名"),
    "family_name_kana": ("family_name_kana", "セイ", "姓（カナ）", "姓(カナ)"),
    "given_name_kana": ("given_name_kana", "メイ", "名（カナ）", "名(カナ)"),
    "family_name_latin": ("family_name_latin", "family name", "姓（ローマ字）"),
    "given_name_latin": ("given_name_latin", "given name", "名（ローマ字）"),
    "birth_date": ("birth_date", "生年月日", "date of birth"),
    "nationalities": ("nationalities", "国籍", "nationality"),
    "department": ("department", "部署", "所属"),
    "title": ("title", "役職", "職名"),
}
REQUIRED = ("birth_date", "nationalities")
TEMPLATE = ",".join(names[1] for names in COLUMNS.values()) + "\r\n"


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) or Shift_JIS (cp932); anything else, e.g. the UTF-16
    of a spreadsheet's "Unicode text", is refused rather than misread."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        raise ValidationFailed([("file", "csv_encoding")])
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed([("file", "csv_encoding")])


def read_rows(text: str, max_rows: int) -> list[tuple[int, dict[str, str]]]:
    """(line number, values by column) for each non-blank row; bad headings refused."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        raise ValidationFailed([("file", "csv_malformed")]) from None
    if not rows:
        raise ValidationFailed([("file", "csv_empty")])
    header = parse_headings(rows[0], COLUMNS, REQUIRED)
    out = [(line, values) for line, row in enumerate(rows[1:], start=2)
           if (values := row_values(header, row)) is not None]
    if not out:
        raise ValidationFailed([("file", "csv_empty")])
    if len(out) > max_rows:
        raise ValidationFailed([("file", "csv_too_many_rows")])
    return out


def _person_values(values: dict[str, str], employer_id: str) -> dict:
    person = {c: values.get(c) or None for c in COLUMNS if c != "nationalities"}
    person["nationalities"] = [n.strip().upper() for n in
                               values.get("nationalities", "").replace("、", ";")
                               .replace(",", ";").replace(" ", ";").split(";") if n.strip()]
    person["employer_id"] = employer_id
    return person


def _existing(session: Session, actor: Actor, data: PersonCreate) -> str | None:
    """The registry's record of this candidate at this employer: exactly one person with
    the same full name (both kanji names, else both Latin names) and birth date. A family
    name alone never matches; a birth date that does not parse is left to registration,
    which reports it with the row's other errors."""
    if data.family_name_kanji and data.given_name_kanji:
        name = f"{data.family_name_kanji} {data.given_name_kanji}"
    elif data.family_name_latin and data.given_name_latin:
        name = f"{data.family_name_latin} {data.given_name_latin}"
    else:
        return None
    try:
        parse_date(data.birth_date)
    except ValueError:
        return None
    found, _ = search.list_people(session, actor=actor, q=name, birth_date=data.birth_date,
                                  employer_id=data.employer_id, limit=2)
    return found[0].id if len(found) == 1 else None


def import_candidates(session: Session, raw: bytes, regime: str, sponsor_id: str, *,
                      actor: Actor) -> list[ClearanceCase]:
    """List every row's person for `regime` and `sponsor_id`, registering people not yet
    on record. Any error: nothing is listed (the caller's transaction rolls back) and
    every bad row is reported as `rows.<line>.<column>`."""
    actor.require(Permission.CLEARANCES_CANDIDATE_CREATE)
    actor.require(Permission.REGISTRY_PERSON_WRITE)
    if not actor.organisation_id:
        raise ValidationFailed([("file", "no_organisation")])
    validate(CandidateCreate, {"person_id": actor.organisation_id, "regime": regime,
                               "sponsor_id": sponsor_id})  # the list's own fields first
    errors: list[tuple[str, str]] = []
    rows = read_rows(decode(raw), int(get_policy().clearance["candidate_csv_max_rows"]))
    cases: list[ClearanceCase] = []
    for line, values in rows:
        prefix = f"rows.{line}."
        try:
            data = validate(PersonCreate, _person_values(values, actor.organisation_id),
                            prefix=prefix, whole_path=False)
        except ValidationFailed as exc:
            errors += exc.errors
            continue
        try:
            person_id = _existing(session, actor, data) or \
                registry.create_person(session, data, actor=actor).id
            cases.append(services.list_candidate(session, CandidateCreate(
                person_id=person_id, regime=regime, sponsor_id=sponsor_id), actor=actor))
        except ValidationFailed as exc:
            for field, code in exc.errors:
                # a person already listed: the row as a whole, not a column of the file
                errors.append((field if field == "sponsor_id" else
                               prefix.rstrip(".") if field == "person_id" else prefix + field,
                               code))
            if any(field == "sponsor_id" for field, _ in exc.errors):
                break  # the same for every row
    if errors:
        raise ValidationFailed(list(dict.fromkeys(errors)))
    return cases
