"""What the role × route matrix (test_permissions_matrix.py) acts on for the reports: each
report is read as JSON in its default shape; an allowance is recorded for one of the
role's own staff (the company's for its security officer, the government body's for the
agency official). What an allowed request wrote or found is checked in the database; a
company's officer is shown its own organisation's figures only."""

from __future__ import annotations

from sqlalchemy import select

from hozen.accounts.permissions import Role
from hozen.reports.models import ClearanceAllowance

REPORTS = "/api/v1/reports/"
ALLOWANCES = "/api/v1/clearance-allowances"
# The reports' routes (prefixes; time to access stays with reciprocity's).
REPORT_ROUTES = tuple(REPORTS + n for n in ("timeliness", "burden", "annual", "due-dates")) + (
    ALLOWANCES,)
WEB = {
    ("GET", "/dashboard"): "page",
    ("GET", "/reports/timeliness"): "page",
    ("GET", "/reports/burden"): "page",
    ("GET", "/reports/annual"): "page",
    ("GET", "/reports/due-dates"): "page",
    ("GET", "/registers/handlers.pdf"): "page",
    ("POST", "/reports/burden/allowances"): "form",
}
FORMS = ("/reports/burden/allowances",)


def request(env, method: str, path: str, role: Role, person_id: str
            ) -> tuple[str, dict | None]:
    """The URL and a valid body of a route of the reports."""
    if path == ALLOWANCES:
        return path, {"person_id": person_id, "amount_yen": 5000,
                      "period_start": "2025-04-01", "period_end": "2025-04-30"}
    return path, None


def left_behind(env, s, method: str, path: str, role: Role, url: str, body, answer) -> None:
    """What an allowed request wrote (or, for a read, found), checked in the database."""
    user = env.world.users[role]
    if path == ALLOWANCES:
        row = s.get(ClearanceAllowance, answer["id"])
        assert (row.person_id, row.organisation_id, row.amount_yen, row.recorded_by) == (
            body["person_id"], user.org_id, 5000, user.user_id)
        assert s.scalar(select(ClearanceAllowance.id).where(
            ClearanceAllowance.id == answer["id"])) is not None
        return
    name = path.removeprefix(REPORTS)
    assert answer["report"] == name and set(answer["tables"]), answer
    if name in ("burden", "due-dates"):
        scoped = role is Role.COMPANY_SECURITY_OFFICER
        assert answer["params"]["organisation"] == (user.org_id if scoped else None)


def form(env, path: str, page_url, fresh: bool):
    """(role, URL, data) of the allowance form: the company's officer, for its staff."""
    assert path == FORMS[0], f"no form for {path}"
    return Role.COMPANY_SECURITY_OFFICER, page_url(env, path), {
        "person_id": env.world.staff.id, "amount_yen": "3000", "period_start": "2025-05-01",
        "period_end": "2025-05-31"}
