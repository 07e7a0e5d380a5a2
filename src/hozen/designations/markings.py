"""Banner and portion markings, generated from an item's attributes and parsed back, and
a confidentiality label in the spirit of NATO ADatP-4774. Pure: the valid categories and
controls come in from the policy file, like a NATO SPIF.

Banner grammar (segments separated by "//", values within a segment by "/"):

    CUI[//CATEGORY[/CATEGORY...]][//CONTROL[/CONTROL...]]
    重要経済安保情報|特定秘密[//COMPARTMENT[/...]][//CONTROL[/CONTROL...]]

CUI categories are written with "SP-" when specified, specified ones first, each group
in alphabetical order. Controls: NOFORN, FED ONLY, NOCON, DL ONLY (CUI only),
REL TO JPN, XXX, ... and DISPLAY ONLY XXX, ... (country trigraphs, JPN first, then
alphabetical). NOFORN excludes REL TO and DISPLAY ONLY. Portion markings are the banner
in parentheses with NOFORN shortened to NF.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

LEVEL_BANNERS = {"CUI": "CUI", "CESI": "重要経済安保情報", "SDS": "特定秘密"}
BANNER_LEVELS = {v: k for k, v in LEVEL_BANNERS.items()}
CUI_ONLY_CONTROLS = ("FED ONLY", "NOCON", "DL ONLY")
SIMPLE_CONTROLS = ("NOFORN", *CUI_ONLY_CONTROLS)
HOME = "JPN"
_TRIGRAPH = re.compile(r"[A-Z]{3}")
_COMPARTMENT = re.compile(r"[A-Z0-9][A-Z0-9-]{0,19}")
LABEL_NS = "urn:nato:stanag:4774:confidentialitymetadatalabel:1:0"
TLP_LEVELS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")  # TLP 2.0


@dataclass(frozen=True)
class Marking:
    level: str  # CUI, CESI or SDS
    categories: tuple[str, ...] = ()  # CUI category abbreviations, e.g. ("EXPT",)
    compartments: tuple[str, ...] = ()  # programme codes (CESI and SDS)
    controls: tuple[str, ...] = ()  # NOFORN, FED ONLY, NOCON, DL ONLY
    rel_to: tuple[str, ...] = ()  # countries besides Japan
    display_only: tuple[str, ...] = ()


class MarkingError(ValueError):
    """A malformed marking: `position` is the index where the offending value starts."""

    def __init__(self, message: str, position: int, code: str = "marking_invalid") -> None:
        super().__init__(f"{message} at position {position}")
        self.position, self.code = position, code


def _countries(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(values) - {HOME}))


def canonical(m: Marking, specified: frozenset[str]) -> Marking:
    """The attributes in canonical order (what the generator writes)."""
    cats = sorted(set(m.categories), key=lambda c: (c not in specified, c))
    controls = tuple(c for c in SIMPLE_CONTROLS if c in m.controls)
    return Marking(m.level, tuple(cats), tuple(sorted(set(m.compartments))), controls,
                   _countries(m.rel_to), _countries(m.display_only))


def marking_errors(m: Marking, categories: dict[str, bool]) -> list[tuple[str, str]]:
    """Attributes a marking may not combine; `categories` maps each valid CUI
    abbreviation to whether it is specified."""
    errors = []
    if m.level not in LEVEL_BANNERS:
        errors.append(("level", "level_unknown"))
    if m.categories and m.level != "CUI":
        errors.append(("categories", "categories_cui_only"))
    if set(m.categories) - set(categories):
        errors.append(("categories", "category_unknown"))
    if m.compartments and m.level == "CUI":
        errors.append(("compartments", "compartments_classified_only"))
    if any(not _compartment_ok(c) for c in m.compartments):
        errors.append(("compartments", "compartment_invalid"))
    if set(m.controls) - set(SIMPLE_CONTROLS):
        errors.append(("controls", "control_unknown"))
    if m.level != "CUI" and set(m.controls) & set(CUI_ONLY_CONTROLS):
        errors.append(("controls", "control_cui_only"))
    if "NOFORN" in m.controls and (m.rel_to or m.display_only):
        errors.append(("controls", "noforn_with_release"))
    for field, values in (("rel_to", m.rel_to), ("display_only", m.display_only)):
        if any(not _TRIGRAPH.fullmatch(v) for v in values):
            errors.append((field, "country_unknown"))
    return errors


def banner(m: Marking, categories: dict[str, bool], *, noforn: str = "NOFORN") -> str:
    """The banner line, e.g. CUI//SP-EXPT/PRVCY//NOFORN or 特定秘密//REL TO JPN, USA."""
    specified = frozenset(c for c, sp in categories.items() if sp)
    m = canonical(m, specified)
    parts = [LEVEL_BANNERS[m.level]]
    if m.categories:
        parts.append("/".join(("SP-" + c) if c in specified else c for c in m.categories))
    if m.compartments:
        parts.append("/".join(m.compartments))
    controls = [noforn if c == "NOFORN" else c for c in m.controls]
    if m.rel_to:
        controls.append("REL TO " + ", ".join((HOME, *m.rel_to)))
    if m.display_only:
        controls.append("DISPLAY ONLY " + ", ".join((HOME, *m.display_only)))
    if controls:
        parts.append("/".join(controls))
    return "//".join(parts)


