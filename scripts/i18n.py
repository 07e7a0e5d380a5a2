"""Extract translatable strings and merge them into the ja and en catalogues.

    python scripts/i18n.py          # update catalogues; lists msgids still untranslated
English is the message id, so the en catalogue copies it; ja needs a human translation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "src" / "hozen" / "locale"
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "N_": None, "gettext": None}


def extracted() -> list[str]:
    """Every msgid in the source, in first-seen order."""
    seen: dict[str, None] = {}
    for _file, _line, msg, _comments, _ctx in extract_from_dir(
        ROOT / "src" / "hozen", METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        if isinstance(msg, str) and msg:
            seen.setdefault(msg, None)
    return list(seen)


def load(lang: str) -> Catalog:
    path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
    if path.exists():
        with open(path, "rb") as fh:
            return read_po(fh, locale=lang)
    return Catalog(locale=lang)


def main() -> int:
    ids = extracted()
    missing = []
    for lang in ("ja", "en"):
        old = load(lang)
        new = Catalog(locale=lang, project="hozen", charset="utf-8")
        for msgid in ids:
            prev = old.get(msgid)
            text = prev.string if prev is not None and prev.string else ""
            if lang == "en":
                text = msgid
            elif not text:
                missing.append(msgid)
            new.add(msgid, text)
        path = LOCALE / lang / "LC_MESSAGES" / "messages.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            write_po(fh, new, width=0, omit_header=False, sort_output=False)
    for msgid in missing:
        print(f"untranslated (ja): {msgid}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
