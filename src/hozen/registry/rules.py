"""Pure rules of the registry: normalising and validating people, organisations and
ownership. Errors are (field, code) pairs; `hozen.messages` words them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.jp import cn as corporate_number

from hozen.text import is_katakana, is_latin_name, normalize, parse_date, to_katakana

NAME_FIELDS = (
    "family_name_kanji", "given_name_kanji",
    "family_name_kana", "given_name_kana",
    "family_name_latin", "given_name_latin",
)
EARLIEST_BIRTH = date(1900, 1, 1)

Errors = list[tuple[str, str]]


@dataclass(frozen=True)
class PersonData:
    """The personal fields of a person after normalisation (all encrypted at rest)."""

    family_name_kanji: str | None
    given_name_kanji: str | None
    family_name_kana: str | None
    given_name_kana: str | None
    family_name_latin: str | None
    given_name_latin: str | None
    birth_date: date
    department: str | None
    title: str | None


def _clean(value: object) -> str | None:
    if value is None:
        return None
    s = normalize(str(value))
    return s or None


def normalise_person(raw: Mapping[str, object], today: date) -> tuple[PersonData | None, Errors]:
    """Normalise (NFKC, kana to katakana) and validate; either data or errors."""
    errors: Errors = []
    v = {f: _clean(raw.get(f)) for f in (*NAME_FIELDS, "department", "title")}
    for f in ("family_name_kana", "given_name_kana"):
        if v[f]:
            v[f] = to_katakana(v[f])
            if not is_katakana(v[f]):
                errors.append((f, "kana_only"))
    for f in ("family_name_latin", "given_name_latin"):
        if v[f] and not is_latin_name(v[f]):
            errors.append((f, "latin_only"))
    has_kanji = bool(v["family_name_kanji"] and v["given_name_kanji"])
    has_latin = bool(v["family_name_latin"] and v["given_name_latin"])
    if not (has_kanji or has_latin):
        field = "family_name_kanji" if not v["family_name_kanji"] else "given_name_kanji"
        if v["family_name_latin"] and not v["given_name_latin"]:
            field = "given_name_latin"
        errors.append((field, "name_required"))
    birth = None
    raw_birth = raw.get("birth_date")
    if raw_birth is None or str(raw_birth).strip() == "":
        errors.append(("birth_date", "required"))
    else:
        try:
            birth = raw_birth if isinstance(raw_birth, date) else parse_date(str(raw_birth))
        except ValueError:
            errors.append(("birth_date", "date_invalid"))
        else:
            if birth > today:
                errors.append(("birth_date", "date_in_future"))
            elif birth < EARLIEST_BIRTH:
                errors.append(("birth_date", "date_too_early"))
    if errors or birth is None:
        return None, errors
    return PersonData(birth_date=birth, **v), []


@lru_cache(maxsize=1 << 16)
def search_key(text: str) -> str:
    """The form in which names are indexed and searched: NFKC, katakana, no spaces,
    lower case."""
    return to_katakana(text).replace(" ", "").lower()


def name_search_keys(p: PersonData) -> set[str]:
    """Every name form a searcher may type: full name in each script (both orders for
    Latin), and the family name alone."""
    keys: set[str] = set()
    for fam, giv, latin in (
        (p.family_name_kanji, p.given_name_kanji, False),
        (p.family_name_kana, p.given_name_kana, False),
        (p.family_name_latin, p.given_name_latin, True),
    ):
        if fam:
            keys.add(search_key(fam))
        if fam and giv:
            keys.add(search_key(fam + giv))
            if latin:  # "Taro Yamada" as often as "Yamada Taro"
                keys.add(search_key(giv + fam))
    return keys


def check_nationalities(current: Iterable[str], former: Iterable[str],
                        known: set[str]) -> Errors:
    errors: Errors = []
    cur, old = list(current), list(former)
    if not cur:
        errors.append(("nationalities", "required"))
    for field, codes in (("nationalities", cur), ("former_nationalities", old)):
        if any(c not in known for c in codes):
            errors.append((field, "country_unknown"))
        elif len(set(codes)) != len(codes):
            errors.append((field, "duplicate"))
    if set(cur) & set(old):
        errors.append(("former_nationalities", "current_and_former"))
    return errors


def check_corporate_number(value: str | None) -> tuple[str | None, Errors]:
    """法人番号: 13 digits whose first is a check digit (stdnum.jp.cn)."""
    if value is None or normalize(value) == "":
        return None, []
    try:
        return corporate_number.validate(normalize(value)), []
    except StdnumError:
        return None, [("corporate_number", "corporate_number_invalid")]


FOREIGN_KINDS = frozenset({"foreign_government", "foreign_company"})
DOMESTIC_ONLY_KINDS = frozenset({"government_body", "company"})
HOME_COUNTRY = "JPN"


def check_kind_country(kind: str, country: str) -> Errors:
    if kind in FOREIGN_KINDS and country == HOME_COUNTRY:
        return [("country_code", "foreign_kind_home_country")]
    if kind in DOMESTIC_ONLY_KINDS and country != HOME_COUNTRY:
        return [("kind", "domestic_kind_foreign_country")]
    return []


def parent_creates_cycle(org_id: str, parent_id: str | None,
                         parent_of: Mapping[str, str | None]) -> bool:
    """Would setting org's parent to parent_id make a loop in the parent chain?"""
    seen: set[str] = set()
    node = parent_id
    while node is not None and node not in seen:
        if node == org_id:
            return True
        seen.add(node)
        node = parent_of.get(node)
    return False


HUNDRED = Decimal(100)


def check_ownership(share: Decimal, voting: Decimal, other_share: Decimal,
                    other_voting: Decimal) -> Errors:
    """Each percentage within 0–100, not both zero, and the owned organisation's totals
    (with the other owners' holdings) at most 100."""
    errors: Errors = []
    for field, value in (("share_pct", share), ("voting_pct", voting)):
        if value < 0 or value > HUNDRED:
            errors.append((field, "percent_range"))
    if not errors and share == 0 and voting == 0:
        errors.append(("share_pct", "holding_required"))
    if not errors:
        if other_share + share > HUNDRED:
            errors.append(("share_pct", "total_over_100"))
        if other_voting + voting > HUNDRED:
            errors.append(("voting_pct", "total_over_100"))
    return errors
