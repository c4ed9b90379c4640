"""Names that stand for one another as general knowledge: a country, the words for its
people and things, and the capital that stands for its government ("Australia",
"Australian", "Aussies", "Canberra"); a religion and its adjective ("Islam", "Islamic",
"Muslim"); a party's names ("Tory", "Conservative"). Lists: `rag/lexicon/places.txt`,
`rag/lexicon/faiths.txt`, `rag/lexicon/parties.txt`.

Two different countries never match, and numbers never enter: "Pakistani" is not
"Indian", "Article 6" is not "Article 5"."""

from __future__ import annotations

import re
from functools import lru_cache

from rag import lexicon

_LISTS = ("places", "faiths", "parties")
_SEPARATORS = re.compile(r"[\s\-‐–]+")


def _key(form: str) -> str:
    return _SEPARATORS.sub(" ", form.strip().lower())


@lru_cache(maxsize=1)
def _forms() -> dict[str, str]:
    """Every form, hyphens and spaces alike, to its group (list name and canonical name)."""
    out: dict[str, str] = {}
    for name in _LISTS:
        for form, group in lexicon.pairs(name):
            out[_key(form)] = f"{name}:{_key(group)}"
    return out


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    alternatives = sorted(_forms(), key=len, reverse=True)
    body = "|".join(r"[\s\-‐–]+".join(map(re.escape, f.split(" "))) for f in alternatives)
    return re.compile(rf"(?<![\w'’])(?P<form>{body})(?P<tail>e?s|['’]s)?(?![\w'’])", re.I)


def _written_as_name(found: str, form: str) -> bool:
    """A name is capitalised in the text; a short form ("US", "UK") is all capitals, so
    "us" the pronoun is never the United States."""
    if len(form) <= 3:
        return found.isupper()
    return found[:1].isupper()


_WORD = re.compile(r"[\w'’]+")
_LONGEST = 4  # words in the longest form ("united states of america")


def _lookup(tokens: list[str], forms: dict[str, str]) -> str | None:
    """The group of the words `tokens` as one form, plural or possessive allowed."""
    key = " ".join(t.lower() for t in tokens)
    if key in forms:
        return key
    for tail in ("'s", "’s", "es", "s"):
        if key.endswith(tail) and len(tokens[-1]) > 3 + len(tail) and key[: -len(tail)] in forms:
            return key[: -len(tail)]
    return None


@lru_cache(maxsize=512)
def groups_in(text: str) -> frozenset[str]:
    """The groups (countries, religions) that `text` names in any of their forms."""
    forms = _forms()
    tokens = _WORD.findall(text)
    found = set()
    i = 0
    while i < len(tokens):
        if not tokens[i][:1].isupper():
            i += 1
            continue
        for n in range(min(_LONGEST, len(tokens) - i), 0, -1):
            form = _lookup(tokens[i : i + n], forms)
            if form is not None and _written_as_name(" ".join(tokens[i : i + n]), form):
                found.add(forms[form])
                i += n
                break
        else:
            i += 1
    return frozenset(found)


@lru_cache(maxsize=1024)
def group_of(name: str) -> str | None:
    """The group a whole name is a form of ("Aussies" → Australia; "pro-Jakarta" →
    Indonesia, the word after a "pro-"/"anti-" prefix), or None when it is no such form."""
    name = re.sub(r"^(?:pro|anti|non)[\-‐–]", "", name.strip())
    found = [m for m in _pattern().finditer(name)]
    if len(found) != 1 or found[0].span() != (0, len(name)):
        return None
    groups = groups_in(name)
    return next(iter(groups)) if len(groups) == 1 else None


def same_group(name: str, text: str) -> bool:
    """Whether `text` names, in any of its forms, the country or religion `name` is a form
    of ("Canberra" is named by "the Australian government")."""
    group = group_of(name)
    return group is not None and group in groups_in(text)