def portion(m: Marking, categories: dict[str, bool]) -> str:
    return "(" + banner(m, categories, noforn="NF") + ")"


def parse_banner(text: str, categories: dict[str, bool]) -> Marking:
    """The attributes of a banner; anything not exactly as the generator writes it is
    refused with the position of the first error."""
    specified = frozenset(c for c, sp in categories.items() if sp)
    segments, pos = [], 0
    for seg in text.split("//"):
        segments.append((seg, pos))
        pos += len(seg) + 2
    head, _ = segments[0]
    if head not in BANNER_LEVELS:
        raise MarkingError(f"unknown level {head!r}", 0, "level_unknown")
    level = BANNER_LEVELS[head]
    cats: list[str] = []
    comps: list[str] = []
    controls: list[str] = []
    rel: tuple[str, ...] = ()
    disp: tuple[str, ...] = ()
    rest = segments[1:]
    if rest and not _is_controls(rest[0][0]):
        seg, at = rest.pop(0)
        if not seg:
            raise MarkingError("empty segment", at, "marking_invalid")
        for value, vat in _split(seg, "/", at):
            if level == "CUI":
                abbr = value[3:] if value.startswith("SP-") else value
                if abbr not in categories:
                    raise MarkingError(f"unknown category {value!r}", vat, "category_unknown")
                if value.startswith("SP-") != (abbr in specified):
                    raise MarkingError(f"category {abbr} is written wrongly", vat,
                                       "category_prefix")
                cats.append(abbr)
            else:
                if not _compartment_ok(value):
                    raise MarkingError(f"bad compartment {value!r}", vat, "compartment_invalid")
                comps.append(value)
    if rest:
        seg, at = rest.pop(0)
        for value, vat in _split(seg, "/", at):
            if value in SIMPLE_CONTROLS:
                if level != "CUI" and value in CUI_ONLY_CONTROLS:
                    raise MarkingError(f"{value} is for CUI only", vat, "control_cui_only")
                controls.append(value)
            elif value.startswith("REL TO ") and not rel:
                rel = _country_list(value, vat, len("REL TO "))
            elif value.startswith("DISPLAY ONLY ") and not disp:
                disp = _country_list(value, vat, len("DISPLAY ONLY "))
            else:
                raise MarkingError(f"unknown control {value!r}", vat, "control_unknown")
    if rest:
        raise MarkingError("too many segments", rest[0][1] - 2, "marking_invalid")
    m = Marking(level, tuple(cats), tuple(comps), tuple(controls), rel, disp)
    errors = marking_errors(m, categories)
    if errors:
        code = errors[0][1]
        at = min(i for i in (text.find("REL TO"), text.find("DISPLAY ONLY")) if i >= 0) \
            if code == "noforn_with_release" else len(head)
        raise MarkingError(code, at, code)
    written = banner(m, categories)
    if written != text:  # order, duplicates or spacing not as the generator writes them
        at = next((i for i, (a, b) in enumerate(zip(text, written, strict=False)) if a != b),
                  min(len(text), len(written)))
        raise MarkingError("not in canonical order or spacing", at, "marking_not_canonical")
    return m


