"""Japanese first, English second: Babel catalogues compiled in memory at start."""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("ja", "en")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANG_COOKIE = "hozen_lang"


@lru_cache
def translations(lang: str) -> gettext.GNUTranslations:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def pick_language(cookie: str | None, default: str) -> str:
    return cookie if cookie in LANGUAGES else default
