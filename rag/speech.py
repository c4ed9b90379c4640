"""Who a sentence reports, whether a clause is negated, and which entity does what.

The one analysis of speakers, negation/polarity and roles, shared by the citation checker
(`rag/verify.py`: is a generated claim what its passage says?) and the answerer (what did
X say about Y?). General English only; the word lists live in `rag/lexicon/`:
`speech_verbs`, `negations`, `negation_cues`, `antonyms`, `pronouns`, `titles`,
`clause_breaks`.

- `attribute(sentences, i)`: the speaker of sentence i of a passage — named in it
  ("Kaja Kallas said"), through a pronoun or a definite description ("she said", "the
  analyst said") resolved to an earlier speaker, or by context (a quotation following the
  sentence that introduces its speaker). `attributions` gives every speaker of a
  sentence ("…, the Times reported, although a spokesperson said …").
- `same_entity(a, b)`: two mentions of one person or organisation ("Kallas" and
  "Ms Kaja Kallas"; "Nato" and "NATO"; but "Article 6" is not "Article 5").
- `negated(clause)`, `polarity_conflict(claim, sentence)`: negation is scoped (a cue
  negates the few content words after it, up to the end of its clause), so a claim is
  compared with the part of the sentence it shares words with; antonym pairs flip
  polarity and a negated antonym ("not likely") agrees with its opposite ("unlikely").
- `clauses(sentence)`: (subjects, predicate stems, negated) per clause, split where a new
  subject starts (", while", "; ", ", but", "whereas"), for role checks ("A did P, while
  B did Q").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from rag import lexicon
from rag.terms import STOPWORDS, entities, stem

__all__ = [
    "Attribution",
    "Clause",
    "alike",
    "attribute",
    "attributions",
    "clause_texts",
    "clauses",
    "name_parts",
    "negated",
    "polarity_conflict",
    "role_conflict",
    "same_entity",
    "speaker_of_claim",
]


@dataclass(frozen=True, slots=True)
class Attribution:
    """Whom a sentence reports."""

    speaker: str | None  # the person/organisation, as written ("Kaja Kallas"); None if unknown
    via: str  # "direct" | "pronoun" | "context" | "none"
    verb: str | None  # the reporting verb ("said", "according to")


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of a sentence: who does what, and whether it is negated."""

    text: str
    subjects: tuple[str, ...]  # the entities before the predicate ("the UK and Germany")
    predicate: tuple[str, ...]  # stems of the content words after them (synonyms canonical)
    negated: bool


NONE = Attribution(None, "none", None)
SCOPE_WORDS = 5  # content words a negation cue reaches

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*[A-Za-z0-9]|[A-Za-z0-9]|[,;:()\u2013\u2014]")
_BOUNDARY_PUNCT = frozenset(",;:()\u2013\u2014")
# Words after which a negation cue no longer reaches: a new clause begins.
_SCOPE_ENDS = frozenset(
    "but while whereas although though yet because since so which who whom whose when if "
    "unless until than however".split()
)
_DETERMINERS = frozenset("a an the this that these those its his her their our".split())
_RELATIVE = re.compile(r",\s*(?:who|which|whose|whom)\b[^,]*,")
# Where a speaker named after the verb ends ("…,” said Mr Hess on Sunday").
_AFTER_SPEAKER_END = re.compile(
    r"[,;:.“”\"(\u2013\u2014]|\s(?:that|on|in|at|to|last|this|earlier|about|of)\s"
)
_QUOTES_OPEN = "“‘"
_QUOTES_CLOSE = "”’"


@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    lower: str
    stem: str
    start: int
    end: int
    quoted: bool

    @property
    def punct(self) -> bool:
        return self.text in _BOUNDARY_PUNCT

    @property
    def content(self) -> bool:
        return not self.punct and self.lower not in STOPWORDS and self.lower not in _NEG_WORDS


def _norm(word: str) -> str:
    lower = word.lower().replace("’", "'")
    return lower[:-2] if lower.endswith("'s") else lower


