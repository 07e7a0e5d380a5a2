"""Shared steps of the browser journeys: Japanese labels from the catalogue, signing in
as a role, and the status of a form's POST."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from hozen.accounts.permissions import Role
from hozen.web.i18n import translations
from tests.authenticator import AUTHENTICATOR


def ja(msgid: str) -> str:
    """The Japanese of a catalogue message; a missing translation fails the test."""
    text = translations("ja").gettext(msgid)
    assert text != msgid, f"no Japanese translation for {msgid!r}"
    return text


def sign_in_as(page: Page, server, role: Role, path: str) -> None:
    """Sign out whoever is signed in (the header's button), then sign in as `role`."""
    sign_in(page, server, server.username(role), path)
    expect(page.locator("html")).to_have_attribute("lang", "ja")


def sign_in(page: Page, server, username: str, path: str, lang: str = "ja") -> None:
    """Sign out whoever is signed in, then sign in as `username` (pages in `lang`)."""
    tr = translations(lang).gettext
    if lang != "ja":
        page.context.add_cookies([{"name": "hozen_lang", "value": lang, "url": server.url}])
    sign_out = page.get_by_role("button", name=tr("Sign out"))
    if page.url.startswith(server.url) and sign_out.count():
        sign_out.click()
        expect(page).to_have_url(server.url + "/login")
    page.goto(f"{server.url}/login?next={path}")
    page.get_by_label(tr("User name")).fill(username)
    page.get_by_label(tr("Password")).fill(server.password)
    page.get_by_role("button", name=tr("Sign in")).click()
    second_step(page, server, username, path, tr)
    expect(page).to_have_url(server.url + path)


def second_step(page: Page, server, username: str, path: str, tr) -> None:
    """The code an officer's sign-in asks for, or its enrolment the first time (the key
    read off the page, as a person types it into an authenticator; tests/authenticator)."""
    page.wait_for_url(lambda url: url.startswith(server.url + "/login/") or
                      url == server.url + path)
    if page.url.startswith(server.url + "/login/enrol"):
        AUTHENTICATOR.learn(username, page.content())
        page.get_by_label(tr("Code")).fill(AUTHENTICATOR.code(username))
        page.get_by_role("button", name=tr("Confirm and continue")).click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)
        AUTHENTICATOR.learn_recovery(username, page.content())
        page.locator("#continue").click()
    elif page.url.startswith(server.url + "/login/code"):
        page.get_by_label(tr("Code")).fill(AUTHENTICATOR.code(username))
        page.get_by_role("button", name=tr("Verify")).click()


def post_status(page: Page, click) -> int:
    """Click something that posts a form; the status of the POST's response."""
    with page.expect_response(lambda r: r.request.method == "POST") as info:
        click()
    return info.value.status
