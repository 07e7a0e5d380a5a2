"""STIX 2.1 objects and their markings, as pure functions (no I/O): validation with
`stix2`, hozen's classification marking-definitions, TLP 2.0, the digest of an object's
own markings that the access decision reads, and the peer's view of an anonymous
submission."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import stix2
from stix2.exceptions import STIXError
from stix2.v21 import OBJ_MAP_OBSERVABLE

from hozen.access.rules import CESI, CUI, RANKS, SDS, UNMARKED

SPEC_VERSION = "2.1"
# Namespace of hozen's deterministic STIX ids (marking definitions, the anonymous identity).
NAMESPACE = uuid.UUID("5b3f1c8e-2d0a-4e55-9f6b-8c1d0e7a4b21")
HOZEN_CREATED = "2024-05-17T00:00:00.000Z"  # the Act's promulgation (2024-05-17)
HOZEN_IDENTITY = f"identity--{uuid.uuid5(NAMESPACE, 'hozen')}"
# A submitter who stays anonymous to peers appears as this identity to them.
ANONYMOUS_IDENTITY = f"identity--{uuid.uuid5(NAMESPACE, 'anonymous member')}"

# TLP 2.0 (FIRST), as the STIX extension defines the marking definitions.
TLP2 = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "CLEAR",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "GREEN",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "AMBER",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "AMBER+STRICT",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "RED",
}
# TLP 1.0 definitions, as stix2 ships them: read as their TLP 2.0 equivalents.
TLP1 = {stix2.TLP_WHITE.id: "CLEAR", stix2.TLP_GREEN.id: "GREEN",
        stix2.TLP_AMBER.id: "AMBER", stix2.TLP_RED.id: "RED"}
TLP_ID = {name: mid for mid, name in TLP2.items()}
TLP_ORDER = ("", "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


def _marking_id(statement: str) -> str:
    return f"marking-definition--{uuid.uuid5(NAMESPACE, statement)}"


def level_marking(level: str) -> str:
    """The id of hozen's marking definition for a level (CUI, CESI, SDS)."""
    return _marking_id(f"hozen:level:{level}")


def programme_marking(code: str) -> str:
    return _marking_id(f"hozen:programme:{code}")


def rel_to_marking(countries: str) -> str:
    """REL TO a set of countries (besides Japan): one definition per sorted set."""
    return _marking_id("hozen:rel-to:" + ",".join(sorted(set(countries.split(",")) - {""})))


def marking_definition(statement: str) -> dict:
    """A hozen classification marking definition as STIX 2.1 (a statement marking)."""
    return json.loads(stix2.MarkingDefinition(
        id=_marking_id(statement), created=HOZEN_CREATED, created_by_ref=HOZEN_IDENTITY,
        definition_type="statement", definition={"statement": statement},
        name=statement).serialize())


@dataclass(frozen=True)
class Markings:
    """What an object's own markings (object and granular) require of a reader."""

    rank: int = UNMARKED
    programmes: frozenset[str] = frozenset()
    releasable: frozenset[str] | None = None  # None: no REL TO marking
    tlp: str = ""

    @property
    def key(self) -> str:
        rel = "*" if self.releasable is None else ",".join(sorted(self.releasable))
        return f"{self.rank}|{','.join(sorted(self.programmes))}|{rel}"


def parse_key(key: str) -> Markings:
    rank, programmes, rel = key.split("|")
    return Markings(int(rank), frozenset(p for p in programmes.split(",") if p),
                    None if rel == "*" else frozenset(r for r in rel.split(",") if r))


@dataclass
class Registry:
    """The marking definitions a submission may refer to: hozen's own, TLP, and those
    defined in the same envelope or already held (statement -> meaning)."""

    statements: dict[str, str] = field(default_factory=dict)  # marking id -> statement

    def knows(self, ref: str) -> bool:
        return ref in TLP2 or ref in TLP1 or ref in self.statements

    def add(self, obj: dict) -> None:
        if obj.get("type") == "marking-definition":
            statement = (obj.get("definition") or {}).get("statement", "")
            self.statements[obj["id"]] = statement if obj["id"] == _marking_id(
                statement) else ""


def registry(programmes=(), rel_sets=()) -> Registry:
    """hozen's levels, the given programme codes and REL TO sets."""
    r = Registry()
    for level in ("CUI", "CESI", "SDS"):
        r.statements[level_marking(level)] = f"hozen:level:{level}"
    for code in programmes:
        r.statements[programme_marking(code)] = f"hozen:programme:{code}"
    for rel in rel_sets:
        key = ",".join(sorted(set(rel.split(",")) - {""}))
        r.statements[rel_to_marking(key)] = f"hozen:rel-to:{key}"
    return r