@cache
def _canonical() -> dict[str, str]:
    return {stem(_norm(w)): stem(_norm(c)) for w, c in lexicon.pairs("synonyms")}


def _stem(word: str) -> str:
    """A word's stem, as its synonym's stem when the synonym list has one ("injured" -> "hurt")."""
    base = stem(word)
    return _canonical().get(base, base)


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[_Tok, ...]:
    quoted = _quoted_mask(text)
    out = []
    for m in _TOKEN.finditer(text):
        lower = _norm(m.group())
        out.append(
            _Tok(
                m.group(), lower, _stem(lower), m.start(), m.end(), any(quoted[m.start() : m.end()])
            )
        )
    return tuple(out)


def _quoted_mask(text: str) -> list[bool]:
    """Which characters stand inside a quotation (curly or straight double quotes)."""
    mask = [False] * len(text)
    opened: int | None = None
    straight_open = False
    for i, ch in enumerate(text):
        if ch == "“" or (ch == '"' and not straight_open):
            opened, straight_open = i, ch == '"'
        elif ch == "”" or (ch == '"' and straight_open):
            begin = 0 if opened is None else opened
            for j in range(begin, i + 1):
                mask[j] = True
            opened, straight_open = None, False
    if opened is not None:
        for j in range(opened, len(text)):
            mask[j] = True
    return mask


# -- word lists -----------------------------------------------------------------------------


def _phrases(name: str) -> tuple[tuple[str, ...], ...]:
    """A word list as stem sequences, longest first (so "according to" wins over "to")."""
    seqs = {tuple(_stem(_norm(w)) for w in phrase.split()) for phrase in lexicon.words(name)}
    return tuple(sorted(seqs, key=lambda s: -len(s)))


@cache
def _speech() -> tuple[tuple[str, ...], ...]:
    # by exact lower-case form: "states" the verb, not "the United States" by stem
    return tuple(sorted({tuple(p.split()) for p in lexicon.words("speech_verbs")}, key=len)[::-1])


@cache
def _cues() -> tuple[tuple[str, ...], ...]:
    return _phrases("negation_cues")


@cache
def _antonyms() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    return tuple(
        (tuple(_stem(_norm(w)) for w in a.split()), tuple(_stem(_norm(w)) for w in b.split()))
        for a, b in lexicon.pairs("antonyms")
        if a.split() != b.split()
    )


_NEG_WORDS = lexicon.words("negations")
_PRONOUNS = lexicon.words("pronouns")
_TITLES = lexicon.words("titles")
_CLAUSE_BREAKS = lexicon.words("clause_breaks")
_NEG_PREFIXES = tuple(sorted(lexicon.words("negative_prefixes"), key=len, reverse=True))
_GENERIC_SPEAKERS = lexicon.words("generic_speakers")


def _find(seq: Sequence[str], phrase: Sequence[str]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(seq) - n + 1) if tuple(seq[i : i + n]) == tuple(phrase)]


# -- negation and polarity ------------------------------------------------------------------


def _is_neg_word(tok: _Tok) -> bool:
    return tok.lower in _NEG_WORDS or tok.lower.endswith("n't")


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int  # token index of the cue's first word
    end: int  # one past its last word
    scope: tuple[int, ...]  # token indexes of the content words it negates


