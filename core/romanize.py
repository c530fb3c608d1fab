"""English names of Chinese entity names (stations, roads, river sections): what the English pages show.

A data source's own English name wins (meta `name_en`); otherwise the name is written as the Chinese place-name
standards write it for foreign readers: the proper part in Hanyu Pinyin without tones, the syllables of one name
together, first letter capital, an apostrophe before a syllable opening with a, o or e (GB/T 16159-2012 §6.1, §5.6;
广雅 -> Guangya, 长安 -> Chang'an), and the generic word translated (路 Road, 大道 Avenue, 河 River, 断面 Section...;
GB/T 17733-2008 gives the English terms of place names). A direction before a road word becomes its English word
(龙口西路 -> Longkou West Road). Parts joined by '・' or '·' are named one by one; a note in brackets is translated
when known ('（示意）' -> '(schematic)') and romanized otherwise. Latin text, digits and signs pass through, so a name
that is already English is unchanged. Pinyin readings come from pypinyin's phrase dictionary (polyphonic characters
read by the word they are in), with the place names it reads wrong here fixed in PLACES.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pypinyin import Style, lazy_pinyin, load_phrases_dict

GENERIC = (  # longest first where one ends another: 高速公路 before 公路, 大道 before 道
    ("国控监测站", "National Monitoring Station"), ("监测中心", "Monitoring Centre"), ("监测站", "Monitoring Station"),
    ("中学", "Middle School"), ("小学", "Primary School"), ("大学", "University"), ("公园", "Park"),
    ("高速公路", "Expressway"), ("快速路", "Expressway"), ("高速", "Expressway"), ("环路", "Ring Road"),
    ("大道", "Avenue"), ("大街", "Street"), ("公路", "Highway"), ("路", "Road"), ("街", "Street"), ("大桥", "Bridge"),
    ("桥", "Bridge"), ("隧道", "Tunnel"), ("断面", "Section"), ("水库", "Reservoir"), ("湖", "Lake"),
    ("干流", "Main Stream"), ("河", "River"), ("江", "River"), ("涌", "Creek"), ("港", "Harbour"),
)
ROADS = {"Road", "Avenue", "Street", "Highway", "Expressway", "Ring Road"}
DIRECTIONS = {"东": "East", "西": "West", "南": "South", "北": "North", "中": "Middle"}
NOTES = {"示意": "schematic", "停运": "closed", "对照点": "background site"}
PLACES = {"花都": [["huā"], ["dū"]], "涌": [["chōng"]]}  # pypinyin reads 花都 hua dou; Guangzhou says chong for 涌
load_phrases_dict(PLACES)
_CJK = re.compile(r"[\u3400-\u9fff]")
_PARTS = re.compile(r"\s*[・·•]\s*")
_BRACKET = re.compile(r"[（(]([^）)]*)[）)]")


def has_cjk(text: str) -> bool:
    """Whether the text holds a Chinese character."""
    return bool(_CJK.search(text))


def _pinyin(text: str) -> str:
    """'广雅' -> 'Guangya', '长安' -> "Chang'an"; Latin letters and digits between the characters stay as they are,
    set off by spaces ('广州塔A站' -> 'Guangzhouta A Zhan')."""
    words: list[str] = []
    for run in re.findall(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]+", text):
        if not has_cjk(run):
            words.append(run.strip())
            continue
        out: list[str] = []
        for syl in lazy_pinyin(run, style=Style.NORMAL):
            if out and syl[:1] in ("a", "o", "e"):
                out.append("'")
            out.append(syl)
        word = "".join(out)
        words.append(word[:1].upper() + word[1:])
    return " ".join(w for w in words if w)


def _part(text: str) -> str:
    """One name without separators: its brackets, proper part and generic word."""
    notes = [_note(n.strip()) for n in _BRACKET.findall(text)]
    text = _BRACKET.sub("", text).strip()
    generic = ""
    for zh, en in GENERIC:  # a one-character generic word needs a name of two before it: 天河 is Tianhe, not Tian River
        if text.endswith(zh) and len(text) - len(zh) >= (2 if len(zh) == 1 else 1):
            text, generic = text[: -len(zh)], en
            break
    direction = ""
    if generic in ROADS and len(text) > 1 and text[-1] in DIRECTIONS:
        text, direction = text[:-1], DIRECTIONS[text[-1]]
    words = [w for w in (_pinyin(text) if has_cjk(text) else text, direction, generic) if w]
    return (" ".join(words) + "".join(f" ({n})" for n in notes if n)).strip()


def _note(text: str) -> str:
    """A bracketed note: a known word translated (what follows it kept: '停运150702' -> 'closed 150702'), else named."""
    for zh, en in NOTES.items():
        if text.startswith(zh):
            rest = text[len(zh):].strip()
            return en + (f" {rest}" if rest else "")
    return _part(text) if text else ""


@lru_cache(maxsize=65_536)
def english(name: str) -> str:
    """The English form of a Chinese name (see the module docstring); a name with no Chinese is returned as is."""
    if not has_cjk(name):
        return name
    return " · ".join(_part(p) for p in _PARTS.split(name.strip()) if p)


def display(name: Any, lang: str, name_en: Any = None) -> str:
    """The name a page in `lang` shows: Chinese pages the name; English ones the source's English name, else
    english(name)."""
    text = "" if name is None else str(name)
    if lang != "en":
        return text
    if isinstance(name_en, str) and name_en.strip():
        return name_en
    return english(text)
