"""A designation read whole (issue 10): its proposals and their comments in a fixed number
of statements however many there are, each reader seeing the comments the rule lets them
see (others' comments: government only)."""

from __future__ import annotations

from tests.factories import World
from tests.functional.test_designations import (
    AGENCY,
    APPROVER,
    CSO,
    EXPERT,
    change,
    comment,
    decide,
    detail,
    in_force,
    world,  # noqa: F401
)
from tests.functional.test_statement_counts import statements


def consult(client, w: World, designation_id: str, k: int, *, close: bool = True) -> str:
    """A change of scope, commented on by the holder's officer and the invited expert,
    then (close) refused."""
    u = w.users
    r = change(client, u[AGENCY], designation_id, "change", scope_kind="technology",
               scope=f"全固体電池の工程{k}", experts=[u[EXPERT].user_id])
    assert r.status_code == 201, r.text
    p = r.json()["id"]
    assert comment(client, u[CSO], p, f"意見{k}").status_code == 201
    assert comment(client, u[EXPERT], p, f"所見{k}").status_code == 201
    if close:
        assert decide(client, u[APPROVER], p, approve=False).status_code == 200
    return p


def test_reading_a_designation_does_not_grow_with_its_proposals_and_comments(
        client, engine, world):  # noqa: F811
    u = world.users
    d = in_force(client, world, holders=[world.company.id])
    readers = (u[AGENCY], u[APPROVER], u[CSO], u[EXPERT])
    path = f"/designations/{d['id']}"
    consult(client, world, d["id"], 0)
    last = consult(client, world, d["id"], 1, close=False)
    few = {r.username: statements(client, engine, r, path) for r in readers}
    assert decide(client, u[APPROVER], last, approve=False).status_code == 200
    for k in range(2, 6):
        consult(client, world, d["id"], k)
    consult(client, world, d["id"], 6, close=False)
    many = {r.username: statements(client, engine, r, path) for r in readers}
    assert many == few
    assert len(detail(client, u[AGENCY], d["id"])["proposals"]) == 8


def test_each_proposal_has_its_own_comments_as_each_reader_may_see_them(
        client, world):  # noqa: F811
    u = world.users
    d = in_force(client, world, holders=[world.company.id])
    ids = [consult(client, world, d["id"], k) for k in range(3)]
    ids.append(consult(client, world, d["id"], 3, close=False))

    def comments(login) -> dict[str, list[tuple[str, str]]]:
        return {p["id"]: [(c["text"], c["author_id"]) for c in p["comments"]]
                for p in detail(client, login, d["id"])["proposals"]}

    cso, expert = u[CSO].user_id, u[EXPERT].user_id
    for role in (AGENCY, APPROVER):  # government: every comment, oldest first
        seen = comments(u[role])
        assert [seen[p] for p in ids] == [[(f"意見{k}", cso), (f"所見{k}", expert)]
                                          for k in range(4)]
        assert [c for p, c in seen.items() if p not in ids] == [[]]  # the designation's own
    # a commenter: only their own comments
    assert [comments(u[CSO])[p] for p in ids] == [[(f"意見{k}", cso)] for k in range(4)]
    assert [comments(u[EXPERT])[p] for p in ids] == [[(f"所見{k}", expert)] for k in range(4)]
    proposals = detail(client, u[AGENCY], d["id"])["proposals"]
    # only the open change says which way it goes
    assert [(p["status"], p["direction"]) for p in proposals[1:]] == [
        ("rejected", None)] * 3 + [("open", "scope")]
