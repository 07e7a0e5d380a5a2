"""Take the README screenshots: the people page (docs/screenshot-people.png), the
subject's consent page (docs/screenshot-consent.png) and the agency's FOCI review with
its ownership picture (docs/screenshot-foci.png).

Builds a fresh SQLite database in a temporary directory, loads the demo data set, serves
the real application with uvicorn in a background thread on a free 127.0.0.1 port (as
the browser tests do), signs in as the demo window officer and photographs /people in
Japanese at 1280×800 with the system Chromium.

    .venv/bin/python scripts/screenshot.py [OUTPUT.png]
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(tempfile.mkdtemp(prefix="hozen-screenshot-"))
DATABASE_URL = f"sqlite:///{TMP}/hozen.db"

# Before any hozen module reads its settings: a throwaway database and keys.
os.environ.update(
    HOZEN_ENV="development",
    HOZEN_DATABASE_URL=DATABASE_URL,
    HOZEN_KEY_FILE=str(TMP / "hozen.key"),
    HOZEN_CHECKPOINT_KEY_FILE=str(TMP / "keys" / "audit-checkpoint.key"),
    HOZEN_LANGUAGE="ja",
)

# The same flags as tests/conftest.py CHROMIUM_ARGS.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}


def load_demo() -> None:
    from hozen import demo
    from hozen.db import get_engine_for_url, unit_of_work, upgrade

    upgrade(DATABASE_URL)
    with unit_of_work(get_engine_for_url(DATABASE_URL)) as session:
        demo.load(session)


def start_server():
    import uvicorn

    from hozen.app import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise SystemExit("the hozen server did not start")
        time.sleep(0.02)
    return server, thread, sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


def main(out: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from hozen.demo import DEMO_PASSWORD, PEOPLE

    load_demo()
    server, thread, sock, url = start_server()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium",
                                         args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT, locale="ja-JP")
            page.goto(f"{url}/login?next=/people")
            page.get_by_label("ユーザー名").fill("window")
            page.get_by_label("パスワード").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            expect(page).to_have_url(f"{url}/people")
            expect(page.locator("table.list tbody tr")).to_have_count(len(PEOPLE))
            page.evaluate("document.fonts.ready")
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            # The subject's consent page: what will be checked, then consent or refuse.
            page = browser.new_page(viewport=VIEWPORT, locale="ja-JP")
            page.goto(f"{url}/login?next=/my/assessments")
            page.get_by_label("ユーザー名").fill("subject")
            page.get_by_label("パスワード").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            expect(page.locator("form.consent-form")).to_have_count(1)
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(out.with_name("screenshot-consent.png")), full_page=True)
            # The agency's FOCI review of the demo company: the ownership picture.
            page = browser.new_page(viewport=VIEWPORT, locale="ja-JP")
            page.goto(f"{url}/login?next=/facilities")
            page.get_by_label("ユーザー名").fill("agency")
            page.get_by_label("パスワード").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            page.locator("#facility-list a", has_text="富士見重工業").first.click()
            page.locator("#foci-link").click()
            expect(page.locator("#ownership-picture svg")).to_have_count(1)
            page.evaluate("document.fonts.ready")
            page.screenshot(path=str(out.with_name("screenshot-foci.png")), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        shutil.rmtree(TMP, ignore_errors=True)
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot-people.png")