def _negation_cues(toks: Sequence[_Tok], skip: frozenset[int] = frozenset()) -> list[_Cue]:
    """Negation cues with their scopes; `skip` holds token indexes that are antonym terms."""
    stems = [t.stem for t in toks]
    found: list[tuple[int, int]] = []
    taken: set[int] = set()
    for phrase in _cues():
        for i in _find(stems, phrase):
            span = set(range(i, i + len(phrase)))
            if span & taken or span & skip:
                continue
            taken |= span
            found.append((i, i + len(phrase)))
    for i, t in enumerate(toks):
        if i not in taken and i not in skip and _is_neg_word(t):
            # "no one", "not only", "nothing but" state no negation of what follows
            nxt = toks[i + 1].lower if i + 1 < len(toks) else ""
            if (t.lower, nxt) in {("not", "only"), ("no", "one"), ("nothing", "but")}:
                continue
            found.append((i, i + 1))
    cues = []
    ordered = sorted(found)
    nested: set[int] = set()  # cues that cancel in pairs ("would not have happened without X")
    for k, (start, end) in enumerate(ordered):
        scope: list[int] = []
        j = end
        # a cue reaches to the end of its clause, or the next cue ("no X and no Y")
        stop = ordered[k + 1][0] if k + 1 < len(ordered) else len(toks)
        cut = False
        while j < len(toks) and len(scope) < SCOPE_WORDS:
            t = toks[j]
            if t.punct or t.lower in _SCOPE_ENDS or t.lower in {"and", "or"}:
                break
            if j >= stop:
                cut = True
                break
            if t.content:
                scope.append(j)
            j += 1
        if cut and k not in nested:
            nested |= {k, k + 1}
        cues.append(_Cue(start, end, tuple(scope)))
    return [cue for k, cue in enumerate(cues) if k not in nested]


def negated(clause: str) -> bool:
    """Whether the clause is negated (not/never/no/without/n't, 'fail to', 'deny', 'rule out').

    A cue inside another's reach cancels it ("not without risk" is not a negation); cues
    side by side do not ("no money and no plan")."""
    return bool(_negation_cues(_tokens(clause)))


def _negated_positions(toks: Sequence[_Tok], cues: Iterable[_Cue]) -> dict[int, int]:
    """How many cues reach each token index."""
    count: dict[int, int] = {}
    for cue in cues:
        for j in cue.scope:
            count[j] = count.get(j, 0) + 1
    return count


def _antonym_spans(toks: Sequence[_Tok], phrase: tuple[str, ...]) -> list[int]:
    return _find([t.stem for t in toks], phrase)


def polarity_conflict(claim: str, passage_sentence: str) -> str | None:
    """A reason ('negation', 'antonym') when the claim flips what the sentence says, else None.

    Negation: a cue in one text whose scope shares its first content word, or two content
    words, with the other text, where those words are not negated. Antonym: the claim uses
    one side of a pair where the sentence uses the other, and not under a negation on just
    one side ("not likely" agrees with "unlikely").
    """
    a, b = _tokens(claim), _tokens(passage_sentence)
    a_stems = {t.stem for t in a if t.content}
    b_stems = {t.stem for t in b if t.content}
    a_skip: set[int] = set()
    b_skip: set[int] = set()
    flips: list[tuple[list[int], list[int], int, int]] = []
    spans = _aligned_spans(passage_sentence, {t.stem for t in a if t.content and t.text.islower()})

    def here(positions: list[int]) -> list[int]:
        return [i for i in positions if any(lo <= b[i].start < hi for lo, hi in spans)]

    for left, right in _antonyms():
        for x, y in ((left, right), (right, left)):
            if x == y:
                continue  # synonyms made the pair one word
            in_a, in_b = _antonym_spans(a, x), here(_antonym_spans(b, y))
            if not in_a or not in_b:
                continue
            if len(_antonym_spans(b, x)) >= len(in_a) or len(_antonym_spans(a, y)) >= len(in_b):
                continue  # the other side says it as often: no flip between them
            flips.append((in_a, in_b, len(x), len(y)))
            a_skip |= {i + k for i in in_a for k in range(len(x))}
            b_skip |= {i + k for i in in_b for k in range(len(y))}
    for i, j in _prefix_flips(a, b, a_stems, b_stems):
        if not here([j]):
            continue
        flips.append(([i], [j], 1, 1))
        a_skip.add(i)
        b_skip.add(j)
    a_cues = _negation_cues(a, frozenset(a_skip))
    b_cues = _negation_cues(b, frozenset(b_skip))
    a_neg = _negated_positions(a, a_cues)
    b_neg = _negated_positions(b, b_cues)
    # an antonym under a negation on one side only is a paraphrase ("not likely"/"unlikely")
    absorbed_a: set[int] = set()
    absorbed_b: set[int] = set()
    antonym = False
    for in_a, in_b, _la, _lb in flips:
        pols_a = {a_neg.get(i, 0) % 2 for i in in_a}
        pols_b = {b_neg.get(i, 0) % 2 for i in in_b}
        if pols_a & pols_b:  # some use of one word stands where the other says the opposite
            antonym = True
        else:
            absorbed_a |= {id(c) for c in a_cues if set(c.scope) & set(in_a)}
            absorbed_b |= {id(c) for c in b_cues if set(c.scope) & set(in_b)}
    # the sentence's negations count only in the clauses the claim restates
    b_cues_here = [c for c in b_cues if any(lo <= b[c.start].start < hi for lo, hi in spans)]
    inside = here(list(range(len(b))))
    b_here_stems = {b[i].stem for i in inside if b[i].content}
    b_neg_here = {i: n for i, n in b_neg.items() if i in set(inside)}
    if _one_sided(a, a_cues, absorbed_a, a_neg, b, b_neg_here, b_here_stems) or _one_sided(
        b, b_cues_here, absorbed_b, b_neg, a, a_neg, a_stems
    ):
        return "negation"
    return "antonym" if antonym else None