def markings_of(obj: dict, reg: Registry) -> Markings:
    """Digest an object's object-level and granular markings: the highest level, every
    programme, the narrowest REL TO, the strictest TLP (granular markings count in full:
    the object is served whole or not at all)."""
    refs = list(obj.get("object_marking_refs") or [])
    refs += [g.get("marking_ref") for g in obj.get("granular_markings") or []
             if g.get("marking_ref")]
    rank, programmes, rel, tlp = UNMARKED, set(), None, ""
    for ref in refs:
        if ref in TLP2 or ref in TLP1:
            name = TLP2.get(ref) or TLP1[ref]
            tlp = max(tlp, name, key=TLP_ORDER.index)
            continue
        statement = reg.statements.get(ref, "")
        kind, _, value = statement.removeprefix("hozen:").partition(":")
        if not statement.startswith("hozen:"):
            continue
        if kind == "level" and value in RANKS:
            rank = max(rank, RANKS[value])
        elif kind == "programme":
            programmes.add(value)
        elif kind == "rel-to":
            here = frozenset(v for v in value.split(",") if v)
            rel = here if rel is None else rel & here
    return Markings(rank, frozenset(programmes), rel, tlp)


class Invalid(ValueError):
    """A STIX object refused; the message names why."""


def _is_sco(kind: str) -> bool:
    return kind in OBJ_MAP_OBSERVABLE


def validate(raw: object, reg: Registry) -> dict:
    """The object as sent (stored as is: a reader gets back what was shared), once stix2
    has parsed it whole, or Invalid. spec_version must be 2.1 (SDOs and SROs must say so),
    the id well formed, every marking reference known."""
    if not isinstance(raw, dict):
        raise Invalid("an object must be a JSON object")
    kind = raw.get("type")
    if not isinstance(kind, str) or not kind:
        raise Invalid("'type' is required")
    if raw.get("spec_version") != SPEC_VERSION and not (
            _is_sco(kind) and "spec_version" not in raw):
        raise Invalid(f"spec_version must be '{SPEC_VERSION}'")
    refs = raw.get("object_marking_refs") or []
    granular = raw.get("granular_markings") or []
    if not isinstance(refs, list) or not isinstance(granular, list):
        raise Invalid("markings must be lists")
    refs = refs + [g.get("marking_ref") if isinstance(g, dict) else None for g in granular]
    unknown = [str(r) for r in refs if not isinstance(r, str) or not reg.knows(r)]
    if unknown:
        raise Invalid(f"unknown marking reference {unknown[0]}")
    try:
        stix2.parse(raw, allow_custom=False, version=SPEC_VERSION)
    except (STIXError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Invalid(str(exc)[:300]) from None
    return json.loads(json.dumps(raw))


def version_of(obj: dict) -> str:
    """The version key (modified, else created) as a fixed-width UTC timestamp, so that
    versions order as text; objects without either (SCOs) have one version."""
    value = obj.get("modified") or obj.get("created")
    return normalise_timestamp(value) if value else "0000-00-00T00:00:00.000000Z"


def normalise_timestamp(value: str) -> str:
    """A STIX/RFC 3339 timestamp as fixed-width UTC text; ValueError if it is none."""
    if not isinstance(value, str) or not value.endswith("Z") or "\x00" in value:
        raise ValueError("a timestamp must be RFC 3339 UTC ending in Z")
    return format_timestamp(datetime.fromisoformat(value[:-1] + "+00:00"))


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(normalise_timestamp(value), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=UTC)


def format_timestamp(value: datetime) -> str:
    v = value.astimezone(UTC)  # the year zero-padded: strftime does not pad it everywhere
    return f"{v.year:04d}-{v:%m-%dT%H:%M:%S.%f}Z"


def tlp_permits(tlp: str, *, government: bool, same_organisation: bool) -> bool:
    """TLP:RED goes no further than the submitter's organisation and the government."""
    return tlp != "RED" or government or same_organisation


def anonymised(obj: dict) -> dict:
    """The peer's view of an anonymous submission: its creator is hozen's anonymous
    identity (the government still sees who submitted)."""
    if "created_by_ref" not in obj:
        return obj
    out = dict(obj)
    out["created_by_ref"] = ANONYMOUS_IDENTITY
    return out


def rank_name(rank: int) -> str:
    return {UNMARKED: "UNMARKED", CUI: "CUI", CESI: "CESI", SDS: "SDS"}[rank]


# --- tear-lines ----------------------------------------------------------------------------

PROTECTED = frozenset({"type", "id", "spec_version", "created", "modified"})


def tear_line(source: dict, remove: list[str], target: str, reg: Registry,
              new_id: str, now: str) -> dict:
    """A releasable version of `source`: a new object (its own id) without the named
    top-level properties, marked CUI or TLP:AMBER in place of the source's markings and
    without its granular markings; validated with stix2 like any submission."""
    bad = [p for p in remove if p in PROTECTED or p not in source]
    if bad:
        raise Invalid(f"cannot remove {bad[0]}")
    out = {k: copy.deepcopy(v) for k, v in source.items() if k not in set(remove)}
    out.pop("granular_markings", None)
    kind = source["type"]
    out.update(id=f"{kind}--{new_id}", created=now, modified=now)
    out["object_marking_refs"] = [level_marking("CUI") if target == "CUI"
                                  else TLP_ID["AMBER"]]
    return validate(out, reg)
