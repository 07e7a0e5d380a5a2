"""A designation's life in real Chromium, in Japanese, through the pages: the agency
proposes → the holder's security officer comments → a second (approving) official
approves, having the comment before them → the register shows the designation in force
with its next review date → an item is registered under it → the yearly review, opened
by `hozen jobs run`, finds it obsolete → the approving official approves the lifting →
the item is unclassified."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.clearances.rules import add_years
from hozen.db import unit_of_work, utcnow
from hozen.designations import jobs
from tests.browser.helpers import ja, post_status, sign_in_as

pytestmark = pytest.mark.browser

AGENCY, APPROVER, CSO = Role.AGENCY_OFFICIAL, Role.APPROVING_OFFICIAL, Role.COMPANY_SECURITY_OFFICER
EXPERT = Role.EXTERNAL_EXPERT
COMMENT = "当社の量産ラインにも影響するため、範囲は鍵管理方式に限ってください。"


def test_propose_consult_approve_review_and_lift(page: Page, live_server, engine):
    server, world = live_server, live_server.world
    today = utcnow().date()

    # The agency proposes.
    sign_in_as(page, server, AGENCY, "/designations")
    form = page.locator("#propose-form")
    form.locator("#f-title").fill("衛星通信の暗号鍵管理方式")
    form.locator("#f-regime").select_option("CESI")
    form.locator("#f-category").select_option("key_technologies")
    form.locator("#f-reasons").fill("公になれば重要経済基盤の脆弱性が明らかになるため")
    form.locator("#f-scope_kind").select_option("technology")
    form.locator("#f-scope").fill("衛星通信暗号")
    form.locator("#f-holders").select_option(world.company.id)
    form.locator("#f-experts").select_option(world.users[EXPERT].user_id)
    form.locator("#f-releasable_to").fill("USA")
    form.locator("#f-term_start").fill(today.isoformat())
    too_long = add_years(today, 5)  # one day beyond the 5-year term
    form.locator("#f-term_end").fill(too_long.isoformat())
    assert post_status(page, lambda: form.get_by_role("button", name=ja("Propose")).click()) \
        == 422
    expect(page.locator(".summary")).to_contain_text(ja("A term lasts at most 5 years."))
    form = page.locator("#propose-form")
    form.locator("#f-term_end").fill((too_long - timedelta(days=1)).isoformat())
    form.get_by_role("button", name=ja("Propose")).click()
    expect(page).to_have_url(re.compile(r".*/designations/[0-9a-f-]{36}$"))
    record = page.url
    expect(page.locator("#designation-status")).to_have_text(ja("Proposed, awaiting approval"))
    # The proposer has no decision form; the holder is asked for comments.
    expect(page.locator(".decision-form")).to_have_count(0)

    # The holder's security officer comments.
    sign_in_as(page, server, CSO, record.removeprefix(server.url))
    page.locator(".comment-form textarea").fill(COMMENT)
    page.locator(".comment-form").get_by_role("button", name=ja("Comment")).click()
    expect(page.locator("ul.comments")).to_contain_text(COMMENT)

    # The invited expert may comment too.
    sign_in_as(page, server, EXPERT, record.removeprefix(server.url))
    expect(page.locator(".comment-form")).to_have_count(1)

    # A second official approves, with the comment before them.
    sign_in_as(page, server, APPROVER, record.removeprefix(server.url))
    expect(page.locator("ul.comments")).to_contain_text(COMMENT)
    decision = page.locator(".decision-form")
    decision.get_by_label(ja("Approve"), exact=True).check()
    decision.locator("textarea").fill("必要性と範囲を確認した。")
    decision.get_by_role("button", name=ja("Record the decision")).click()
    expect(page.locator("#designation-status")).to_have_text(ja("In force"))

    # The register shows it in force with its next review a year on.
    page.goto(server.url + "/designations")
    row = page.locator("#register tbody tr", has_text="衛星通信の暗号鍵管理方式")
    expect(row.locator("td").nth(4)).to_have_text(ja("In force"))
    next_review = add_years(today, 1)
    expect(row.locator(".next-review")).to_have_text(next_review.isoformat())

    # The agency registers an item under it: classified CESI, with its banner.
    sign_in_as(page, server, AGENCY, record.removeprefix(server.url))
    items = page.locator("#item-form")
    items.locator("#f-title").fill("鍵管理方式 設計書")
    items.locator("#f-compartments").fill("SATCOM")
    items.locator("#f-releasable_to").fill("USA")
    items.get_by_role("button", name=ja("Register")).click()
    item_row = page.locator("#item-list tbody tr", has_text="鍵管理方式 設計書")
    expect(item_row.locator(".level-CESI")).to_have_count(1)
    expect(item_row.locator("code")).to_have_text("重要経済安保情報//SATCOM//REL TO JPN, USA")

    # A year on, the scheduler opens the review; the agency finds it obsolete.
    with unit_of_work(engine) as session:
        assert jobs.run(session, next_review).reviews_opened == 1
    page.goto(server.url + "/designations")
    review = page.locator(".review-form")
    expect(review).to_have_count(1)
    review.get_by_label(ja("Obsolete: propose lifting")).check()
    review.locator("textarea").fill("技術が公知となったため指定の必要がなくなった。")
    review.get_by_role("button", name=ja("Record the review")).click()
    expect(page.locator(".review-form")).to_have_count(0)

    # The approving official approves the lifting: the item is unclassified.
    sign_in_as(page, server, APPROVER, record.removeprefix(server.url))
    open_lift = page.locator(".proposal[data-status=open]")
    expect(open_lift).to_contain_text(ja("lifting"))
    open_lift.get_by_label(ja("Approve"), exact=True).check()
    open_lift.locator(".decision-form textarea").fill("解除を承認する。")
    open_lift.get_by_role("button", name=ja("Record the decision")).click()
    expect(page.locator("#designation-status")).to_have_text(ja("Lifted"))
    item_row = page.locator("#item-list tbody tr", has_text="鍵管理方式 設計書")
    expect(item_row.locator(".level-UNMARKED")).to_have_count(1)
    expect(item_row.locator("code")).to_have_text("")


def test_narrow_the_holders_and_lift_part_of_a_designation(page: Page, live_server):
    """The agency narrows the holders to one company, then a holder proposes lifting one
    of two items; each takes effect only when the approving official approves it."""
    server, world = live_server, live_server.world
    today = utcnow().date()
    sign_in_as(page, server, AGENCY, "/designations")
    form = page.locator("#propose-form")
    form.locator("#f-title").fill("次世代蓄電池の製造条件")
    form.locator("#f-category").select_option("key_technologies")
    form.locator("#f-reasons").fill("供給網の要となる技術であるため")
    form.locator("#f-scope").fill("蓄電池")
    form.locator("#f-holders").select_option([world.company.id, world.other_company.id])
    form.locator("#f-term_start").fill(today.isoformat())
    form.locator("#f-term_end").fill((today + timedelta(days=365)).isoformat())
    form.get_by_role("button", name=ja("Propose")).click()
    expect(page).to_have_url(re.compile(r".*/designations/[0-9a-f-]{36}$"))
    record = page.url.removeprefix(server.url)
    approve(page, server, record)
    expect(page.locator("#designation-status")).to_have_text(ja("In force"))

    # Two items under it.
    sign_in_as(page, server, AGENCY, record)
    for title in ("製造条件 一覧", "試験装置 仕様"):
        items = page.locator("#item-form")
        items.locator("#f-title").fill(title)
        items.get_by_role("button", name=ja("Register")).click()
        expect(page.locator("#item-list tbody tr", has_text=title)).to_have_count(1)

    # Narrow: the other company no longer holds it.
    change = page.locator("#change-form")
    change.locator("#f-kind").select_option("change")
    change.locator("#f-reasons").fill("他社の関与が終了したため")
    change.locator("#f-holders").select_option([world.company.id])
    change.get_by_role("button", name=ja("Propose")).click()
    proposal = page.locator(".proposal[data-status=open]")
    expect(proposal.locator(".direction")).to_have_text(ja("narrowing"))
    approve(page, server, record)
    expect(page.locator("dl").first).not_to_contain_text(world.other_company.name_ja)

    # A holder proposes lifting one item; the approving official approves.
    sign_in_as(page, server, CSO, record)
    change = page.locator("#change-form")
    change.locator("#f-kind").select_option("lift_part")
    change.locator("#f-reasons").fill("仕様は公開済みのため")
    change.get_by_label("試験装置 仕様").check()
    change.get_by_role("button", name=ja("Propose")).click()
    expect(page.locator(".proposal[data-status=open]")).to_contain_text("試験装置 仕様")
    approve(page, server, record)
    freed = page.locator("#item-list tbody tr", has_text="試験装置 仕様")
    expect(freed.locator(".level-UNMARKED")).to_have_count(1)
    kept = page.locator("#item-list tbody tr", has_text="製造条件 一覧")
    expect(kept.locator(".level-CESI")).to_have_count(1)
    expect(page.locator("#designation-status")).to_have_text(ja("In force"))


def approve(page: Page, server, record: str) -> None:
    sign_in_as(page, server, APPROVER, record)
    decision = page.locator(".proposal[data-status=open] .decision-form")
    decision.get_by_label(ja("Approve"), exact=True).check()
    decision.locator("textarea").fill("承認する。")
    decision.get_by_role("button", name=ja("Record the decision")).click()
    expect(page.locator(".proposal[data-status=open]")).to_have_count(0)
