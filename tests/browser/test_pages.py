"""Page flows in real Chromium against the live server (tests/browser/conftest.py).

Japanese is the default language, so every expectation below is written in the Japanese
the catalogue gives, except where a test switches to English on purpose.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from stdnum.jp import cn

from hozen.accounts.permissions import Role
from hozen.audit.models import AuditEvent
from hozen.db import session_factory
from hozen.registry.models import Organisation, Person
from hozen.web.i18n import translations
from tests.authenticator import AUTHENTICATOR
from tests.browser.helpers import second_step
from tests.factories import make_person

pytestmark = pytest.mark.browser

WINDOW = Role.WINDOW_OFFICER
CSO = Role.COMPANY_SECURITY_OFFICER

# Japanese wording from src/hozen/locale/ja/LC_MESSAGES/messages.po
JA_LOGIN_FAILED = "ユーザー名またはパスワードが正しくありません。"
JA_DATE_INVALID = "正しい日付を入力してください（例：1990-05-03 または 平成2年5月3日）。"
JA_CN_INVALID = "法人番号が正しくありません（チェックデジットを含む13桁）。"
JA_OUT_OF_SCOPE = "自組織の職員のみ登録できます。"
JA_NO_PEOPLE = "該当する人物はいません。"


# --- helpers -----------------------------------------------------------------------


def sign_in(page: Page, server, role: Role, next_path: str = "/") -> None:
    page.goto(f"{server.url}/login?next={next_path}")
    page.get_by_label("ユーザー名").fill(server.username(role))
    page.get_by_label("パスワード").fill(server.password)
    page.get_by_role("button", name="ログイン").click()
    second_step(page, server, server.username(role), next_path, JA)
    expect(page).to_have_url(server.url + next_path)


def people_count(engine) -> int:
    with session_factory(engine)() as s:
        return s.scalar(select(func.count()).select_from(Person))


def audit_count(engine, tag: str) -> int:
    with session_factory(engine)() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.tag == tag))


def search_people(page: Page, server, q: str = "", birth_date: str = "") -> None:
    page.goto(f"{server.url}/people")
    page.get_by_role("search").get_by_label("氏名").fill(q)
    page.get_by_role("search").get_by_label("生年月日").fill(birth_date)
    page.get_by_role("search").get_by_role("button", name="検索").click()


def result_links(page: Page):
    return page.locator("table.list tbody a")


def fill_person(page: Page, *, family="桜井", given="花子", family_kana="さくらい",
                given_kana="はなこ", family_latin="Sakurai", given_latin="Hanako",
                birth="1991-08-15", employer: str | None = None) -> None:
    page.get_by_label("姓", exact=True).fill(family)
    page.get_by_label("名", exact=True).fill(given)
    page.get_by_label("姓（フリガナ）").fill(family_kana)
    page.get_by_label("名（フリガナ）").fill(given_kana)
    page.get_by_label("姓（ローマ字）").fill(family_latin)
    page.get_by_label("名（ローマ字）").fill(given_latin)
    page.get_by_label(re.compile("^生年月日")).fill(birth)
    if employer is not None:
        page.get_by_label("所属組織").select_option(label=employer)


JA = translations("ja").gettext
PERSON_URL = re.compile(r"/people/[0-9a-f-]{36}$")


# --- sign-in -----------------------------------------------------------------------


def test_login_wrong_password_then_right_one(page: Page, live_server, engine):
    page.goto(live_server.url + "/")
    # A protected page sends the browser to the sign-in page, in Japanese by default.
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")

    failures = audit_count(engine, "accounts:login:fail")
    page.get_by_label("ユーザー名").fill(live_server.username(WINDOW))
    page.get_by_label("パスワード").fill("not-the-password-at-all")
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("alert")).to_have_text(JA_LOGIN_FAILED)
    expect(page).to_have_url(live_server.url + "/login")
    # The user name is kept, the password is not echoed back.
    expect(page.get_by_label("ユーザー名")).to_have_value(live_server.username(WINDOW))
    expect(page.get_by_label("パスワード")).to_have_value("")
    assert audit_count(engine, "accounts:login:fail") == failures + 1

    page.get_by_label("パスワード").fill(live_server.password)
    page.get_by_role("button", name="ログイン").click()
    second_step(page, live_server, live_server.username(WINDOW), "/", JA)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{live_server.username(WINDOW)} さん、ようこそ")
    expect(page.locator("main")).to_contain_text("一元的窓口職員")
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()


def test_login_with_keyboard_only(page: Page, live_server):
    page.goto(live_server.url + "/login")
    # The first Tab reaches the skip link, then the focus order leads to the form.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("本文へ移動")
    for _ in range(10):
        if page.evaluate("document.activeElement.id") == "f-username":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#f-username")).to_be_focused()
    page.keyboard.type(live_server.username(WINDOW))
    page.keyboard.press("Tab")
    expect(page.locator("#f-password")).to_be_focused()
    page.keyboard.type(live_server.password)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/login/(code|enrol)"))
    if "/login/code" in page.url:  # the code field has the focus: type, Enter
        expect(page.locator("#f-code")).to_be_focused()
        page.keyboard.type(AUTHENTICATOR.code(live_server.username(WINDOW)))
        page.keyboard.press("Enter")
    else:
        second_step(page, live_server, live_server.username(WINDOW), "/", JA)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")


def test_sign_out_ends_the_session(page: Page, live_server):
    sign_in(page, live_server, WINDOW)
    old = next(c for c in page.context.cookies() if c["name"] == "hozen_session")

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(live_server.url + "/login")
    page.goto(live_server.url + "/people")
    expect(page).to_have_url(live_server.url + "/login?next=%2Fpeople")

    # The server ended the session: replaying the old cookie does not get back in.
    page.context.add_cookies([{k: old[k] for k in ("name", "value", "domain", "path")}])
    page.goto(live_server.url + "/people")
    expect(page).to_have_url(live_server.url + "/login?next=%2Fpeople")
    expect(page.get_by_role("heading", level=1)).to_have_text("ログイン")

    # Signing in again from there returns to the page that was asked for.
    page.get_by_label("ユーザー名").fill(live_server.username(WINDOW))
    page.get_by_label("パスワード").fill(live_server.password)
    page.get_by_role("button", name="ログイン").click()
    second_step(page, live_server, live_server.username(WINDOW), "/people", JA)
    expect(page).to_have_url(live_server.url + "/people")
    expect(page.get_by_role("heading", level=1)).to_have_text("人物")


# --- language ----------------------------------------------------------------------


def test_language_switch_and_back_persists_across_pages(page: Page, live_server):
    sign_in(page, live_server, WINDOW)
    page.get_by_role("navigation").get_by_role("link", name="人物").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人物")

    page.get_by_role("link", name="English").click()
    # Back on the same page, now in English.
    expect(page).to_have_url(live_server.url + "/people")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # The choice persists across navigation (links and fresh loads).
    page.get_by_role("navigation").get_by_role("link", name="Organisations").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Organisations")
    expect(page.get_by_role("cell", name="CAO test")).to_be_visible()
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Welcome, {live_server.username(WINDOW)}")
    expect(page.locator("main")).to_contain_text("Government window officer")

    page.get_by_role("link", name="日本語").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_contain_text("ようこそ")
    page.goto(live_server.url + "/organisations")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("組織")
    expect(page.get_by_role("cell", name="内閣府テスト")).to_be_visible()


# --- people ------------------------------------------------------------------------


def test_window_officer_registers_a_person_and_finds_them(page: Page, live_server, engine):
    world = live_server.world
    sign_in(page, live_server, WINDOW)
    page.goto(live_server.url + "/people")
    page.get_by_role("link", name="人物の登録").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("人物の登録")
    fill_person(page, birth="平成3年8月15日", employer=world.company.name_ja)
    page.get_by_label("部署").fill("防衛事業部")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(PERSON_URL)
    person_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_role("heading", level=1)).to_have_text("桜井 花子")
    expect(page.locator("#birth-date")).to_have_text("1991-08-15 (平成3年8月15日)")
    # Hiragana typed into the kana fields is stored as katakana.
    expect(page.locator("main")).to_contain_text("サクライ ハナコ")
    expect(page.locator("main")).to_contain_text("防衛事業部")
    with session_factory(engine)() as s:
        assert s.get(Person, person_id).employer_id == world.company.id

    # Found by the full kanji name, with or without the space.
    for q in ("桜井 花子", "桜井"):
        search_people(page, live_server, q)
        expect(result_links(page)).to_have_count(1)
        expect(result_links(page)).to_have_text("桜井 花子")
        expect(result_links(page)).to_have_attribute("href", f"/people/{person_id}")
    # ... by hiragana (and half-width katakana) input, and by Latin in any case.
    for q in ("さくらいはなこ", "ｻｸﾗｲ", "HANAKO sakurai"):
        search_people(page, live_server, q)
        expect(result_links(page)).to_have_text(["桜井 花子"])
    # ... by birth date in era form, which excludes the world's other people.
    search_people(page, live_server, birth_date="H3.8.15")
    expect(result_links(page)).to_have_text(["桜井 花子"])
    # Names are matched exactly: a partial name finds nobody.
    search_people(page, live_server, "桜井花")
    expect(result_links(page)).to_have_count(0)
    expect(page.locator("table.list")).to_contain_text(JA_NO_PEOPLE)
    # A bad date in the search form is flagged in Japanese next to that field.
    search_people(page, live_server, birth_date="2020-02-30")
    expect(page.get_by_role("search").locator("#e-birth_date")).to_have_text(JA_DATE_INVALID)
    expect(page.get_by_role("search").get_by_label("生年月日")).to_have_attribute(
        "aria-invalid", "true")


def test_company_security_officer_registers_own_staff(page: Page, live_server, engine):
    world = live_server.world
    sign_in(page, live_server, CSO)
    page.goto(live_server.url + "/people/new")
    before = people_count(engine)

    # The employer list offers only the officer's own company.
    options = page.get_by_label("所属組織").locator("option")
    expect(options).to_have_text(["—", world.company.name_ja])
    # A forged post naming another company is refused in Japanese and saves nothing.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    forged = page.request.post(live_server.url + "/people/new", form={
        "csrf_token": token, "family_name_kanji": "北条", "given_name_kanji": "政子",
        "birth_date": "1985-03-09", "nationalities": "JPN",
        "employer_id": world.other_company.id})
    assert forged.status == 422
    assert JA_OUT_OF_SCOPE in forged.text()
    assert people_count(engine) == before

    fill_person(page, family="北条", given="政子", family_kana="ホウジョウ",
                given_kana="マサコ", family_latin="Hojo", given_latin="Masako",
                birth="1985-03-09")
    # Left blank, the employer is the officer's own company.
    page.get_by_label("所属組織").select_option(value="")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(PERSON_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("北条 政子")
    person_id = page.url.rsplit("/", 1)[1]
    with session_factory(engine)() as s:
        assert s.get(Person, person_id).employer_id == world.company.id
    assert people_count(engine) == before + 1

    search_people(page, live_server, "ほうじょう まさこ")
    expect(result_links(page)).to_have_text(["北条 政子"])
    # The officer sees their own staff only, never another company's.
    search_people(page, live_server, "佐々木")
    expect(result_links(page)).to_have_count(0)
    page.goto(f"{live_server.url}/people/{world.outsider.id}")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("佐々木")
    expect(page.locator("main")).to_contain_text("(404)")


def test_bad_birth_date_shows_japanese_error_and_saves_nothing(page: Page, live_server,
                                                               engine):
    sign_in(page, live_server, WINDOW)
    page.goto(live_server.url + "/people/new")
    before = people_count(engine)
    created = audit_count(engine, "registry:person:create")
    fill_person(page, family="村上", given="千尋", family_kana="ムラカミ", given_kana="チヒロ",
                family_latin="Murakami", given_latin="Chihiro")
    birth = page.locator("#f-birth_date")
    for bad in ("2020-02-30", "abc"):  # the second on the form re-shown with the error
        birth.fill(bad)
        page.get_by_role("button", name="保存").click()

        expect(page.locator("#e-birth_date")).to_have_text(JA_DATE_INVALID)
        expect(birth).to_have_attribute("aria-invalid", "true")
        expect(birth).to_have_attribute("aria-describedby",
                                        re.compile(r"(^| )e-birth_date( |$)"))
        expect(birth).to_have_value(bad)
        # The message sits next to its field, inside the same field group.
        expect(page.locator(".field.invalid").filter(has=birth)).to_contain_text(
            JA_DATE_INVALID)
        # The summary links to the field; no other field is flagged; values are kept.
        summary_link = page.get_by_role("alert").filter(
            has_text="次の項目を修正してください").get_by_role("link")
        expect(summary_link).to_have_text([JA_DATE_INVALID])
        expect(summary_link).to_have_attribute("href", "#f-birth_date")
        expect(page.locator("[aria-invalid=true]")).to_have_count(1)
        expect(page.get_by_label("姓", exact=True)).to_have_value("村上")
        expect(page.get_by_label("名（フリガナ）")).to_have_value("チヒロ")
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        assert people_count(engine) == before
        assert audit_count(engine, "registry:person:create") == created

    search_people(page, live_server, "村上千尋")
    expect(result_links(page)).to_have_count(0)


def test_edit_a_person(page: Page, live_server, engine):
    with session_factory(engine)() as s:
        person = make_person(s, employer_id=live_server.world.company.id,
                             family_name_kanji="長谷川", given_name_kanji="綾乃",
                             family_name_kana="ハセガワ", given_name_kana="アヤノ",
                             family_name_latin="Hasegawa", given_name_latin="Ayano",
                             birth_date="1979-12-24")
        s.commit()
    before = people_count(engine)
    sign_in(page, live_server, WINDOW)
    page.goto(f"{live_server.url}/people/{person.id}")
    page.get_by_role("link", name="編集").click()
    expect(page).to_have_url(f"{live_server.url}/people/{person.id}/edit")
    expect(page.get_by_role("heading", level=1)).to_have_text("人物の編集")
    expect(page.get_by_label("姓", exact=True)).to_have_value("長谷川")
    expect(page.get_by_label(re.compile("^生年月日"))).to_have_value("1979-12-24")
    expect(page.get_by_label("所属組織")).to_have_value(live_server.world.company.id)

    page.get_by_label("名", exact=True).fill("彩乃")
    page.get_by_label(re.compile("^生年月日")).fill("昭和54年12月25日")
    page.get_by_label("役職").fill("主任研究員")
    page.get_by_role("button", name="保存").click()

    expect(page).to_have_url(f"{live_server.url}/people/{person.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("長谷川 彩乃")
    expect(page.locator("#birth-date")).to_have_text("1979-12-25 (昭和54年12月25日)")
    expect(page.locator("main")).to_contain_text("主任研究員")
    # Unchanged fields are kept.
    expect(page.locator("main")).to_contain_text("Hasegawa Ayano")
    assert people_count(engine) == before

    # The search index follows the edit.
    search_people(page, live_server, "長谷川彩乃")
    expect(result_links(page)).to_have_text(["長谷川 彩乃"])
    search_people(page, live_server, "長谷川綾乃")
    expect(result_links(page)).to_have_count(0)

    # A bad date on edit is refused in Japanese and the stored record is unchanged.
    page.goto(f"{live_server.url}/people/{person.id}/edit")
    page.get_by_label(re.compile("^生年月日")).fill("2020-02-30")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#e-birth_date")).to_have_text(JA_DATE_INVALID)
    expect(page.locator("#f-birth_date")).to_have_attribute("aria-invalid", "true")
    page.goto(f"{live_server.url}/people/{person.id}")
    expect(page.locator("#birth-date")).to_have_text("1979-12-25 (昭和54年12月25日)")


# --- organisations -----------------------------------------------------------------


def test_organisation_with_invalid_corporate_number_is_refused(page: Page, live_server,
                                                                engine):
    def org_count() -> int:
        with session_factory(engine)() as s:
            return s.scalar(select(func.count()).select_from(Organisation))

    sign_in(page, live_server, WINDOW)
    page.goto(live_server.url + "/organisations")
    page.get_by_role("link", name="組織の登録").click()
    before = org_count()
    base = "700150099999"
    good = cn.calc_check_digit(base) + base
    bad = str((int(good[0]) + 1) % 10) + base  # wrong check digit

    page.get_by_label("種別").select_option("company")
    page.get_by_label(re.compile("^名称（日本語）")).fill("蒼海精機株式会社")
    page.get_by_label(re.compile("^名称（英語）")).fill("Sokai Seiki K.K.")
    page.get_by_label("法人番号").fill(bad)
    page.get_by_role("button", name="保存").click()

    expect(page.locator("#e-corporate_number")).to_have_text(JA_CN_INVALID)
    expect(page.locator("#f-corporate_number")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-corporate_number")).to_have_value(bad)
    expect(page.get_by_label(re.compile("^名称（日本語）"))).to_have_value("蒼海精機株式会社")
    assert org_count() == before

    page.get_by_label("法人番号").fill(good)
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/organisations/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("蒼海精機株式会社")
    expect(page.locator("main")).to_contain_text(good)
    assert org_count() == before + 1
