"""Normalisation of Japanese input and the Japanese calendar (pure functions)."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import jaconv
from japanera import ERA_DATA_GENERAL

# The eras a living person's birth date can fall in, newest first.
_MODERN_ERAS = sorted(
    (e for e in ERA_DATA_GENERAL if e.kanji in {"明治", "大正", "昭和", "平成", "令和"}),
    key=lambda e: e.since,
    reverse=True,
)
_ERA_BY_KANJI = {e.kanji: e for e in _MODERN_ERAS}
_ERA_BY_INITIAL = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}


@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """NFKC (full-width digits and Latin, half-width kana) and collapsed spaces. Cached:
    names repeat (a bulk import of a million people meets a few thousand of them)."""
    text = jaconv.normalize(text, "NFKC")
    return re.sub(r"\s+", " ", text).strip()


def to_katakana(text: str) -> str:
    return jaconv.hira2kata(normalize(text))


KATAKANA_RE = re.compile(r"^[\u30A0-\u30FF\u31F0-\u31FF ー・]+$")
LATIN_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z .'\-]*$")


def is_katakana(text: str) -> bool:
    return bool(KATAKANA_RE.match(text))


def is_latin_name(text: str) -> bool:
    return bool(LATIN_NAME_RE.match(text))


_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_KANJI = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_ERA = re.compile(r"^(明治|大正|昭和|平成|令和)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日$")
_ERA_SHORT = re.compile(r"^([MTSHR])(\d{1,2})[-/.](\d{1,2})[-/.](\d{1,2})$")


def parse_date(text: str) -> date:
    """Parse a date in ISO, compact, 年月日 or Japanese era form; ValueError otherwise."""
    # jaconv turns a full-width hyphen (－) into the long vowel mark (ー): here a separator.
    s = normalize(text).replace(" ", "").replace("ー", "-")
    for pattern in (_ISO, _COMPACT, _KANJI):
        if m := pattern.match(s):
            return date(int(m[1]), int(m[2]), int(m[3]))
    m = _ERA.match(s) or _ERA_SHORT.match(s.upper())
    if not m:
        raise ValueError("unrecognised date")
    era = _ERA_BY_KANJI[_ERA_BY_INITIAL.get(m[1], m[1])]
    rel = 1 if m[2] == "元" else int(m[2])
    if rel < 1:
        raise ValueError("era year must be 1 or more")
    result = date(era.relative_year_to_absolute_year(rel), int(m[3]), int(m[4]))
    if result < era.since or (era.until and result >= era.until):
        raise ValueError("date outside its era")
    return result


def era_of(d: date):
    return next(e for e in _MODERN_ERAS if e.since <= d)


def format_era(d: date) -> str:
    """e.g. 平成2年5月3日; the first year of an era is 元年."""
    era = era_of(d)
    rel = d.year - era.since.year + 1
    year = "元" if rel == 1 else str(rel)
    return f"{era.kanji}{year}年{d.month}月{d.day}日"


def date_forms(d: date) -> list[str]:
    """Every written form of a date a person might type (used by privacy tests)."""
    era = era_of(d)
    rel = d.year - era.since.year + 1
    return [
        d.isoformat(),
        d.strftime("%Y%m%d"),
        d.strftime("%Y/%m/%d"),
        f"{d.year}年{d.month}月{d.day}日",
        format_era(d),
        f"{era.kanji}{rel:02d}年{d.month:02d}月{d.day:02d}日",
    ]


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
