"""Finding a name of the question in a sentence: surnames, acronyms, compounds, and the
names a passage holds."""

from __future__ import annotations

import functools
import os
import re
from difflib import SequenceMatcher

from rag import lexicon
from rag.answer.equivalents import group_of, groups_in, same_group
from rag.terms import stem, words

_CAPITALISED_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+)?[A-Z][a-z]+)+")
_SPELLED_ALIKE = 0.75  # two spellings of one name ("Rodriguez", "Rodregiuez"), not two names
_MID_SENTENCE_CAPITAL = re.compile(r"(?<=[a-z,;] )[A-Z][a-z'’\-]+")


@functools.lru_cache(maxsize=4096)  # a passage is asked about each of its sentences' names
def mentions(text: str, name: str) -> bool:
    """Whether `text` mentions `name`, its surname ("Kallas" for "Kaja Kallas"), or, for
    a hyphenated or multi-word name, most of its parts ("Sydney to Hobart"). Case is
    ignored ("Nato" is "NATO").

    A part matches a word of the text exactly, or by stem when that word is capitalised
    too ("Japanese" for "Japan"), never a common word that shares a stem ("marred", "Mars").
    A country or religion matches any of its forms (`rag.answer.equivalents`: "Aussies",
    "Canberra" and "Australian" name one country; "Islamic" and "Muslim" one faith).
    """
    if re.search(r"s['’]$", name):
        name = name[:-1]  # "the Conservatives' plan": the Conservatives
    if same_group(name, text):
        return True
    written = {w.lower(): w for w in re.split(r"[\s\-‐–]+", name.strip())}
    if re.fullmatch(r"[A-Z]{2,5}", name.strip()) and stem(name.strip().lower()) in acronyms(text):
        return True  # "WA" for "Western Australia"
    initials = "".join(w[0] for w in name.split() if w[:1].isupper())
    if len(initials) >= 2 and re.search(rf"\b{initials}\b", text):
        return True  # "NSW" for "New South Wales"
    lowered = re.sub(r"[-‐–]", " ", text.lower())
    name = re.sub(r"[-‐–]", " ", name.lower().strip()).removesuffix("'s").removesuffix("’s")
    if not name:
        return False
    if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
        return True
    owner = re.match(r"^[\w.\-]+['’]s\s+(?P<rest>.+)$", name)
    if owner:  # "Tasmania's House of Assembly": the House of Assembly will do
        return mentions(text, owner.group("rest"))
    if re.search(r"\s(?:of|de)\s", name):
        return False  # "Bank of Japan" is not "Japan": the whole name or nothing
    parts = [p for p in name.split() if len(p) > 2 or p.isdigit()]
    if not parts:
        return False
    exact = {w.lower().removesuffix("'s").removesuffix("’s") for w in words(text)}
    capitalised = {w.lower() for w in words(text) if w[:1].isupper()}
    stems = {stem(w) for w in capitalised}
    found = [
        p in exact
        or stem(p) in stems
        or _same_root(p, capitalised)
        or _same_group_word(written.get(p, p), text)
        for p in parts
    ]
    if len(parts) >= 2:
        if found[-1] and not all(found[:-1]) and _other_before(text, name, parts):
            return False  # "Melbourne to Hobart": the text has the Sydney to Hobart
        return found[-1] or sum(found) * 2 >= len(parts) + 1
    return found[0]


def _same_group_word(word: str, text: str) -> bool:
    """Whether one word of a name is a country's or faith's form that `text` names."""
    group = group_of(word)
    return group is not None and group in groups_in(text)


def _other_before(text: str, name: str, parts: list[str]) -> bool:
    """Whether the text writes the name with another capitalised word where the name's
    first part stands ("Sydney Olympics" for "Rio Olympics"): a different thing of the
    same kind, not the same one shortened. Titles, determiners and sentence starts aside
    ("Prime Minister Kallas", "The Olympics")."""
    tokens = name.split()
    if len(tokens) < 2 or tokens[0] != parts[0]:
        return False
    rest = r"[\s\-‐–]+".join(re.escape(t) for t in tokens[1:])
    ignored = lexicon.words("titles") | lexicon.words("indefinites") | {"the", "this", "that"}
    for match in re.finditer(rf"(?<![\w'’])([A-Z][\w'’]+)[\s\-‐–]+{rest}(?!\w)", text, re.I):
        other = match.group(1)
        if not other[:1].isupper() or other.lower() in ignored:
            continue
        before = text[: match.start()].rstrip()
        if not before or before[-1] in '.!?\n"“':
            continue  # capitalised because a sentence starts there
        group = group_of(other)
        if (
            _same_root(parts[0], {other.lower()})
            or (group and group == group_of(parts[0].title()))
            or SequenceMatcher(None, parts[0], other.lower()).ratio() >= _SPELLED_ALIKE
        ):
            continue  # "Russian Navy", "Aussie Open", a misspelt "Rodregiuez Saa"
        return True
    return False


def _same_root(part: str, capitalised: set[str]) -> bool:
    """Whether a capitalised word of the text shares the part's root: a country and its
    people ("Russia", "Russian"; "Argentina", "Argentine"; "Afghanistan", "Afghan")."""
    if len(part) < 5:
        return False
    for word in capitalised:
        shared = len(os.path.commonprefix([part, word]))
        if shared >= max(5, min(len(part), len(word)) - 2):
            return True
    return False


def acronyms(text: str) -> set[str]:
    """Lower-case initials of the text's multi-word names, as stems: "Western Australia"
    gives "wa", "Australian Workers Union" "awu", "United Nations" "un"."""
    out = set()
    for match in _CAPITALISED_RUN.finditer(text):
        parts = [w for w in match.group().split() if w != "of"]
        for size in range(2, min(len(parts), 4) + 1):
            for begin in range(len(parts) - size + 1):
                out.add(stem("".join(w[0] for w in parts[begin : begin + size]).lower()))
    return out


def names_in(passage: str) -> frozenset[str]:
    """Words capitalised in the middle of a sentence of `passage`: names, not words that
    are capitalised because they start a sentence."""
    return frozenset(m.group() for m in _MID_SENTENCE_CAPITAL.finditer(passage))


def head_mentions(head: str, text: str) -> list[tuple[bool, bool]]:
    """For each mention of the head noun in `text`: (indefinite, named). Indefinite when
    a/an/another comes just before it ("a Melbourne team"); named when a capitalised word
    stands just after it ("the gunman, Robert Wissman,") or, unless indefinite, just
    before it ("Mirwais Hospital")."""
    tokens = words(text)
    lowered = [t.lower() for t in tokens]
    indefinites = lexicon.words("indefinites")
    naming = lexicon.words("naming_words")

    def capitalised(j: int) -> bool:
        return tokens[j][:1].isupper() and stem(lowered[j]) != head

    found = []
    for i, token in enumerate(lowered):
        if stem(token) != head:
            continue
        indefinite = any(t in indefinites for t in lowered[max(i - 3, 0) : i])
        following = range(i + 1, min(i + 4, len(tokens)))
        after = any(capitalised(j) or lowered[j] in naming for j in following)
        before = any(capitalised(j) for j in range(max(i - 2, 1), i))
        found.append((indefinite, after or (before and not indefinite)))
    return found
