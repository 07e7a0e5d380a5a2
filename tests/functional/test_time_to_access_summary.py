"""The time-to-access summary (R7, issue 10) folded by the database gives the figures the
page used to compute from every visitor's row — kept here as the reference — on a data
set of visitors reaching an access after elapsed times a microsecond either side of the
rounding of the limits, visitors with no access yet, and more human steps for some; with
an odd and an even number reached; in one statement however many there are."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from hozen.accounts.permissions import Role
from hozen.audit import services as audit
from hozen.db import utcnow
from hozen.reciprocity.report import TimeToAccessSummary, time_to_access, time_to_access_summary
from hozen.web.exchange_pages import FAST_HOURS
from tests.functional.test_facilities import deputy  # noqa: F401
from tests.functional.test_facility_registers import s as registers  # noqa: F401
from tests.functional.test_facility_registers import world  # noqa: F401
from tests.functional.test_statement_counts import counting
from tests.functional.test_visits import check, engineer, post, uk, visit  # noqa: F401
from tests.pages import element, text

H, S, US = timedelta(hours=1), timedelta(seconds=1), timedelta(microseconds=1)
# Per visitor: the elapsed time to the access, None for none yet, "refused" for a check
# that was refused (no visit); and how many visit requests came before it.
VISITORS = [
    (None, 0), (24 * H + 18 * S, 1), (24 * H + 18 * S + US, 1), ("refused", 0),
    (30 * H + 18 * S - US, 2), (30 * H + 18 * S, 1), (3 * 24 * H, 3),
    (24 * H + 17 * S + 999999 * US, 1), (40 * 60 * S, 1), (None, 1), (US, 1),
    (24 * H - US, 2),
]
LIMITS = (FAST_HOURS, 30.0, 0.5, 0.01)  # (FAST_HOURS: 24)


def reference(rows, within_hours: float) -> TimeToAccessSummary:
    """The page's figures as computed before: from every visitor's row."""
    reached = [r for r in rows if r.hours is not None]
    return TimeToAccessSummary(
        len(rows), len(reached),
        round(statistics.median(r.hours for r in reached), 2) if reached else None,
        sum(r.hours <= within_hours for r in reached),
        max((r.human_steps for r in reached), default=None))


def test_the_summary_gives_the_figures_of_every_row(
        client, session, engine, web, uk, monkeypatch):  # noqa: F811
    window = uk.s.world.users[Role.WINDOW_OFFICER]
    clock = {"at": datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=UTC)}
    monkeypatch.setattr(audit, "_now_text", lambda: clock["at"].strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"))
    today, company = utcnow().date(), uk.company.id  # (read once: the session rolls back)
    post(client, uk.liaison, "/foreign-assurances/facility", {  # the visitors' employer
        "organisation_id": company, "partner_level": "SECRET", "reference": "UKFSC-1",
        "valid_until": (today + timedelta(days=900)).isoformat()}, 201)
    seen = []
    for k, (elapsed, visits) in enumerate(VISITORS):
        submitted = clock["at"] = clock["at"] + 2 * H + k * 7 * S
        a = post(client, uk.liaison, "/foreign-assurances/personnel", engineer(
            employer_id=company, today=today, reference=f"UK-{k}") | {"person": {
                "family_name_latin": "Hughes", "given_name_latin": "Owen" + "n" * k,
                "birth_date": f"1980-01-{10 + k}", "nationalities": ["GBR"],
                "employer_id": company}}, 201)
        for _ in range(visits):
            clock["at"] += 60 * S
            post(client, uk.liaison, "/visits", visit(uk, [a["id"]]), 201)
        if elapsed is not None:
            clock["at"] = submitted + (2 * H if elapsed == "refused" else elapsed)
            area = None if elapsed == "refused" else uk.s.sds_area
            permit = check(client, window, a["person_id"], uk.shared["id"], area)[0]
            assert permit is (elapsed != "refused"), k
        session.rollback()
        rows = time_to_access(session, actor=window.actor)
        session.rollback()
        for hours in LIMITS:
            with counting(engine) as statements:
                found = time_to_access_summary(session, actor=window.actor,
                                               within_hours=hours)
            session.rollback()  # (SQLite: the API's requests write in between)
            assert found == reference(rows, hours), (k, hours)
            assert [q for q in statements if q.lstrip().upper().startswith(
                ("SELECT", "WITH"))] == statements[-1:]  # one statement, however many
        seen.append(found)
    # the data set reaches what it is meant to: odd and even counts, both sides of each
    # limit's rounding, no access yet, several steps
    assert {s.reached % 2 for s in seen} == {0, 1}
    last = seen[-1]
    assert (last.visitors, last.reached, last.most_steps) == (12, 9, 4)  # 1 + 3 requests
    assert reference(rows, 24.0).within == 5 and reference(rows, 30.0).within == 8
    assert seen[0] == TimeToAccessSummary(1, 0, None, 0, None)
    # the page shows them
    summary = element(web(window).get("/time-to-access").text, 'id="tta-summary"')
    shown = {c: text(element(summary, f'class="{c}"'))
             for c in ("visitors", "reached", "median-hours", "within-day", "most-steps")}
    assert shown == {"visitors": "12", "reached": "9", "median-hours": str(last.median_hours),
                     "within-day": str(reference(rows, FAST_HOURS).within),
                     "most-steps": "4"}
