"""Every signed-in user reaches their sign-in security page (second factor, recovery
codes) from the header of every page (issue 11)."""

from __future__ import annotations

import re

from hozen.accounts.permissions import Permission as P
from hozen.accounts.permissions import Role, role_has
from tests.factories import detached_world
from tests.pages import element

LINK = 'id="account-security"'


def test_every_role_finds_the_security_page_in_the_header(web, session):
    world = detached_world(session)
    assert set(world.users) == set(Role)
    for role, user in world.users.items():
        assert role_has(frozenset({role}), P.ACCOUNTS_SELF_READ)
        browser = web(user)
        home = browser.get("/")
        assert home.status_code == 200, (role, home.text[:200])
        link = element(element(home.text, '<header'), LINK)
        assert 'href="/account/security"' in link and "Sign-in security" in link, role
        page = browser.get("/account/security")
        assert page.status_code == 200 and "<h1>Sign-in security</h1>" in page.text, role
        here = element(page.text, LINK)
        assert 'aria-current="page"' in here  # and it says where the user is


def test_the_link_is_in_japanese_and_not_shown_signed_out(client, web, session):
    world = detached_world(session)
    browser = web(world.users[Role.SUBJECT])
    browser.client.cookies.set("hozen_lang", "ja")
    page = browser.get("/inbox")
    assert re.search(r'id="account-security"[^>]*>サインインのセキュリティ</a>', page.text)
    signed_out = client.get("/login")
    assert signed_out.status_code == 200 and LINK not in signed_out.text