def _compartment_ok(code: str) -> bool:
    # a compartment spelt like a control would make "特定秘密//NOFORN" ambiguous
    return bool(_COMPARTMENT.fullmatch(code)) and code not in SIMPLE_CONTROLS


def _is_controls(segment: str) -> bool:
    first = segment.split("/", 1)[0]
    return first in SIMPLE_CONTROLS or first.startswith(("REL TO ", "DISPLAY ONLY "))


def _split(segment: str, sep: str, at: int):
    pos = at
    for value in segment.split(sep):
        if not value:
            raise MarkingError("empty value", pos, "marking_invalid")
        yield value, pos
        pos += len(value) + len(sep)


def _country_list(value: str, at: int, skip: int) -> tuple[str, ...]:
    codes, pos = [], at + skip
    for code in value[skip:].split(", "):
        if not _TRIGRAPH.fullmatch(code):
            raise MarkingError(f"bad country code {code!r}", pos, "country_unknown")
        codes.append(code)
        pos += len(code) + 2
    if not codes or codes[0] != HOME:
        raise MarkingError(f"the list must start with {HOME}", at + skip, "marking_not_canonical")
    return tuple(codes[1:])


def confidentiality_label(m: Marking, *, policy_id: str, created: datetime,
                          categories: dict[str, bool], tlp: str | None = None,
                          alternatives: list[dict] | None = None) -> dict:
    """A label in the spirit of ADatP-4774: policy identifier, classification,
    categories (permissive releasability, restrictive controls, informative CUI
    categories and compartments) and creation time; with `alternatives` (each a
    partner's policy_identifier, classification and to_be_confirmed), its alternative
    labels."""
    m = canonical(m, frozenset(c for c, sp in categories.items() if sp))
    cats = []
    if m.rel_to:
        cats.append({"tag": "Releasable to", "type": "PERMISSIVE",
                     "values": [HOME, *_countries(m.rel_to)]})
    if m.display_only:
        cats.append({"tag": "Display only", "type": "PERMISSIVE",
                     "values": [HOME, *_countries(m.display_only)]})
    if m.controls:
        cats.append({"tag": "Dissemination controls", "type": "RESTRICTIVE",
                     "values": list(m.controls)})
    if m.categories:
        cats.append({"tag": "CUI categories", "type": "INFORMATIVE",
                     "values": sorted(m.categories)})
    if m.compartments:
        cats.append({"tag": "Compartments", "type": "RESTRICTIVE",
                     "values": sorted(m.compartments)})
    if tlp:
        cats.append({"tag": "TLP", "type": "INFORMATIVE", "values": [f"TLP:{tlp}"]})
    label = {"policy_identifier": policy_id, "classification": m.level,
             "banner": banner(m, categories), "categories": cats,
             "creation_time": created.isoformat()}
    if alternatives is not None:
        label["alternative_labels"] = [dict(a) for a in alternatives]
    return label


def label_xml(label: dict) -> str:
    root = ET.Element("ConfidentialityLabel", xmlns=LABEL_NS)
    info = ET.SubElement(root, "ConfidentialityInformation")
    ET.SubElement(info, "PolicyIdentifier").text = label["policy_identifier"]
    ET.SubElement(info, "Classification").text = label["classification"]
    for cat in label["categories"]:
        el = ET.SubElement(info, "Category", TagName=cat["tag"], Type=cat["type"])
        for value in cat["values"]:
            ET.SubElement(el, "GenericValue").text = value
    ET.SubElement(root, "CreationDateTime").text = label["creation_time"]
    for alt in label.get("alternative_labels", ()):
        # the partner's equivalent marking; ToBeConfirmed while its table is unconfirmed
        el = ET.SubElement(root, "AlternativeConfidentialityLabel",
                           ToBeConfirmed=str(alt["to_be_confirmed"]).lower())
        alt_info = ET.SubElement(el, "ConfidentialityInformation")
        ET.SubElement(alt_info, "PolicyIdentifier").text = alt["policy_identifier"]
        ET.SubElement(alt_info, "Classification").text = alt["classification"]
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
