"""Helpers of the page tests: a browser signed in as one user (the `web` fixture in
tests/conftest.py makes them), and reading elements and text out of a page."""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

from fastapi.testclient import TestClient


@dataclass
class Web:
    """A browser signed in as one user (English pages): posts carry the session's token."""

    client: TestClient
    token: str

    def get(self, url: str, **kw):
        return self.client.get(url, follow_redirects=False, **kw)

    def post(self, url: str, data: dict | None = None, files: dict | None = None):
        return self.client.post(url, data=(data or {}) | {"csrf_token": self.token},
                                files=files, follow_redirects=False)


def element(html: str, attr: str) -> str:
    """The source of the first element carrying `attr` (e.g. 'id="csv-errors"') or
    starting so ('<caption'), through its matching end tag (not for void elements)."""
    m = re.search(re.escape(attr) if attr.startswith("<")
                  else rf"<\w+\b[^>]*\b{re.escape(attr)}", html)
    assert m, f"no element with {attr}"
    tag = re.match(r"<(\w+)", html[m.start():])[1]
    depth = 0
    for t in re.finditer(rf"<(/?){tag}\b[^>]*>", html[m.start():]):
        depth += -1 if t[1] else 1
        if depth == 0:
            return html[m.start():m.start() + t.end()]
    raise AssertionError(f"unclosed element with {attr}")


def text(html: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())
