"""core.romanize: English names of Chinese entity names (#17 item 7), as GB/T 16159-2012 writes proper names in
Pinyin (syllables of one name together, capital first letter, apostrophe before a, o, e: §5.6, §6.1) and with the
generic word translated (GB/T 17733-2008's English terms)."""

from __future__ import annotations

import pytest

from core import romanize


@pytest.mark.parametrize(("zh", "en"), [
    ("广雅中学", "Guangya Middle School"),
    ("体育西", "Tiyuxi"),
    ("龙口西路（示意）", "Longkou West Road (schematic)"),  # a direction before a road word is translated
    ("白云大道（示意）", "Baiyun Avenue (schematic)"),
    ("机场高速（示意）", "Jichang Expressway (schematic)"),
    ("石井河・石井断面", "Shijing River · Shijing Section"),  # parts named one by one
    ("沙河涌", "Shahe Creek"),
    ("长安", "Chang'an"),  # §5.6: an apostrophe where a syllable opens with a vowel
    ("西安", "Xi'an"),
    ("市监测中心(停运150702)", "Shi Monitoring Centre (closed 150702)"),
    ("花都", "Huadu"),  # read as the place is named, not 花都 hua dou
    ("天河", "Tianhe"),  # a one-character generic word needs a two-character name before it: not "Tian River"
    ("珠江", "Zhujiang"),
    ("广州塔A站", "Guangzhouta A Zhan"),  # Latin in a name stays, set off
    ("（示意）", "(schematic)"),
])
def test_names_in_english(zh: str, en: str) -> None:
    assert romanize.english(zh) == en


def test_latin_names_and_a_sources_own_english_name_are_kept() -> None:
    assert romanize.english("Tianhe Park 3") == "Tianhe Park 3"
    assert romanize.display("广雅中学", "en", "Guangya High School") == "Guangya High School"  # the source's own
    assert romanize.display("广雅中学", "en", "  ") == "Guangya Middle School"
    assert romanize.display("广雅中学", "zh", "Guangya High School") == "广雅中学"  # Chinese pages: the name
    assert romanize.display(None, "en") == ""