def _aligned_spans(sentence: str, claim_stems: set[str]) -> list[tuple[int, int]]:
    """Character spans of the sentence's clauses that share most words with the claim."""
    spans: list[tuple[int, int, int]] = []
    cursor = 0
    for text in clause_texts(sentence):
        start = sentence.find(text, cursor)
        if start < 0:
            return [(0, len(sentence))]
        cursor = start + len(text)
        # names say who; the lower-case words say what, which is what aligns a clause
        shared = len(
            {t.stem for t in _tokens(text) if t.content and t.text.islower()} & claim_stems
        )
        spans.append((start, cursor, shared))
    if len(spans) <= 1:
        return [(0, len(sentence))]
    best = max(shared for _s, _e, shared in spans)
    return [(lo, hi) for lo, hi, shared in spans if shared == best]


def _prefix_flips(
    a: Sequence[_Tok], b: Sequence[_Tok], a_stems: set[str], b_stems: set[str]
) -> list[tuple[int, int]]:
    """Word pairs that differ by a negative prefix ("inadequate" in one, "adequate" in the
    other, and neither in both); the shorter word has at least five letters."""
    out = []
    b_words = {t.lower: j for j, t in enumerate(b) if t.content}
    a_words = {t.lower for t in a if t.content}
    for i, t in enumerate(a):
        if not t.content:
            continue
        for prefix in _NEG_PREFIXES:
            for x, y in ((t.lower, prefix + t.lower), (t.lower.removeprefix(prefix), t.lower)):
                if x == y or len(min(x, y, key=len)) < 5:
                    continue
                other = y if x == t.lower else x
                j = b_words.get(other)
                if j is not None and other not in a_words and t.lower not in b_words:
                    out.append((i, j))
    return out


def _one_sided(
    toks: Sequence[_Tok],
    cues: Sequence[_Cue],
    absorbed: set[int],
    negation: dict[int, int],
    other: Sequence[_Tok],
    other_neg: dict[int, int],
    other_stems: set[str],
) -> bool:
    """Whether a cue of `toks` gives words a polarity that `other` does not give them.

    The cue's words count when the other text has its first word, or two of them; each
    must stand in the other text somewhere with the same polarity (negated or not)."""
    for cue in cues:
        if id(cue) in absorbed or not cue.scope:
            continue
        scope_stems = [toks[j].stem for j in cue.scope]
        shared = [s for s in scope_stems if s in other_stems]
        if not shared or (scope_stems[0] not in other_stems and len(set(shared)) < 2):
            continue
        here = {toks[j].stem: negation.get(j, 0) % 2 for j in cue.scope}
        agree = any(
            other_neg.get(j, 0) % 2 == here[t.stem]
            for j, t in enumerate(other)
            if t.stem in here and t.stem in other_stems
        )
        if agree:
            continue
        if scope_stems[0] not in other_stems and any(other_neg.values()):
            continue  # both negative, about differently worded things: a paraphrase
        return True
    return False


