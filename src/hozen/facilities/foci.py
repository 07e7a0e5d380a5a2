"""Pure FOCI (外国による所有・支配・影響) rules: effective foreign ownership and voting power
through the ownership graph, and the assessment against the policy thresholds. No I/O;
every threshold comes in from the policy file ([foci]).

Effective ownership is integrated ownership: with A[i, j] the fraction of domestic
organisation i held directly by domestic organisation j and d_c[i] the fraction held
directly by owners of country c, x_c = (I - A)^-1 d_c. That is the product of shares
along every chain, summed over chains of any depth, with cross-holdings solved exactly
rather than summed over endless paths."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import count

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

DOMESTIC = "JPN"
OVER_FULL_TOLERANCE = 1e-9  # holdings into one organisation may sum to 1 + this (rounding)
CLOSED_TOLERANCE = 1e-9  # a group holding all but this of itself has no outside owner
NOISE = 1e-12  # effective fractions below this are float noise
REACH_TOLERANCE_PCT = 1e-9  # float noise: an exact 5% computed as 4.999999999999999 reaches 5
_ALPHA3 = re.compile(r"[A-Z]{3}")

Pct = float | Decimal


def _country(code: str) -> str:
    if not isinstance(code, str) or not _ALPHA3.fullmatch(code):
        raise ValueError(f"not an ISO 3166 alpha-3 country code: {code!r}")
    return code


def _fraction(pct: Pct, what: str) -> float:
    value = float(pct)
    if not 0.0 <= value <= 100.0:  # also refuses NaN
        raise ValueError(f"{what} must be a percentage in [0, 100], not {pct!r}")
    return value / 100.0


# --- the input model ---------------------------------------------------------------------


@dataclass(frozen=True)
class Organisation:
    """A company or other body. One that is not Japanese is a foreign terminal owner: what
    it holds counts wholly for its country and the graph is not followed above it."""

    id: str
    country: str = DOMESTIC

    def __post_init__(self) -> None:
        _country(self.country)

    @property
    def foreign(self) -> bool:
        return self.country != DOMESTIC


@dataclass(frozen=True)
class Person:
    """A natural person: a shareholder or a board member. Any nationality other than
    Japanese makes them foreign for that country (a JPN+USA dual national counts for USA)."""

    id: str
    nationalities: frozenset[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "nationalities", frozenset(self.nationalities))
        if not self.nationalities:
            raise ValueError(f"person {self.id!r} has no nationality")
        for code in self.nationalities:
            _country(code)

    @property
    def foreign_nationalities(self) -> frozenset[str]:
        return self.nationalities - {DOMESTIC}


@dataclass(frozen=True)
class Holding:
    """`owner_id` (an organisation or a person) holds `share_pct` of the shares and
    `voting_pct` of the votes of organisation `owned_id`; votes follow shares when None."""

    owner_id: str
    owned_id: str
    share_pct: Pct
    voting_pct: Pct | None = None

    def __post_init__(self) -> None:
        _fraction(self.share_pct, "share_pct")
        _fraction(self.votes_pct, "voting_pct")
        if self.owner_id == self.owned_id:
            raise ValueError(f"organisation {self.owned_id!r} cannot hold itself")

    @property
    def votes_pct(self) -> Pct:
        return self.share_pct if self.voting_pct is None else self.voting_pct


@dataclass(frozen=True)
class OwnershipGraph:
    """Who holds whom. Validated and indexed on construction: ids are unique across
    organisations and persons, every owner is known, only organisations are held, and no
    organisation's incoming shares or votes sum to over 100% (the database caps each
    holding, not the sum)."""

    organisations: tuple[Organisation, ...]
    persons: tuple[Person, ...] = ()
    holdings: tuple[Holding, ...] = ()
    _index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("organisations", "persons", "holdings"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "_index", _build_index(self))


# --- the index and the linear systems ----------------------------------------------------


@dataclass(frozen=True)
class _System:
    holdings: sparse.csr_matrix  # A[i, j]: fraction of domestic i held by domestic j
    foreign: np.ndarray  # D[i, k]: fraction of i held by country k; last column: total


@dataclass(frozen=True)
class _Index:
    """Owners are numbered organisations first, then persons ("global" numbers); domestic
    organisations also have a matrix row. Direct holdings into domestic organisations are
    kept as CSR arrays by row: `owner[indptr[i]:indptr[i + 1]]` hold row i."""

    ids: tuple[str, ...]
    position: dict[str, int]
    org_count: int
    row_of: np.ndarray  # global number -> matrix row, -1 when not a domestic organisation
    countries: tuple[str, ...]  # foreign countries, in column order
    foreign_of: dict[int, tuple[str, ...]]  # foreign owner -> the countries it counts for
    indptr: np.ndarray
    owner: np.ndarray
    share: np.ndarray
    votes: np.ndarray
    share_system: _System
    voting_system: _System
    structure: sparse.csr_matrix  # [i, j] set when domestic j holds anything of i

    @cached_property
    def exposed(self) -> np.ndarray:
        """Rows with some foreign owner above them."""
        directly = np.flatnonzero(self.share_system.foreign[:, -1]
                                  + self.voting_system.foreign[:, -1] > 0)
        exposed = np.zeros(len(self.indptr) - 1, dtype=bool)
        exposed[_reach(self.structure.T.tocsr(), directly)] = True
        return exposed


def _holding_arrays(graph: OwnershipGraph, position: dict[str, int]) -> tuple[np.ndarray, ...]:
    org_count = len(graph.organisations)
    for h in graph.holdings:
        if position.get(h.owned_id, org_count) >= org_count:
            raise ValueError(f"holding into {h.owned_id!r}, which is not an organisation")
        if h.owner_id not in position:
            raise ValueError(f"holding by unknown owner {h.owner_id!r}")
    owner = np.array([position[h.owner_id] for h in graph.holdings], dtype=np.int64)
    owned = np.array([position[h.owned_id] for h in graph.holdings], dtype=np.int64)
    share = np.array([float(h.share_pct) for h in graph.holdings]) / 100.0
    votes = np.array([float(h.votes_pct) for h in graph.holdings]) / 100.0
    for values, what in ((share, "shares"), (votes, "votes")):
        over = np.bincount(owned, weights=values, minlength=org_count) > 1.0 + OVER_FULL_TOLERANCE
        if over.any():
            names = ", ".join(repr(graph.organisations[k].id) for k in np.flatnonzero(over))
            raise ValueError(f"{what} held in organisation {names} exceed 100%")
    return owner, owned, share, votes


def _summed(rows: np.ndarray, owner: np.ndarray, width: int,
            *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """Duplicate (row, owner) holdings summed, sorted by row then owner."""
    unique, inverse = np.unique(rows * width + owner, return_inverse=True)
    return (unique // width, unique % width,
            *(np.bincount(inverse, weights=v, minlength=len(unique)).astype(float)
              for v in values))


def _build_index(graph: OwnershipGraph) -> _Index:
    ids = tuple(o.id for o in graph.organisations) + tuple(p.id for p in graph.persons)
    position = {id_: k for k, id_ in enumerate(ids)}
    if len(position) != len(ids):
        raise ValueError("organisation and person ids must be unique")
    owner, owned, share, votes = _holding_arrays(graph, position)
    domestic = [k for k, o in enumerate(graph.organisations) if not o.foreign]
    n = len(domestic)
    row_of = np.full(len(ids), -1, dtype=np.int64)
    row_of[domestic] = np.arange(n)
    into = row_of[owned] >= 0  # above a foreign organisation the graph is not followed
    rows, owner, share, votes = _summed(row_of[owned[into]], owner[into], len(ids),
                                        share[into], votes[into])
    # rounding may take a total just over 100%: scale it back to exactly 100%
    share /= np.maximum(1.0, np.bincount(rows, weights=share, minlength=n))[rows]
    votes /= np.maximum(1.0, np.bincount(rows, weights=votes, minlength=n))[rows]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n))))

    foreign_of = {k: (o.country,) for k, o in enumerate(graph.organisations) if o.foreign}
    foreign_of |= {position[p.id]: tuple(sorted(p.foreign_nationalities))
                   for p in graph.persons if p.foreign_nationalities}
    countries = tuple(sorted({c for cs in foreign_of.values() for c in cs}))
    column = {c: k for k, c in enumerate(countries)}
    # owner -> its countries; the last (total) column counts each foreign owner once
    counts_for = np.zeros((len(ids), len(countries) + 1))
    for k, cs in foreign_of.items():
        counts_for[k, [column[c] for c in cs] + [len(countries)]] = 1.0
    between = row_of[owner] >= 0
    at = (rows[between], row_of[owner[between]])

    def system(values: np.ndarray) -> _System:
        foreign = np.zeros((n, len(countries) + 1))
        np.add.at(foreign, rows, values[:, None] * counts_for[owner])
        return _System(sparse.csr_matrix((values[between], at), shape=(n, n)), foreign)

    structure = sparse.csr_matrix((np.ones(len(at[0])), at), shape=(n, n))
    return _Index(ids, position, len(graph.organisations), row_of, countries, foreign_of,
                  indptr, owner, share, votes, system(share), system(votes), structure)


def _reach(adjacency: sparse.csr_matrix, starts: np.ndarray) -> np.ndarray:
    """The nodes reachable from `starts` (themselves included), sorted."""
    seen = np.zeros(adjacency.shape[0], dtype=bool)
    frontier = np.unique(np.asarray(starts, dtype=int))
    seen[frontier] = True
    while frontier.size:
        nxt = np.unique(adjacency[frontier].indices)
        frontier = nxt[~seen[nxt]]
        seen[frontier] = True
    return np.flatnonzero(seen)


def _closed(rows: np.ndarray, cols: np.ndarray, held: np.ndarray,
            labels: np.ndarray) -> np.ndarray:
    """Organisations in a closed group: a strongly connected set whose members are held
    wholly by one another. No outside ownership flows in, and I - A is singular there."""
    inside = labels[rows] == labels[cols]
    held_inside = np.bincount(rows[inside], weights=held[inside], minlength=len(labels))
    least = np.full(labels.max() + 1, np.inf)
    np.minimum.at(least, labels, held_inside)
    return (least >= 1.0 - CLOSED_TOLERANCE)[labels]


def _integrated(system: _System, rows: np.ndarray) -> np.ndarray:
    """x = (I - A)^-1 D on the subgraph `rows` (closed under "is held by"), all countries
    at once from one factorisation; closed groups get zero; noise clamped to [0, 1]."""
    n, foreign = len(rows), system.foreign[rows]
    if not n:
        return foreign
    whole = n == system.holdings.shape[0]
    holdings = system.holdings if whole else system.holdings[rows][:, rows]
    _, labels = connected_components(holdings, directed=True, connection="strong")
    coo = holdings.tocoo()
    r, c, a = coo.row, coo.col, coo.data
    closed = _closed(r, c, a, labels)
    if closed.any():
        kept = ~(closed[r] | closed[c])
        r, c, a = r[kept], c[kept], a[kept]
        foreign = foreign * ~closed[:, None]
    # scipy numbers strong components in topological order: sorted by label, I - A is
    # block triangular and LU needs no fill-reducing ordering (COLAMD costs more than the
    # factorisation itself); checked, since only the speed depends on it
    order = np.argsort(labels, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(n)
    lr, lc = labels[r], labels[c]
    spec = "NATURAL" if np.all(lr >= lc) or np.all(lr <= lc) else "COLAMD"
    diagonal = np.arange(n)
    matrix = sparse.csc_matrix(
        (np.concatenate((np.ones(n), -a)),
         (np.concatenate((diagonal, rank[r])), np.concatenate((diagonal, rank[c])))),
        shape=(n, n))
    x = np.empty_like(foreign)
    x[order] = splu(matrix, permc_spec=spec).solve(np.asfortranarray(foreign[order]))
    x[x < NOISE] = 0.0
    return np.minimum(x, 1.0, out=x)


# --- effective exposure ------------------------------------------------------------------


@dataclass(frozen=True)
class Exposure:
    """Effective foreign ownership of one organisation, in percent (unrounded): per foreign
    country (a dual national counts for each), and in total (each owner once)."""

    org_id: str
    share_pct: Mapping[str, float]  # only countries above zero
    voting_pct: Mapping[str, float]
    total_share_pct: float
    total_voting_pct: float

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.share_pct) | set(self.voting_pct)))


def _exposure(org_id: str, countries: tuple[str, ...], share: list[float],
              votes: list[float]) -> Exposure:
    """`share` and `votes`: percent per country in column order, then the total."""
    return Exposure(org_id, {c: v for c, v in zip(countries, share[:-1], strict=True) if v},
                    {c: v for c, v in zip(countries, votes[:-1], strict=True) if v},
                    share[-1], votes[-1])


def _organisation(index: _Index, org_id: str) -> int:
    k = index.position.get(org_id, index.org_count)
    if k >= index.org_count:
        raise ValueError(f"unknown organisation {org_id!r}")
    return k


def effective_foreign(graph: OwnershipGraph,
                      target_ids: Iterable[str] | None = None) -> dict[str, Exposure]:
    """The exposure of every organisation, or of `target_ids` only (then solved on their
    ancestors alone). A foreign organisation is wholly of its own country."""
    index = graph._index
    if target_ids is None:
        targets = list(range(index.org_count))
        rows = np.arange(len(index.share_system.foreign))
    else:
        targets = list(dict.fromkeys(_organisation(index, t) for t in target_ids))
        starts = index.row_of[targets] if targets else np.zeros(0, dtype=np.int64)
        rows = _reach(index.structure, starts[starts >= 0])
    share = (_integrated(index.share_system, rows) * 100.0).tolist()
    votes = (_integrated(index.voting_system, rows) * 100.0).tolist()
    local = np.full(len(index.row_of), -1, dtype=np.int64)  # global number -> in `rows`
    local[np.flatnonzero(index.row_of >= 0)[rows]] = np.arange(len(rows))
    result = {}
    for k in targets:
        org_id = index.ids[k]
        if k in index.foreign_of:
            whole = {index.foreign_of[k][0]: 100.0}
            result[org_id] = Exposure(org_id, whole, dict(whole), 100.0, 100.0)
        else:
            result[org_id] = _exposure(org_id, index.countries, share[local[k]],
                                       votes[local[k]])
    return result


def ntib_only(exposure: Exposure, ntib_countries: Iterable[str]) -> bool:
    """Every foreign owner (by shares or votes) is of a partner country (vacuously true
    with no foreign owner)."""
    return set(exposure.countries) <= set(ntib_countries)


# --- foreign paths, for the picture ------------------------------------------------------


@dataclass(frozen=True)
class ForeignPath:
    ids: tuple[str, ...]  # the foreign owner first, the target last
    countries: tuple[str, ...]  # the countries the owner's holding counts for
    share_pct: float  # product of the shares along the chain
    voting_pct: float


@dataclass(frozen=True)
class ForeignPaths:
    target_id: str
    paths: tuple[ForeignPath, ...]  # the largest first
    truncated: bool  # a bound was hit: more paths may exist


def foreign_paths(graph: OwnershipGraph, target_id: str, *, max_paths: int = 100,
                  max_steps: int = 100_000) -> ForeignPaths:
    """The simple chains from foreign owners down to `target_id`, largest product first
    (best-first: extending a chain never raises its product), at most `max_paths` found
    in at most `max_steps` expansions."""
    index = graph._index
    target = _organisation(index, target_id)
    if index.row_of[target] < 0:
        return ForeignPaths(target_id, (), False)
    tie = count()
    heap = [(-1.0, next(tie), (target,), 1.0, 1.0)]
    found = []
    for _ in range(max_steps):
        if not heap or len(found) >= max_paths:
            break
        _, _, chain, share, votes = heapq.heappop(heap)
        if chain[-1] in index.foreign_of:
            found.append((chain, share, votes))
            continue
        row = index.row_of[chain[-1]]
        span = slice(index.indptr[row], index.indptr[row + 1])
        for owner, s, v in zip(index.owner[span].tolist(), index.share[span].tolist(),
                               index.votes[span].tolist(), strict=True):
            up_share, up_votes = share * s, votes * v
            if owner in chain or max(up_share, up_votes) <= 0.0:
                continue
            if owner in index.foreign_of or index.exposed[index.row_of[owner]]:
                heapq.heappush(heap, (-max(up_share, up_votes), next(tie), chain + (owner,),
                                      up_share, up_votes))
    paths = tuple(ForeignPath(tuple(index.ids[k] for k in reversed(chain)),
                              index.foreign_of[chain[-1]], share * 100.0, votes * 100.0)
                  for chain, share, votes in found)
    return ForeignPaths(target_id, paths, bool(heap))


# --- the assessment ----------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """The policy numbers of FOCI."""

    single_country_pct: float
    total_foreign_pct: float
    ntib_countries: frozenset[str]

    @classmethod
    def from_policy(cls, numbers: Mapping[str, object]) -> Thresholds:
        return cls(float(numbers["single_country_pct"]), float(numbers["total_foreign_pct"]),
                   frozenset(numbers["ntib_countries"]))


@dataclass(frozen=True)
class Assessment:
    """Flagged iff there is a reason: a country's share ("country_share:USA") or votes
    ("country_voting:USA") reaching the single-country threshold, the total share
    ("total_share") or votes ("total_voting") reaching the total threshold, or a foreign
    board member ("foreign_board"). Notices do not flag: declared foreign debt
    ("foreign_debt") or revenue ("foreign_revenue") reaching the total threshold, a
    policy choice of ours shown to the window, not a ground in the requirements."""

    exposure: Exposure
    flagged: bool
    reasons: tuple[str, ...]
    notices: tuple[str, ...]
    foreign_board_ids: tuple[str, ...]
    declared_debt_pct: float | None
    declared_revenue_pct: float | None
    ntib_only: bool


def _reaches(value: float, threshold: float) -> bool:
    return value >= threshold - REACH_TOLERANCE_PCT


def _declared(pct: Pct | None, what: str) -> float | None:
    return None if pct is None else _fraction(pct, what) * 100.0


def assess(exposure: Exposure, board: Iterable[Person], declared_debt_pct: Pct | None,
           declared_revenue_pct: Pct | None, thresholds: Thresholds) -> Assessment:
    """Judge one organisation's exposure, its board and its declared foreign debt and
    revenue shares (percent; None when not declared) against the policy thresholds."""
    single, total = thresholds.single_country_pct, thresholds.total_foreign_pct
    reasons = [f"country_share:{c}" for c, v in sorted(exposure.share_pct.items())
               if _reaches(v, single)]
    reasons += [f"country_voting:{c}" for c, v in sorted(exposure.voting_pct.items())
                if _reaches(v, single)]
    reasons += [code for code, v in (("total_share", exposure.total_share_pct),
                                     ("total_voting", exposure.total_voting_pct))
                if _reaches(v, total)]
    foreign_board = tuple(sorted(p.id for p in board if p.foreign_nationalities))
    if foreign_board:
        reasons.append("foreign_board")
    debt = _declared(declared_debt_pct, "declared_debt_pct")
    revenue = _declared(declared_revenue_pct, "declared_revenue_pct")
    notices = tuple(code for code, v in (("foreign_debt", debt), ("foreign_revenue", revenue))
                    if v is not None and _reaches(v, total))
    return Assessment(exposure, bool(reasons), tuple(reasons), notices, foreign_board,
                      debt, revenue, ntib_only(exposure, thresholds.ntib_countries))

