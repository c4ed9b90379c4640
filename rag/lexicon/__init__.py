"""General-English word lists, kept as data.

Each list is a text file in this folder, named for what it holds (``speech_verbs.txt``,
``negations.txt``, ``antonyms.txt`` ...). The file's first lines are ``#`` comments that say
what the list is for; then one entry a line (blank lines and ``#`` comments ignored). Entries
are lower-case; a pair list (``antonyms.txt``) has two entries a line separated by `` | ``.

Rule for what goes in: general English that any news corpus needs. No word is added because
one gold question needed it, and no names from the shipped corpus.
"""

from __future__ import annotations

from functools import cache, lru_cache
from importlib import resources


def _lines(name: str) -> list[str]:
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out


@cache
def words(name: str) -> frozenset[str]:
    """The entries of list ``name`` (one word or phrase a line), lower-cased."""
    return frozenset(line.lower() for line in _lines(name))


@cache
def pairs(name: str) -> tuple[tuple[str, str], ...]:
    """The entries of a pair list ``name`` (``a | b`` a line), lower-cased."""
    found = []
    for line in _lines(name):
        left, sep, right = line.partition("|")
        if not sep:
            raise ValueError(f"rag/lexicon/{name}.txt: expected 'a | b', got {line!r}")
        found.append((left.strip().lower(), right.strip().lower()))
    return tuple(found)


def available() -> list[str]:
    """The names of every list shipped in this folder."""
    return sorted(
        p.name[: -len(".txt")]
        for p in resources.files(__name__).iterdir()
        if p.name.endswith(".txt")
    )


@lru_cache(maxsize=64)
def groups(name: str) -> tuple[frozenset[str], ...]:
    """The entries of a group list ``name`` (words of one group on a line), lower-cased."""
    return tuple(frozenset(line.lower().split()) for line in _lines(name))