# -- entities -------------------------------------------------------------------------------


def name_parts(mention: str) -> list[str]:
    """The words of a name that identify it, lower-cased: no titles, articles or stopwords."""
    parts = []
    for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9'’\-]*", mention):
        lower = _norm(w)
        if lower in _TITLES or lower in _DETERMINERS or lower in STOPWORDS:
            continue
        if lower in _CLAUSE_BREAKS:
            continue
        parts.append(lower)
    return parts


@cache
def _demonyms() -> frozenset[tuple[str, str]]:
    found = set()
    for a, b in lexicon.pairs("demonyms"):
        found |= {(a, b), (b, a)}
    return frozenset(found)


def alike(x: str, y: str) -> bool:
    """One name word for another (lower-case): equal, or a form of it ("Russia", "Russian",
    "Russians"): the longer starts with the shorter (4+ letters) and adds at most 3."""
    if x == y or (x, y) in _demonyms():
        return True
    short, long_ = sorted((x, y), key=len)
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3


def same_entity(a: str, b: str) -> bool:
    """'Kallas' ≈ 'Kaja Kallas' ≈ 'Ms Kallas'; 'Nato' ≈ 'NATO'; 'Article 6' != 'Article 5'."""
    pa, pb = name_parts(a), name_parts(b)
    if not pa or not pb:
        return a.strip().lower() == b.strip().lower() and bool(a.strip())
    na = {p for p in pa if p[0].isdigit()}
    nb = {p for p in pb if p[0].isdigit()}
    if (na or nb) and na != nb:
        return False
    short, long_ = sorted((pa, pb), key=len)
    if all(any(alike(x, y) for y in long_) for x in short):
        return True
    if len(short) >= 2 and all(alike(x, y) for x, y in zip(pa[-2:], pb[-2:], strict=True)):
        return True  # "the ACA's Katherine Wolthuizen", "the association's Katherine Wolthuizen"
    # "ACA" for "the Australian Consumers Association"
    return any(p in _initials(b) for p in pa if len(p) >= 2) or any(
        p in _initials(a) for p in pb if len(p) >= 2
    )


def _initials(mention: str) -> set[str]:
    """Initials of the runs of capitalised words in a mention, lower-cased."""
    found = set()
    for run in re.findall(r"(?:[A-Z][\w’'-]*\s+(?:of\s+|and\s+|for\s+)?)+[A-Z][\w’'-]*", mention):
        capitals = [w[0] for w in run.split() if w[:1].isupper()]
        found.add("".join(capitals).lower())
    return found


# -- attribution ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Report:
    verb: str
    start: int  # char offsets of the verb in the sentence
    end: int
    speaker: str | None
    via: str  # "direct" | "pronoun" (needs an antecedent) | "same" (the previous report's)


def _reports(sentence: str) -> list[_Report]:
    """Reporting verbs outside quotations, each with the speaker the sentence gives it."""
    toks = _tokens(sentence)
    lowers = [t.lower for t in toks]
    found: list[tuple[int, int]] = []
    taken: set[int] = set()
    for phrase in _speech():
        for i in _find(lowers, phrase):
            span = set(range(i, i + len(phrase)))
            if span & taken or any(toks[k].quoted for k in span):
                continue
            taken |= span
            found.append((i, i + len(phrase)))
    reports: list[_Report] = []
    for i, j in sorted(found):
        verb = " ".join(t.text for t in toks[i:j])
        # a report inside what another reports ("X says no one has confirmed…") has its
        # subject after the earlier verb
        begin = reports[-1].end if reports else 0
        speaker, via = _speaker_around(sentence, toks, i, j, begin)
        if via == "same":
            previous = reports[-1] if reports else None
            if previous is None:
                continue
            speaker, via = previous.speaker, previous.via
        reports.append(_Report(verb, toks[i].start, toks[j - 1].end, speaker, via))
    return reports


