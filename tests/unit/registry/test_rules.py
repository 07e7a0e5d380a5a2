"""Pure registry rules: person normalisation, corporate numbers, ownership, parents."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.jp import cn

from hozen.registry import rules

TODAY = date(2026, 11, 26)
BASE = {"family_name_kanji": "山田", "given_name_kanji": "太郎", "birth_date": "1980-01-02"}


def codes(errors):
    return {c for _, c in errors}


def test_valid_person_is_normalised():
    data, errors = rules.normalise_person(
        BASE | {"family_name_kana": "やまだ", "given_name_kana": "ﾀﾛｳ",
                "family_name_latin": "Ｙａｍａｄａ", "given_name_latin": "Taro",
                "department": "  防衛　事業部 "}, TODAY)
    assert errors == []
    assert data.family_name_kana == "ヤマダ"  # hiragana to katakana
    assert data.given_name_kana == "タロウ"  # half-width kana widened (NFKC)
    assert data.family_name_latin == "Yamada"  # full-width Latin narrowed
    assert data.department == "防衛 事業部"
    assert data.birth_date == date(1980, 1, 2)


@pytest.mark.parametrize("raw,field,code", [
    ({"birth_date": "1990-13-01"}, "birth_date", "date_invalid"),
    ({"birth_date": "2020-02-30"}, "birth_date", "date_invalid"),
    ({"birth_date": "abc"}, "birth_date", "date_invalid"),
    ({"birth_date": ""}, "birth_date", "required"),
    ({"birth_date": "2030-01-01"}, "birth_date", "date_in_future"),
    ({"birth_date": "1850-01-01"}, "birth_date", "date_too_early"),
    ({"birth_date": "平成32年1月1日"}, "birth_date", "date_invalid"),  # Heisei ended in 31
    ({"family_name_kana": "山田"}, "family_name_kana", "kana_only"),
    ({"family_name_latin": "山田"}, "family_name_latin", "latin_only"),
    ({"given_name_kanji": None}, "given_name_kanji", "name_required"),
])
def test_invalid_person_names_the_field(raw, field, code):
    data, errors = rules.normalise_person(BASE | raw, TODAY)
    assert data is None
    assert (field, code) in errors


def test_latin_only_person_is_accepted():
    data, errors = rules.normalise_person(
        {"family_name_latin": "Miller", "given_name_latin": "Jane", "birth_date": "1976-12-01"},
        TODAY)
    assert errors == [] and data.family_name_kanji is None


def test_search_keys_cover_scripts_and_orders():
    data, _ = rules.normalise_person(BASE | {"family_name_kana": "ヤマダ",
                                             "given_name_kana": "タロウ",
                                             "family_name_latin": "Yamada",
                                             "given_name_latin": "Taro"}, TODAY)
    keys = rules.name_search_keys(data)
    for typed in ("山田太郎", "山田 太郎", "山田", "やまだ たろう", "ヤマダ", "yamada taro",
                  "Taro Yamada", "YAMADA"):
        assert rules.search_key(typed) in keys, typed
    assert rules.search_key("太郎") not in keys  # given name alone is too broad
    # Japanese names are written family name first: only Latin is indexed both ways
    assert rules.search_key("太郎山田") not in keys and len(keys) == 7


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_corporate_number_check_digit(base):
    good = cn.calc_check_digit(base) + base
    number, errors = rules.check_corporate_number(good)
    assert errors == [] and number == good
    wrong = str((int(good[0]) + 1) % 10) + base
    assert rules.check_corporate_number(wrong)[1] == [("corporate_number",
                                                       "corporate_number_invalid")]


def test_corporate_number_full_width_and_blank():
    base = "700110005901"
    good = cn.calc_check_digit(base) + base
    full_width = good.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert rules.check_corporate_number(full_width) == (good, [])
    assert rules.check_corporate_number("") == (None, [])
    assert rules.check_corporate_number("12345")[1]


@given(share=st.decimals(min_value=0, max_value=120, places=2),
       voting=st.decimals(min_value=0, max_value=120, places=2),
       other_share=st.decimals(min_value=0, max_value=100, places=2),
       other_voting=st.decimals(min_value=0, max_value=100, places=2))
def test_ownership_totals_never_exceed_100(share, voting, other_share, other_voting):
    errors = rules.check_ownership(share, voting, other_share, other_voting)
    ok = (0 <= share <= 100 and 0 <= voting <= 100 and (share > 0 or voting > 0)
          and other_share + share <= 100 and other_voting + voting <= 100)
    assert (errors == []) == ok


def test_ownership_error_fields():
    assert rules.check_ownership(Decimal(60), Decimal(10), Decimal(50), Decimal(0)) == [
        ("share_pct", "total_over_100")]
    assert rules.check_ownership(Decimal(1), Decimal(101), Decimal(0), Decimal(0)) == [
        ("voting_pct", "percent_range")]
    assert rules.check_ownership(Decimal(0), Decimal(0), Decimal(0), Decimal(0)) == [
        ("share_pct", "holding_required")]


def test_parent_cycles():
    parents = {"a": None, "b": "a", "c": "b"}
    assert rules.parent_creates_cycle("a", "c", parents)  # a under c under b under a
    assert not rules.parent_creates_cycle("c", "a", parents)
    assert rules.parent_creates_cycle("a", "a", parents)
    assert not rules.parent_creates_cycle("a", None, parents)


def test_kind_and_country():
    assert rules.check_kind_country("foreign_company", "JPN")
    assert rules.check_kind_country("company", "USA")
    assert rules.check_kind_country("university", "USA") == []
    assert rules.check_kind_country("foreign_government", "USA") == []


def test_nationalities():
    known = {"JPN", "USA", "KOR"}
    assert rules.check_nationalities(["JPN"], [], known) == []
    assert ("nationalities", "required") in rules.check_nationalities([], [], known)
    assert ("nationalities", "country_unknown") in rules.check_nationalities(["XXX"], [], known)
    assert ("nationalities", "duplicate") in rules.check_nationalities(["JPN", "JPN"], [], known)
    assert ("former_nationalities", "current_and_former") in rules.check_nationalities(
        ["JPN"], ["JPN"], known)
