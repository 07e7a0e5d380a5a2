"""The dashboard builds each report with only the tables it shows (due dates counted per
month by the database, burden without its per-case table, timeliness without reviews
and visits): those tables are the full report's, for the window and for a company, on
the known-answer data set. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from hozen.accounts.permissions import Role
from hozen.db import session_factory
from hozen.reports.schemas import ReportQuery
from hozen.reports.services import available, build_report
from hozen.web.report_pages import DASHBOARD
from tests.functional.test_reports import YEAR, Data, data  # noqa: F401


@pytest.mark.parametrize("role", [Role.WINDOW_OFFICER, Role.COMPANY_SECURITY_OFFICER])
@pytest.mark.parametrize("year", [None, YEAR])
def test_the_dashboards_tables_are_the_full_reports(clean, data: Data, role, year):  # noqa: F811
    actor = data.world.users[role].actor
    with session_factory(clean)() as s:
        names = available(actor)
        assert names
        for name in names:
            query = ReportQuery(year=year)
            full = build_report(s, name, query, actor=actor, today=data.today)
            shown = build_report(s, name, query, actor=actor, today=data.today,
                                 tables=DASHBOARD[name])
            for key in DASHBOARD[name]:
                assert shown.table(key).rows == full.table(key).rows, (name, key)
            assert shown.params == full.params
        s.rollback()


def test_due_dates_per_month_count_each_kind(clean, data: Data):  # noqa: F811
    actor = data.world.users[Role.WINDOW_OFFICER].actor
    with session_factory(clean)() as s:
        months = build_report(s, "due-dates", ReportQuery(), actor=actor, today=data.today,
                              tables=("months",)).table("months")
        s.rollback()
    totals = {k: sum(r[k] for r in months.records()) for k in
              ("clearance", "certification", "review", "term")}
    # two clearances and a certification expire, three terms end; the overdue review
    assert totals == {"clearance": 2, "certification": 1, "review": 1, "term": 3}