def _speaker_around(
    sentence: str, toks: Sequence[_Tok], i: int, j: int, begin: int = 0
) -> tuple[str | None, str]:
    """The speaker of the reporting verb toks[i:j]: after it ("…,” said Mr Hess", "according
    to X", "emphasised by X") or before it (the subject: "Kaja Kallas, …, said")."""
    verb_lower = " ".join(t.lower for t in toks[i:j])
    after = sentence[toks[j - 1].end :]
    before = sentence[begin : toks[i].start]
    phrase = _AFTER_SPEAKER_END.split(after, maxsplit=1)[0]
    phrase = re.sub(r"^\s*by\s", " ", phrase).strip()
    first = phrase.split()[0] if phrase.split() else ""
    names_after = bool(first) and (first[:1].isupper() or first.lower() in _PRONOUNS)
    closes_quote = bool(re.search(r"[”\"’]\s*$|[,.!?]\s*[”\"’]?\s*$", before)) or not before.strip()
    if (
        verb_lower == "according to"
        or re.match(r"\s+by\s", after)
        or (closes_quote and names_after)
    ):
        if first.lower() in _PRONOUNS:
            # "…,” said he." names the speaker; "Ruddock, says he is pleased" does not
            if re.match(r"\s*\w+\s*(?:[,.;:!?”\"]|$)", after):
                return None, "pronoun"
        elif phrase:
            return _speaker_phrase(phrase)
    return _subject_before(before, verb_lower)


def _speaker_phrase(phrase: str) -> tuple[str | None, str]:
    """A noun phrase as a speaker: a name, an anaphor ("the analyst") or a description."""
    words_ = phrase.split()
    while (
        words_
        and words_[0].lower() != "the"
        and (
            words_[0].lower() in _DETERMINERS
            or words_[0].lower().strip(",") in _CLAUSE_BREAKS
            or words_[0].lower().strip(",") in _AUX
        )
    ):
        if words_[0].lower() in _PRONOUNS:
            break
        words_ = words_[1:]
    if not words_:
        return None, "none"
    if words_[0].lower() in _PRONOUNS:
        return None, "pronoun"
    has_name = any(w[:1].isupper() for w in words_[1:]) or (
        words_[0][:1].isupper() and words_[0].lower() not in _DETERMINERS
    )
    if words_[0].lower() == "the" and not has_name and len(words_) <= 3:
        return None, "pronoun"  # a definite description stands for someone named earlier
    if words_[0].lower() == "the":
        words_ = words_[1:]
    return " ".join(words_).strip(" ,"), "direct"


def _subject_before(before: str, verb: str) -> tuple[str | None, str]:
    text = _RELATIVE.sub("", before)
    # the clause the verb stands in: after a quotation, a semicolon or a clause word
    text = re.split(
        r"[”\";:]|’(?![A-Za-z])|\b(?:that|although|though|while|whereas|but|and)\s", text
    )[-1]
    segments = [s.strip() for s in text.split(",")]
    if verb.endswith("ing") and not segments[-1]:
        return None, "same"  # ", claiming that…": the subject of the report before
    tail = [s for s in segments if s]
    if not tail:
        return None, "none"
    last = _trim_predicate(tail[-1])
    if not last:
        return None, "same" if verb.endswith("ing") else "none"
    # "Max Hess, a Eurasia analyst at …, believes": the name, not its apposition
    if len(tail) >= 2 and re.match(r"(?i)(a|an|the)\s", last):
        name = tail[-2].split()
        if 0 < len(name) <= 5 and all(w[:1].isupper() for w in name):
            return _speaker_phrase(" ".join(name))
    return _speaker_phrase(last)


_AUX = frozenset(
    "has have had is was were are be been also already recently reportedly consistently "
    "previously later earlier then now still repeatedly publicly privately once again "
    "has been had been will would could".split()
)


def _trim_predicate(segment: str) -> str:
    """The subject of "X has also consistently said" or "X newspaper has quoted officials as":
    X, up to its verb (an auxiliary or a lower-case word in -ed after the first word)."""
    words_ = segment.split()
    for k, word in enumerate(words_[1:], 1):
        if word.lower() in _FINITE or re.fullmatch(r"[a-z]{3,}ed", word):
            words_ = words_[:k]
            break
    while words_ and (words_[-1].lower() in _AUX or words_[-1].lower().endswith("ly")):
        words_ = words_[:-1]
    return " ".join(words_)


