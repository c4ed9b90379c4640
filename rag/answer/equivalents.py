"""Names that stand for one another as general knowledge: a country, the words for its
people and things, and the capital that stands for its government ("Australia",
"Australian", "Aussies", "Canberra"); a religion and its adjective ("Islam", "Islamic",
"Muslim"). Lists: `rag/lexicon/places.txt`, `rag/lexicon/faiths.txt`.

Two different countries never match, and numbers never enter: "Pakistani" is not
"Indian", "Article 6" is not "Article 5"."""

from __future__ import annotations

import re
from functools import lru_cache

from rag import lexicon

_LISTS = ("places", "faiths")
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


@lru_cache(maxsize=512)
def groups_in(text: str) -> frozenset[str]:
    """The groups (countries, religions) that `text` names in any of their forms."""
    forms = _forms()
    found = set()
    for match in _pattern().finditer(text):
        written = match.group("form")
        form = _key(written)
        if form not in forms or not _written_as_name(written, form):
            continue
        if len(form) <= 3 and match.group("tail") and not match.group("tail").startswith("'"):
            continue  # "USs" is no plural of "US"
        found.add(forms[form])
    return frozenset(found)


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
