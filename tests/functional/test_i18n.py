"""Both catalogues are complete: every string the code and templates mark is translated."""

import importlib.util
from pathlib import Path

import pytest

from hozen.web.i18n import translations

ROOT = Path(__file__).resolve().parents[2]


def _extracted():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extracted()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_catalogue_complete(lang):
    from babel.messages.pofile import read_po

    ids = _extracted()
    assert len(ids) > 100
    po = ROOT / "src" / "hozen" / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with open(po, "rb") as fh:
        catalog = read_po(fh, locale=lang)
    missing = [i for i in ids if not (catalog.get(i) and catalog.get(i).string)]
    assert missing == []


def test_japanese_differs_from_english():
    ja, en = translations("ja"), translations("en")
    assert ja.gettext("People") == "人物"
    assert en.gettext("People") == "People"
    assert ja.gettext("Welcome, %(name)s") % {"name": "佐藤"} == "佐藤 さん、ようこそ"