def _persons(sentence: str) -> list[str]:
    """Names in a sentence that may be what a later "he"/"she" stands for (in order); not
    names inside quotations, which the speaker mentions."""
    mask = _quoted_mask(sentence)
    plain = "".join(" " if mask[i] else ch for i, ch in enumerate(sentence))
    names = []
    for e in entities(plain):
        parts = name_parts(e)
        if parts and not parts[0][0].isdigit():
            names.append(e)
    return names


def attributions(sentences: Sequence[str], i: int) -> list[Attribution]:
    """Every speaker sentence i reports, in order (one Attribution with via "none" if none)."""
    return _attributions(tuple(sentences), i, 0)


@lru_cache(maxsize=4096)
def _attributions(sentences: tuple[str, ...], i: int, depth: int) -> list[Attribution]:
    sentence = sentences[i]
    out: list[Attribution] = []
    for report in _reports(sentence):
        if report.via == "pronoun":
            speaker = _antecedent(sentences, i, report.start, depth)
            out.append(Attribution(speaker, "pronoun", report.verb))
        elif report.speaker:
            out.append(Attribution(report.speaker, "direct", report.verb))
    if out:
        return out
    stripped = sentence.lstrip()
    quoted = _tokens(sentence)
    if (
        i > 0
        and depth < 3
        and (stripped[:1] in '“"‘' or (quoted and all(t.quoted for t in quoted)))
    ):
        before = _attributions(sentences, i - 1, depth + 1)
        if before and before[0].via != "none":
            return [Attribution(before[0].speaker, "context", before[0].verb)]
    return [NONE]


def _antecedent(sentences: tuple[str, ...], i: int, at: int, depth: int) -> str | None:
    """Whom "she said" (at char `at` of sentence i) stands for: an earlier speaker in the same
    sentence or the ones before, else the last name before it."""
    for report in _reports(sentences[i]):
        if report.start < at and report.via == "direct" and report.speaker:
            return report.speaker
    if depth >= 3:
        return None
    for k in range(i - 1, max(i - 4, -1), -1):
        for attribution in _attributions(sentences, k, depth + 1):
            if attribution.speaker:
                return attribution.speaker
        persons = _persons(sentences[k])
        if persons:
            return persons[-1]
    persons = _persons(sentences[i][:at])
    return persons[-1] if persons else None


def attribute(sentences: Sequence[str], i: int) -> Attribution:
    """Who sentence i of a passage (a list of sentences in reading order) reports."""
    return attributions(sentences, i)[0]


def speaker_of_claim(claim: str) -> str | None:
    """The named speaker a single claim attributes its content to ("Kallas said …"), if any.

    Speakers given only as a pronoun or a common noun ("officials said") are not named."""
    for report in _reports(claim):
        if report.via != "direct" or not report.speaker:
            continue
        named = [
            w
            for w in report.speaker.split()
            if w[:1].isupper() and _norm(w) not in _GENERIC_SPEAKERS and _norm(w) not in _TITLES
        ]
        if named:
            return report.speaker
    return None


# -- clauses and roles ----------------------------------------------------------------------


def clause_texts(sentence: str) -> list[str]:
    """The sentence cut where a new clause with its own subject may start: "; ", ", while",
    ", but", ", and", "whereas" … (not inside quotations)."""
    breaks = "|".join(sorted(_CLAUSE_BREAKS))
    splitter = re.compile(rf";\s+|,\s+(?=(?:{breaks})\b)|\s+(?=(?:whereas|while)\s)")
    mask = _quoted_mask(sentence)
    pieces, start = [], 0
    # "While X says A, Y says B": the subordinate clause first, up to its comma
    lead = re.match(r"\s*(?:While|Although|Though|Whereas)\b[^,]*,\s*", sentence)
    if lead and not any(mask[: lead.end()]):
        pieces.append(sentence[: lead.end()].rstrip(", "))
        start = lead.end()
    for m in splitter.finditer(sentence):
        if m.start() < start:
            continue
        if any(mask[m.start() : m.end()]):
            continue
        pieces.append(sentence[start : m.start()])
        start = m.end()
    pieces.append(sentence[start:])
    return [p.strip() for p in pieces if p.strip()]


_PREPOSITIONS = frozenset(
    "in on at for after before during with despite from under over since by".split()
)
_FINITE = frozenset(
    "has have had is are was were will would could can may might must did does do shall "
    "should".split()
)


def _verb_at(toks: Sequence[_Tok], k: int) -> int:
    """Where the clause's verb starts (the subject is toks[k:end]): the first auxiliary,
    reporting verb, lower-case word in -ed, or lower-case content word that does not
    continue a noun phrase ("the opposition leader, Ruth Sato, has rejected": "has";
    "Geoff Huegill won": "won")."""
    speech_words = {w for phrase in _speech() for w in phrase}
    for j in range(k + 1, len(toks)):
        t = toks[j]
        if t.quoted or t.punct:
            continue
        if t.lower in _FINITE or t.lower in speech_words or re.fullmatch(r"[a-z]{3,}ed", t.text):
            return j
        if t.content and t.text[:1].islower() and t.lower not in _TITLES:
            before = toks[j - 1]
            in_phrase = before.lower in _DETERMINERS or (
                before.text[:1].islower() and before.content
            )
            if not in_phrase:
                return j
    return len(toks)


def clauses(sentence: str) -> list[Clause]:
    """The sentence's clauses, each with its subject entities, predicate stems and negation."""
    out = []
    for text in clause_texts(sentence):
        toks = _tokens(text)
        k = 0
        while k < len(toks) and (
            toks[k].lower in _CLAUSE_BREAKS or toks[k].lower in STOPWORDS or toks[k].punct
        ):
            k += 1
        end = _verb_at(toks, k)
        if toks and toks[0].lower in _PREPOSITIONS:
            end = k  # "In the remote seats, counting won't begin": no named subject
        subject_text = text[toks[k].start : toks[end - 1].end] if end > k else ""
        subjects = tuple(e for e in entities(subject_text) if name_parts(e) and not e[:1].isdigit())
        predicate = tuple(t.stem for t in toks[end:] if t.content and not t.quoted)
        out.append(Clause(text, subjects, predicate, negated(text)))
    return out


def role_conflict(claim: str, passage_sentences: Sequence[str]) -> bool:
    """Whether the claim gives an entity a predicate that the passage gives another entity.

    For each clause of the claim with a subject, the passage's clauses whose subject (or
    whose sentence's speaker) is the same entity ("own") are compared with clauses of other
    entities: the claim's predicate words must match its own clauses at least as well as
    another's. Clauses that report speech ("X said …") are left to the speaker check.
    """
    sentences = list(passage_sentences)
    passage_clauses: list[tuple[tuple[str, ...], set[str]]] = []
    for i, sentence in enumerate(sentences):
        speakers = tuple(a.speaker for a in attributions(sentences, i) if a.speaker)
        for c in clauses(sentence):
            subjects = c.subjects + speakers
            if _reports(c.text):  # "X says the Government will…": the Government acts too
                subjects += tuple(e for e in entities(c.text) if name_parts(e))
            if subjects:
                passage_clauses.append((subjects, set(c.predicate)))
    for claimed in clauses(claim):
        if not claimed.subjects or len(set(claimed.predicate)) < 2 or _reports(claimed.text):
            continue
        wanted = set(claimed.predicate)
        own = 0
        other = 0
        has_own = False
        for subjects, predicate in passage_clauses:
            overlap = len(wanted & predicate)
            if any(same_entity(x, y) for x in claimed.subjects for y in subjects):
                has_own = True
                own = max(own, overlap)
            elif overlap:
                other = max(other, overlap)
        if has_own and other >= 2 and other > own and other * 2 >= len(wanted):
            return True
    return False
