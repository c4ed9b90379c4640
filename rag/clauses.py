"""Whether a clause is negated, flips a passage's polarity, or swaps who does what.

Shared by the citation checker (`rag/verify.py`: is a generated claim what its passage
says?) and the answerer; built on the tokens and word lists of `rag/speech.py`. General
English only; the word lists live in `rag/lexicon/`: `negations`, `negation_cues`,
`antonyms`, `negative_prefixes`, `clause_breaks`.

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
from difflib import SequenceMatcher
from functools import cache

from rag import lexicon
from rag.speech import (
    _CLAUSE_BREAKS,
    _DETERMINERS,
    _FINITE,
    _NEG_WORDS,
    _TITLES,
    _find,
    _norm,
    _phrases,
    _quoted_mask,
    _reports,
    _speech,
    _stem,
    _Tok,
    _tokens,
    attributions,
    name_parts,
    same_entity,
)
from rag.terms import STOPWORDS, entities, stem

__all__ = [
    "Clause",
    "antonym_substituted",
    "attempt_claimed_done",
    "clause_texts",
    "clauses",
    "negated",
    "polarity_conflict",
    "role_conflict",
    "substitutions",
    "swapped",
]


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of a sentence: who does what, and whether it is negated."""

    text: str
    subjects: tuple[str, ...]  # the entities before the predicate ("the UK and Germany")
    predicate: tuple[str, ...]  # stems of the content words after them (synonyms canonical)
    negated: bool
    pronoun: str = ""  # the personal pronoun that is its subject ("he"), if any


SCOPE_WORDS = 5  # content words a negation cue reaches
# Words after which a negation cue no longer reaches: a new clause begins.
_SCOPE_ENDS = frozenset(
    "but while whereas although though yet because since so which who whom whose when if "
    "unless until than however".split()
)


# -- word lists -----------------------------------------------------------------------------


@cache
def _cues() -> tuple[tuple[str, ...], ...]:
    return _phrases("negation_cues")


@cache
def _word_cues() -> tuple[tuple[str, ...], ...]:
    """The negation cues as plain stems, no synonym put in a word's place: "declined to
    comment" negates, "dropped to 5 per cent" (a synonym of "declined") does not."""
    seqs = {tuple(stem(w.lower()) for w in p.split()) for p in lexicon.words("negation_cues")}
    return tuple(sorted(seqs, key=lambda s: -len(s)))


@cache
def _hedges() -> tuple[tuple[str, ...], ...]:
    both = set(_phrases("negative_hedges")) | set(_phrases("implicit_negatives"))
    return tuple(sorted(both, key=lambda s: -len(s)))


def _hedged(
    toks: Sequence[_Tok], negation: dict[int, int], other: Sequence[_Tok] = ()
) -> dict[int, int]:
    """`negation` with the content words a hedged negative governs counted as negated
    ("unlikely to take part in any assault": take, part, assault); not one that the
    `other` text uses too ("were not kept from the board" against "were kept from it")."""
    stems = [t.stem for t in toks]
    other_stems = [t.stem for t in other]
    out = dict(negation)
    for phrase in _hedges():
        if other_stems and _find(other_stems, phrase):
            continue
        for i in _find(stems, phrase):
            # "were not kept from the board": a negated hedge says the opposite of it
            flip = negation.get(i, 0) % 2 == 1
            # the phrase's own verb is what is said not to be so ("knows little")
            for j in range(i, i + len(phrase)):
                if toks[j].content and (flip or out.get(j, 0) % 2 == 0):
                    out[j] = out.get(j, 0) + 1
            j, n = i + len(phrase), 0
            while j < len(toks) and n < SCOPE_WORDS:
                t = toks[j]
                if t.punct or t.lower in _SCOPE_ENDS:
                    break
                if t.content:
                    n += 1
                    if flip or out.get(j, 0) % 2 == 0:
                        out[j] = out.get(j, 0) + 1
                j += 1
    return out


@cache
def _antonyms() -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    return tuple(
        (tuple(_stem(_norm(w)) for w in a.split()), tuple(_stem(_norm(w)) for w in b.split()))
        for a, b in lexicon.pairs("antonyms")
        if a.split() != b.split()
    )


@cache
def _opposites(word: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """Every word or phrase the antonym pairs set against `word` ("fell", "drop" for "rise")."""
    return frozenset(
        {b for a, b in _antonyms() if a == word} | {a for a, b in _antonyms() if b == word}
    )


@cache
def _contrary() -> frozenset[str]:
    return frozenset(_stem(_norm(w)) for w in lexicon.words("contrary_verbs"))


_NEG_PREFIXES = tuple(sorted(lexicon.words("negative_prefixes"), key=len, reverse=True))


# -- negation and polarity ------------------------------------------------------------------


def _is_neg_word(tok: _Tok) -> bool:
    return tok.lower in _NEG_WORDS or tok.lower.endswith("n't")


@dataclass(frozen=True, slots=True)
class _Cue:
    start: int  # token index of the cue's first word
    end: int  # one past its last word
    scope: tuple[int, ...]  # token indexes of the content words it negates


def _whether_or_not(toks: Sequence[_Tok], i: int) -> bool:
    """Whether the "not" at toks[i] closes "whether (…) or not"."""
    if i == 0 or toks[i - 1].lower != "or":
        return False
    return any(t.lower == "whether" for t in toks[max(i - 8, 0) : i - 1])


def _negation_cues(
    toks: Sequence[_Tok],
    skip: frozenset[int] = frozenset(),
    no_one: bool = False,
    words_only: bool = False,
) -> list[_Cue]:
    """Negation cues with their scopes; `skip` holds token indexes that are antonym terms.
    With `no_one`, "no one" negates what follows as "nobody" does ("no one was hurt"); with
    `words_only`, a cue is matched by its own words' stems, not a synonym's."""
    stems = [stem(t.lower) if words_only else t.stem for t in toks]
    found: list[tuple[int, int]] = []
    taken: set[int] = set()
    for phrase in _word_cues() if words_only else _cues():
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
            if (t.lower, nxt) in {("not", "only"), ("nothing", "but")}:
                continue
            if t.lower == "not" and _whether_or_not(toks, i):
                continue  # "whether or not they are empty": both ways, no negation
            if (t.lower, nxt) == ("no", "one"):
                if not no_one:
                    continue
                found.append((i, i + 2))
                taken.add(i + 1)
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
            adverb = t.lower == "yet" and j == end  # "not yet approved": no new clause
            if t.punct or (t.lower in _SCOPE_ENDS and not adverb) or t.lower in {"and", "or"}:
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

    a_all = {t.stem for t in a}
    b_all = {t.stem for t in b}
    gaps = _gaps(a, b)
    for left, right in _antonyms():
        for x, y in ((left, right), (right, left)):
            if x == y:
                continue  # synonyms made the pair one word
            if x[0] not in a_all or y[0] not in b_all:
                continue  # (fast path: neither side can match)
            all_a, all_b = _antonym_spans(a, x), _antonym_spans(b, y)
            in_a, in_b = _same_place(a, b, gaps, all_a, len(x), all_b, len(y))
            if not in_a or not in_b:
                continue
            if len(_antonym_spans(b, x)) >= len(all_a) or len(_antonym_spans(a, y)) >= len(all_b):
                continue  # the other side says it as often: no flip between them
            if any(len(_antonym_spans(a, z)) >= len(all_b) for z in _opposites(x) if z != y):
                continue  # the claim says y's side in another word ("fell" beside "rising"
                # where the sentence has "dropped" beside "higher")
            flips.append((in_a, in_b, len(x), len(y)))
            a_skip |= {i + k for i in in_a for k in range(len(x))}
            b_skip |= {i + k for i in in_b for k in range(len(y))}
    for i, j in _prefix_flips(a, b, a_stems, b_stems):
        if not _same_place(a, b, gaps, [i], 1, [j], 1)[0]:
            continue
        flips.append(([i], [j], 1, 1))
        a_skip.add(i)
        b_skip.add(j)
    a_cues = _negation_cues(a, frozenset(a_skip), no_one=True, words_only=True)
    b_cues = _negation_cues(b, frozenset(b_skip), no_one=True, words_only=True)
    a_neg = _negated_positions(a, a_cues)
    b_neg = _negated_positions(b, b_cues)
    # an antonym under a negation on one side only is a paraphrase ("not likely"/"unlikely")
    absorbed_a: set[int] = set()
    absorbed_b: set[int] = set()
    antonym = False
    for in_a, in_b, la, lb in flips:
        after_a = _cue_after(a_cues, in_a, la)
        after_b = _cue_after(b_cues, in_b, lb)
        pols_a = {(a_neg.get(i, 0) + (i in after_a)) % 2 for i in in_a}
        pols_b = {(b_neg.get(i, 0) + (i in after_b)) % 2 for i in in_b}
        if pols_a & pols_b:  # some use of one word stands where the other says the opposite
            antonym = True
        else:
            absorbed_a |= {id(c) for c in a_cues if set(c.scope) & set(in_a)}
            absorbed_b |= {id(c) for c in b_cues if set(c.scope) & set(in_b)}
            absorbed_a |= {id(c) for c in after_a.values()}
            absorbed_b |= {id(c) for c in after_b.values()}
    # the sentence's negations count only in the clauses the claim restates
    b_cues_here = [c for c in b_cues if any(lo <= b[c.start].start < hi for lo, hi in spans)]
    inside = here(list(range(len(b))))
    b_here_stems = {b[i].stem for i in inside if b[i].content}
    # a hedged negative in the other text agrees with a negation ("not expected to join" /
    # "unlikely to take part"); on its own it flips nothing
    b_hedged = _hedged(b, b_neg, a)
    a_hedged = _hedged(a, a_neg, b)
    b_agree = {i: n for i, n in b_hedged.items() if i in set(inside)}
    b_plain = {i: n for i, n in b_neg.items() if i in set(inside)}
    if _one_sided(a, a_cues, absorbed_a, a_hedged, b, b_agree, b_here_stems, b_plain) or (
        _one_sided(b, b_cues_here, absorbed_b, b_hedged, a, a_hedged, a_stems, a_neg)
    ):
        return "negation"
    return "antonym" if antonym else None


@cache
def _attempts() -> tuple[tuple[str, ...], ...]:
    return _phrases("attempt_phrases")


def attempt_claimed_done(claim: str, passage_sentence: str) -> bool:
    """Whether the claim states as done ("authorities have tracked down the source") what
    the sentence says is only being attempted ("are still trying to track down the
    source"): the verb after an attempt phrase in the sentence stands in the claim in a past
    form ("tracked", "found", "has found"), not itself after an attempt phrase or a negation."""
    a, b = _tokens(claim), _tokens(passage_sentence)
    a_stems = [t.stem for t in a]
    b_stems = [t.stem for t in b]
    attempted: set[str] = set()
    for phrase in _attempts():
        for i in _find(b_stems, phrase):
            j = i + len(phrase)
            if j < len(b) and b[j].content:
                attempted.add(b[j].stem)
    if not attempted:
        return False
    for phrase in _attempts():
        if _find(a_stems, phrase):
            return False  # the claim says it is attempted too
    if negated(claim):
        return False
    for k, t in enumerate(a):
        if t.stem not in attempted:
            continue
        before = a[k - 1].lower if k else ""
        past = (
            t.lower.endswith("ed")
            or t.lower in _irregular_past()
            or before in {"has", "have", "had"}
        )
        if past and t.lower != t.stem:
            return True
    return False


@cache
def _irregular_past() -> frozenset[str]:
    return frozenset(past for past, _base in lexicon.pairs("irregular_verbs"))


def _cue_after(cues: Sequence[_Cue], starts: Sequence[int], length: int) -> dict[int, _Cue]:
    """The negation cue that directly follows each use of an antonym term ("probably won't
    join", "likely not to"): the hedge then says what its opposite says ("unlikely to join")."""
    out: dict[int, _Cue] = {}
    for i in starts:
        for cue in cues:
            if 0 <= cue.start - (i + length) <= 1:
                out[i] = cue
    return out


def _aligned_spans(sentence: str, claim_stems: set[str]) -> list[tuple[int, int]]:
    """Character spans of the sentence's clauses that share most words with the claim."""
    spans: list[tuple[int, int, set[str]]] = []
    cursor = 0
    for text in clause_texts(sentence):
        start = sentence.find(text, cursor)
        if start < 0:
            return [(0, len(sentence))]
        cursor = start + len(text)
        # names say who; the lower-case words say what, which is what aligns a clause
        shared = {t.stem for t in _tokens(text) if t.content and t.text.islower()} & claim_stems
        spans.append((start, cursor, shared))
    if len(spans) <= 1:
        return [(0, len(sentence))]
    best = max(len(shared) for _s, _e, shared in spans)
    chosen = [(lo, hi, shared) for lo, hi, shared in spans if len(shared) == best]
    covered = set().union(*(shared for _lo, _hi, shared in chosen))
    # a clause that gives the claim a word the best-aligned ones lack is restated too
    # ("… near Kandahar, but are unlikely to take part in any assault on the city")
    more = [(lo, hi, shared) for lo, hi, shared in spans if shared - covered]
    return sorted(
        (lo, hi) for lo, hi, _shared in {(lo, hi, frozenset(s)) for lo, hi, s in chosen + more}
    )


def _gaps(a: Sequence[_Tok], b: Sequence[_Tok]) -> tuple[list[int], list[int]]:
    """For each token of each text, how many of the two texts' shared content words (their
    longest common run in order, `_anchors`) come before it: two words stand in the same
    place when the same number of shared words precede them and they precede the next."""
    pairs = _anchors(a, b)
    gap_a = [sum(1 for i, _j in pairs if i < k) for k in range(len(a))]
    gap_b = [sum(1 for _i, j in pairs if j < k) for k in range(len(b))]
    return gap_a, gap_b


def _anchors(a: Sequence[_Tok], b: Sequence[_Tok]) -> list[tuple[int, int]]:
    """The longest in-order run of content stems the two texts share, as index pairs."""
    xs = [i for i, t in enumerate(a) if t.content]
    ys = [j for j, t in enumerate(b) if t.content]
    n, m = len(xs), len(ys)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for p in range(n - 1, -1, -1):
        for q in range(m - 1, -1, -1):
            if a[xs[p]].stem == b[ys[q]].stem:
                table[p][q] = table[p + 1][q + 1] + 1
            else:
                table[p][q] = max(table[p + 1][q], table[p][q + 1])
    pairs = []
    p = q = 0
    while p < n and q < m:
        if a[xs[p]].stem == b[ys[q]].stem:
            pairs.append((xs[p], ys[q]))
            p, q = p + 1, q + 1
        elif table[p + 1][q] >= table[p][q + 1]:
            p += 1
        else:
            q += 1
    return pairs


def _same_place(
    a: Sequence[_Tok],
    b: Sequence[_Tok],
    gaps: tuple[list[int], list[int]],
    in_a: list[int],
    la: int,
    in_b: list[int],
    lb: int,
) -> tuple[list[int], list[int]]:
    """The uses of a word in one text and of its opposite in the other that stand in the
    same place: between the same shared words (`_gaps`), or next to one same word on the
    same side (of the two content words before, or the two after). "beating Roddick" is
    not set against "Spain's victory" three words earlier, nor "after the fumble" at the
    start of a sentence against "before hooking it clear" at its end."""
    gap_a, gap_b = gaps

    def near(toks: Sequence[_Tok], start: int, length: int) -> tuple[set[str], set[str]]:
        before = [t.stem for t in toks[:start] if t.content][-2:]
        after = [t.stem for t in toks[start + length :] if t.content][:2]
        return set(before), set(after)

    def same(i: int, j: int) -> bool:
        if {gap_a[i], gap_a[i + la - 1]} & {gap_b[j], gap_b[j + lb - 1]}:
            return True
        (a_before, a_after), (b_before, b_after) = near(a, i, la), near(b, j, lb)
        return bool(a_before & b_before or a_after & b_after)

    keep_a = [i for i in in_a if any(same(i, j) for j in in_b)]
    keep_b = [j for j in in_b if any(same(i, j) for i in in_a)]
    return keep_a, keep_b


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
    other_plain: dict[int, int] | None = None,
) -> bool:
    """Whether a cue of `toks` gives words a polarity that `other` does not give them.

    The cue's words count when the other text has its first word, or two of them; each
    must stand in the other text somewhere with the same polarity (negated or not)."""
    if not cues:
        return False
    contrary = _contrary()
    other_contrary = any(t.stem in contrary for t in other)
    other_double = _double_negative(other)
    # "does not prevent it" turns round the other text's "prevent it"
    turned = other_double and not _double_negative(toks)
    for cue in cues:
        if id(cue) in absorbed or not cue.scope:
            continue
        # "opposing a freeze" against "fighting a freeze": both set against it
        single = cue.end - cue.start == 1
        if single and toks[cue.start].stem in contrary and other_contrary and not turned:
            continue
        if any(toks[j].stem in contrary for j in cue.scope) and other_double:
            continue  # "nothing would stop it" against "nothing would prevent it"
        scope_stems = [toks[j].stem for j in cue.scope]
        # "… if Basle fail to beat Feyenoord" says nothing of "beating Ferencvaros": a
        # negation about names the other text never gives is about something else
        if _name_replaced(toks, cue, other):
            continue
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
        plain = other_neg if other_plain is None else other_plain
        if scope_stems[0] not in other_stems and any(n % 2 for n in plain.values()):
            continue  # both negative, about differently worded things: a paraphrase
        return True
    return False


def _name_replaced(toks: Sequence[_Tok], cue: _Cue, other: Sequence[_Tok]) -> bool:
    """Whether the cue's scope names someone the other text replaces with another name at
    the same place: "fail to beat Feyenoord" against "by beating Ferencvaros" (the word
    before the name shared, another name after it in the other text). A name
    the other text merely leaves out ("the remaining Sunderland shares" / "the remaining
    shares") is no replacement."""
    other_stems = [t.stem for t in other]
    for k, j in enumerate(cue.scope):
        t = toks[j]
        if j == 0 or not t.text[:1].isupper() or t.stem in other_stems or k == 0:
            continue
        before = toks[cue.scope[k - 1]].stem
        for m, stem_ in enumerate(other_stems):
            if stem_ != before:
                continue
            after = next((u for u in other[m + 1 :] if u.content), None)
            if after is not None and after.text[:1].isupper() and after.stem != t.stem:
                return True
    return False


def _double_negative(toks: Sequence[_Tok]) -> bool:
    """Whether a negation word governs a verb set against what follows ("nothing would
    prevent", "no one could stop"): two negatives that say it may go ahead."""
    contrary = _contrary()
    for i, t in enumerate(toks):
        if not _is_neg_word(t):
            continue
        for u in toks[i + 1 : i + 1 + SCOPE_WORDS + 2]:
            if u.punct or u.lower in _SCOPE_ENDS - {"that", "which", "who"}:
                break
            if u.stem in contrary:
                return True
    return False


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


# titles and callings continue the subject: "Everton striker James Beattie has been …"
_OF_SUBJECT = _TITLES | lexicon.words("role_nouns")


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
        if t.content and t.text[:1].islower() and t.lower not in _OF_SUBJECT:
            before = toks[j - 1]
            in_phrase = before.lower in _DETERMINERS or (
                before.text[:1].islower() and before.content
            )
            if not in_phrase:
                return _finite_after_noun(toks, j)
    return len(toks)


@cache
def _irregular_forms() -> frozenset[str]:
    """Both forms of the irregular verbs ("win", "won"): verbs, not nouns."""
    return frozenset(w for pair in lexicon.pairs("irregular_verbs") for w in pair)


def _a_verb(tok: _Tok) -> bool:
    """Whether a word reads as a finite verb: an auxiliary, a verb of speech, a word in -ed
    or an irregular verb's form ("set", "won")."""
    return (
        tok.lower in _FINITE
        or (tok.lower,) in _speech()
        or bool(re.fullmatch(r"[a-z]{3,}ed", tok.text))
        or tok.lower in _irregular_forms()
    )


def _finite_after_noun(toks: Sequence[_Tok], j: int) -> int:
    """Where the verb is when toks[j] may be a noun of the subject instead: the auxiliary
    or -ed verb ending a run of lower-case words ("UK bookmakers have tipped", "gunmen
    wounded"; not after an irregular verb, "won renewed praise"), or one after the name
    such a run describes ("stock market Euronext has approached", "magnate Vijay Mallya
    recently set up": adverbs aside) or after a name set off by a comma ("India's first
    airline, Air Deccan, has placed"; "Six months ago, Phillips delayed"); else j."""
    m = j + 1
    while m < len(toks) and toks[m].content and toks[m].text[:1].islower():
        if toks[m].lower in _FINITE:
            return m
        if re.fullmatch(r"[a-z]{3,}ed", toks[m].text) or toks[m].lower in _irregular_forms():
            # "gunmen wounded", "shares went up": the verb; "won renewed praise": an
            # adjective after one
            return j if toks[j].lower in _irregular_forms() else m
        m += 1
    if m < len(toks) and toks[m].lower in _FINITE:
        return m
    n = m
    while n < len(toks) and toks[n].text[:1].isupper():
        n += 1
    v = n
    while v < len(toks) and re.fullmatch(r"[a-z]{3,}ly", toks[v].text):
        v += 1  # "Beer magnate Vijay Mallya recently set up"
    if n > m and v < len(toks) and _a_verb(toks[v]):
        return v  # "Pan-European stock market Euronext has approached"
    if m < len(toks) and toks[m].text == ",":
        n = m + 1
        while n < len(toks) and toks[n].text[:1].isupper():
            n += 1
        v = n + 1 if n < len(toks) and toks[n].text == "," else n
        while v < len(toks) and re.fullmatch(r"[a-z]{3,}ly", toks[v].text):
            v += 1
        if n > m + 1 and v < len(toks) and _a_verb(toks[v]):
            return v  # "Six months ago, Phillips Petroleum indefinitely delayed"
    return j


_SUBJECT_PRONOUNS = frozenset("i you he she it we they".split())


def _ends_in_common_noun(phrase: str) -> bool:
    """Whether a phrase's last word is a lower-case word of meaning: its head is a common
    noun ("UK bookmakers", "India's first low-cost airline"), the names in it modify."""
    last = [w for w in re.findall(r"[\w'’\-]+", phrase) if not re.fullmatch(r"[a-z]{3,}ly", w)]
    return bool(last) and last[-1].islower() and last[-1] not in STOPWORDS


def _subject_names(subject: str) -> tuple[str, ...]:
    """The names a clause's subject phrase stands for: its head's, not a modifier's ("UK
    bookmakers" names nobody) nor an apposition's description ("Euronext, the
    pan-European market," is Euronext); a description before a name is the name ("India's
    first airline, Air Deccan,")."""
    segments = [x for x in (part.strip() for part in subject.split(",")) if x]
    if not segments:
        return ()
    head = segments[0]
    if _ends_in_common_noun(head) and len(segments) > 1:
        head = segments[1]
    if _ends_in_common_noun(head):
        return ()
    return tuple(e for e in entities(head) if name_parts(e) and not e[:1].isdigit())


def clauses(sentence: str) -> list[Clause]:
    """The sentence's clauses, each with its subject entities, predicate stems and negation."""
    out = []
    for text in clause_texts(sentence):
        toks = _tokens(text)
        k = 0
        pronoun = ""  # "He will attack Labour's record": the subject is "He", no name
        while k < len(toks) and (
            toks[k].lower in _CLAUSE_BREAKS or toks[k].lower in STOPWORDS or toks[k].punct
        ):
            if not pronoun and toks[k].lower in _SUBJECT_PRONOUNS:
                pronoun = toks[k].lower
            k += 1
        end = _verb_at(toks, k)
        if pronoun or (toks and toks[0].lower in _PREPOSITIONS):
            end = k  # "In the remote seats, counting won't begin": no named subject
        subject_text = text[toks[k].start : toks[end - 1].end] if end > k else ""
        subjects = _subject_names(subject_text)
        predicate = tuple(t.stem for t in toks[end:] if t.content and not t.quoted)
        out.append(Clause(text, subjects, predicate, negated(text), pronoun))
    return out


def _agent_in(who: Sequence[str], text: str) -> bool:
    """Whether a clause names one of `who` as the doer of a passive ("a sale forced by
    Russia", "criticised by Jo Lee")."""
    return any(
        re.search(rf"\b(?:[a-z]+ed|[a-z]+en)\s+by\s+(?:the\s+)?{re.escape(w)}\b", text) for w in who
    )


def _names_all(name: str, mention: str) -> bool:
    """Whether every word of `name` stands in `mention` ("APRA" in "the Australian Prudential
    Regulatory Authority (APRA)"; not "Palestinian Authorities" in "Palestinian leader")."""
    words_ = name_parts(name)
    held = name_parts(mention)
    return bool(words_) and all(any(p == q for q in held) for p in words_)


_PLACE_FORMS = frozenset(w for pair in lexicon.pairs("places") for w in pair)


def _named_inside(texts: Iterable[str]) -> frozenset[str]:
    """Words the texts capitalise inside a sentence (not first, not after a quotation mark
    or a colon): names, as a word capitalised only where a sentence opens may not be."""
    found = set()
    for text in texts:
        toks = _tokens(text)
        for k, t in enumerate(toks[1:], start=1):
            before = toks[k - 1].text
            if t.text[:1].isupper() and before not in {".", "!", "?", ":", '"', "“", "‘"}:
                found.add(t.lower)
    return frozenset(found)


def _a_name(entity: str, named: frozenset[str], claimed: bool = False) -> bool:
    """Whether an entity may be a party to a predicate: not a figure ("2005"), and not one
    word capitalised only because it opens its sentence: a participle ("Looking ahead, the
    company…") or, as the claim's subject, a common word ("Consumer spending accounts
    for…"). A single word is a name when the texts capitalise it inside a sentence too, or
    it is an initialism or a country's form ("Britain")."""
    if any(ch.isdigit() for ch in entity) and not any(ch.isalpha() for ch in entity):
        return False  # "2005", "4": a figure is no party to a predicate
    words_ = entity.split()
    if len(words_) != 1:
        return True
    word = words_[0].strip("’'").removesuffix("’s").removesuffix("'s")
    if word.isupper() or word.lower() in named or word.lower() in _PLACE_FORMS:
        return True
    # the passage's "Refugee support groups are critical" is another party all the same
    return not claimed and not word.lower().endswith(("ing", "ed"))


def _reversal(
    who: Sequence[str], claimed: Clause, subjects: Sequence[str], text: str, overlap: int
) -> bool:
    """Whether the claim's clause says "A did P to B" where the passage's says "B did P
    to A": the same verb first in both predicates, three words of it shared, A in the
    passage clause's words and B in the claim's, each but not as its subject."""
    if overlap < 3 or not claimed.predicate:
        return False
    verb = next((t.stem for t in _tokens(claimed.text) if t.stem in claimed.predicate), "")
    passage_words = {t.stem for t in _tokens(text)}
    if verb not in passage_words:
        return False
    return any(_mentions_name(x, text) for x in who) and any(
        _mentions_name(y, claimed.text) and not any(same_entity(y, x) for x in who)
        for y in subjects
    )


def _mentions_name(name: str, text: str) -> bool:
    return any(same_entity(name, e) for e in entities(text) if name_parts(e))


def role_conflict(claim: str, passage_sentences: Sequence[str]) -> bool:
    """Whether the claim gives an entity a predicate that the passage gives another entity.

    For each clause of the claim with a subject, the passage's clauses whose subject (or
    whose sentence's speaker) is the same entity ("own") are compared with clauses of other
    entities: the claim's predicate words must match its own clauses at least as well as
    another's. Clauses that report speech ("X said …") are left to the speaker check.
    """
    sentences = list(passage_sentences)
    named = _named_inside([claim, *sentences])

    def names(found: Iterable[str], claimed: bool = False) -> tuple[str, ...]:
        return tuple(e for e in found if _a_name(e, named, claimed))

    passage_clauses: list[tuple[tuple[str, ...], tuple[str, ...], set[str], str]] = []
    for i, sentence in enumerate(sentences):
        speakers = tuple(a.speaker for a in attributions(sentences, i) if a.speaker)
        # the sentence's last named subject: whom a "he"/"she" later in it means (across a
        # sentence break the last subject named is too often someone else)
        last: tuple[str, ...] = ()
        for c in clauses(sentence):
            subjects = names(c.subjects)
            if subjects:
                last = subjects
            elif c.pronoun in ("he", "she") and len(last) == 1:
                subjects = last  # "Connors is at pains …, and he gave …": Connors gave
            subjects += speakers
            if _reports(c.text):  # "X says the Government will…": the Government acts too
                subjects += names(e for e in entities(c.text) if name_parts(e))
            if subjects:
                # "… with APRA receiving a copy": the subject of a participle acts too
                mentioned = tuple(
                    e
                    for e in entities(c.text)
                    if name_parts(e) and re.search(rf"{re.escape(e)}\)?\s+\w+(?:ing|ed)\b", c.text)
                )
                passage_clauses.append((subjects, mentioned, set(c.predicate), c.text))
    for claimed in clauses(claim):
        who = names(claimed.subjects, claimed=True)
        if not who or len(set(claimed.predicate)) < 2:
            continue
        if _reports(claimed.text):
            continue
        if _PASSIVE.search(claimed.text):
            continue  # "X has been sentenced by Y": the subject is not the doer
        wanted = set(claimed.predicate)
        own = 0
        other = 0
        has_own = False
        reversed_ = False
        for subjects, mentioned, predicate, text in passage_clauses:
            overlap = len(wanted & predicate)
            if any(same_entity(x, y) for x in who for y in subjects):
                has_own = True
                own = max(own, overlap)
            elif any(_names_all(x, y) for x in who for y in mentioned):
                own = max(own, overlap)  # "… with APRA receiving a copy": APRA's part too
            elif _agent_in(who, text):
                own = max(own, overlap)  # "a sale forced by Russia": Russia's part too
            elif overlap:
                other = max(other, overlap)
                reversed_ = reversed_ or _reversal(who, claimed, subjects, text, overlap)
        if has_own and other >= 2 and other > own and other * 2 >= len(wanted):
            return True
        if reversed_ and other > own:
            return True
    return False


# -- what the claim puts in another's place -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Substitution:
    """Words of the claim (`claimed`) standing where the sentence has others (`stated`),
    the words around them the same: "in March" for "in November"."""

    claimed: tuple[_Tok, ...]
    stated: tuple[_Tok, ...]
    before: str  # the sentence's word before the change, lower-case ("" at the start)
    after: str  # the sentence's word after it


def substitutions(claim: str, sentence: str) -> list[Substitution]:
    """The claim aligned word by word with the passage sentence it restates (stems,
    synonyms made one): each stretch it says differently, with the words around it."""
    a = [t for t in _tokens(claim) if t.text not in "()"]
    b = [t for t in _tokens(sentence) if t.text not in "()"]
    matcher = SequenceMatcher(None, [t.stem for t in a], [t.stem for t in b], autojunk=False)
    out = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace":
            continue
        before = b[j1 - 1].lower if j1 > 0 else ""
        after = b[j2].lower if j2 < len(b) else ""
        out.append(Substitution(tuple(a[i1:i2]), tuple(b[j1:j2]), before, after))
    return out


@cache
def _single_antonyms() -> tuple[tuple[str, str], ...]:
    return tuple(
        (a.lower(), b.lower())
        for a, b in lexicon.pairs("antonyms")
        if " " not in a and " " not in b and a.lower() != b.lower()
    )


def _root_of(word: str, base: str) -> bool:
    """Whether `word` is `base` or a form derived from it ("criticism" of "criticise",
    "acceptance" of "accept"): they share all but the last two letters of the shorter,
    five letters at least."""
    if word == base:
        return True
    k = 0
    for x, y in zip(word, base, strict=False):
        if x != y:
            break
        k += 1
    return k >= 5 and k >= min(len(word), len(base)) - 2


def _form_of(word: str, base: str) -> bool:
    """Whether `word` is `base` inflected ("rises" of "rise", by stem; "earliest" of
    "early", "latest" of "late") or derived from it (`_root_of`: "reduction" of "reduce")."""
    if _root_of(word, base) or stem(word) == stem(base):
        return True
    # "earliest" of "early", "latest" of "late", "tougher" of "tough"
    for ending in ("est", "er"):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            root = word[: -len(ending)]
            if root in (base, base.rstrip("e"), stem(base)):
                return True
    return False


def opposite_in(word: str, text: str) -> bool:
    """Whether `text` holds a word of the opposite meaning to `word`, in any form ("rejected"
    for "accept"; pairs of `rag/lexicon/antonyms.txt`), not negated near it."""
    toks = [t for t in _tokens(text) if t.content]
    lower = word.lower()
    for p, q in _single_antonyms():
        other = q if _form_of(lower, p) else p if _form_of(lower, q) else None
        if other is None:
            continue
        for k, t in enumerate(toks):
            if _form_of(t.lower, other) and not any(
                _is_neg_word(x) for x in toks[max(k - 2, 0) : k]
            ):
                return True
    return False


def antonym_substituted(claim: str, sentence: str) -> bool:
    """Whether the claim, aligned word by word with the sentence it restates, puts a word
    where the sentence has its opposite in another form ("drew criticism" for "drew
    praise", "their acceptance of" for "their rejection of"): a changed stretch of one or
    two words of meaning a side, neither negated, holding two words derived from the two
    sides of an antonym pair."""
    a = [t for t in _tokens(claim) if t.text not in "()"]
    b = [t for t in _tokens(sentence) if t.text not in "()"]
    matcher = SequenceMatcher(None, [t.stem for t in a], [t.stem for t in b], autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "replace":
            continue
        said = [t for t in a[i1:i2] if t.content]
        stated = [t for t in b[j1:j2] if t.content]
        if not said or not stated or len(said) > 2 or len(stated) > 2:
            continue
        near = [*a[max(i1 - 2, 0) : i2], *b[max(j1 - 2, 0) : j2]]
        if any(_is_neg_word(t) for t in near):
            continue
        for x in said:
            for y in stated:
                if x.stem == y.stem:
                    continue
                for p, q in _single_antonyms():
                    if (_form_of(x.lower, p) and _form_of(y.lower, q)) or (
                        _form_of(x.lower, q) and _form_of(y.lower, p)
                    ):
                        return True
    return False


def _content(toks: Sequence[_Tok]) -> set[str]:
    return {t.stem for t in toks if t.content}


def _shared(x: set[str], y: set[str]) -> float:
    """How much of the smaller set the larger holds."""
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


_PASSIVE = re.compile(
    r"\b(?:is|are|was|were|be|been|being)\s+(?:\w+ly\s+)?\w+(?:ed|en|wn)\b.*?\bby\b"
)


def swapped(claim: str, sentence: str) -> bool:
    """Whether the claim swaps two parts of the sentence it restates: "A did P while B did
    Q" as "B did P while A did Q", "handed to the board … with APRA receiving a copy" as
    "handed to APRA … with the board receiving a copy", "A defeated B" as "B defeated A".

    Two changed stretches, each holding (mostly) what the other replaces and not what it
    replaces itself; a change between active and passive voice ("B was defeated by A")
    is a paraphrase, not a swap."""
    if bool(_PASSIVE.search(claim)) != bool(_PASSIVE.search(sentence)):
        return False
    changes = [
        (_content(s.claimed), _content(s.stated))
        for s in substitutions(claim, sentence)
        if len(s.claimed) <= _STRETCH
        and len(s.stated) <= _STRETCH
        and not _reports(" ".join(t.text for t in (*s.claimed, *s.stated)))  # "X said": speaker's
        and not _one_name(s.claimed, s.stated)  # "Conservative" where the sentence has "Tory"
    ]
    # a stretch rewritten in more words of meaning than a swapped part holds is a rewording
    changes = [(x, y) for x, y in changes if x and y and min(len(x), len(y)) <= _MOVED]
    for k, (a1, b1) in enumerate(changes):
        for a2, b2 in changes[k + 1 :]:
            crossed = min(_shared(a1, b2), _shared(a2, b1))
            if crossed >= 0.5 and crossed > max(_shared(a1, b1), _shared(a2, b2)):
                return True
    return _reversed(claim, sentence) or _exchanged(claim, sentence)


def _one_name(claimed: Sequence[_Tok], stated: Sequence[_Tok]) -> bool:
    """Whether two stretches name the same country, faith or party in other forms."""
    from rag.answer.equivalents import groups_in  # (rag.answer builds on this module)

    found = groups_in(" ".join(t.text for t in claimed))
    return bool(found) and found == groups_in(" ".join(t.text for t in stated))


_CLOSE = 0.6  # the least share of words the claim and the sentence align on
_MOVED = 4  # the most content words of a moved stretch that an exchange looks at


def _exchanged(claim: str, sentence: str) -> bool:
    """Whether two stretches of the sentence trade places in the claim, the words between
    them kept: "government funding has run out … support from a charity" for "funding
    from a charity has run out … government support". With the claim aligned word by word
    with the sentence, a stretch the claim adds at one place and the sentence has at
    another has moved; two such moves, each of words the other texts holds only there,
    crossing in opposite directions, exchange the two stretches. (A phrase moved alone,
    "yesterday, X did Y" for "X did Y yesterday", is no exchange.)"""
    a = [t for t in _tokens(claim) if t.text not in "()"]
    b = [t for t in _tokens(sentence) if t.text not in "()"]
    matcher = SequenceMatcher(None, [t.stem for t in a], [t.stem for t in b], autojunk=False)
    if matcher.ratio() < _CLOSE:
        return False  # a reworded sentence: its changes are no exchange
    ops = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    a_count = _counts(a)
    b_count = _counts(b)
    added = [_content(a[i1:i2]) for _op, i1, i2, _j1, _j2 in ops]
    lacking = [_content(b[j1:j2]) for _op, _i1, _i2, j1, j2 in ops]
    moves: list[tuple[int, int, set[str]]] = []  # (where the claim has it, where the sentence has)
    for k, claimed in enumerate(added):
        for m, stated in enumerate(lacking):
            # the whole stretch moves, and its words stand once in each text
            whole = claimed == stated and all(a_count[w] == b_count[w] == 1 for w in claimed)
            if m != k and claimed and whole and len(claimed) <= _MOVED:
                moves.append((k, m, claimed))
    for k1, m1, x in moves:
        for k2, m2, y in moves:
            if x & y or not (k1 < m1 and k2 > m2):
                continue
            if max(k1, m2) < min(m1, k2):  # the two moves cross
                return True
    return False


def _counts(toks: Sequence[_Tok]) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in toks:
        if t.content:
            out[t.stem] = out.get(t.stem, 0) + 1
    return out


def _reversed(claim: str, sentence: str) -> bool:
    """Whether two names stand in each other's places: the claim aligned with the sentence
    with every name masked ("Police arrested <N> after <N> called" in both), names at
    aligned places crossed ("Smith … Jones" for "Jones … Smith"). Names of one list
    ("France, Britain and Germany") may come in any order."""
    pairs = slot_pairs(claim, sentence, initial=True)
    for k, (x1, y1, listed1) in enumerate(pairs):
        for x2, y2, listed2 in pairs[k + 1 :]:
            if listed1 and listed2:
                continue
            crossed = same_entity(x1, y2) and same_entity(x2, y1) and not same_entity(x1, y1)
            if crossed and not _one_name(_tokens(x1), _tokens(y1)):  # "Tory" … "Conservative"
                return True
    return False


def _slots(text: str) -> tuple[list[str], list[str]]:
    """The text as keys to align: a stem for each word, "<N>" for each run of capitalised
    words (a name), "<#>" for each number, time of day, month or weekday; and the text
    of each "<N>"/"<#>" mark in order."""
    toks = [t for t in _tokens(text) if t.text not in "()"]
    keys: list[str] = []
    marks: list[str] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        j = k + 1
        month = t.lower in _CALENDAR and t.text[:1].isupper()  # "May", not "may"
        if month or t.text[:1].isdigit() or t.lower in _NUMBER_WORDS:
            if j + 1 < len(toks) and toks[j].text == ":" and toks[j + 1].text[:1].isdigit():
                j += 2  # a time of day, "3:00pm"
            marks.append("".join(x.text for x in toks[k:j]))
            keys.append("<#>")
        elif t.text[:1].isupper():
            while j < len(toks) and toks[j].text[:1].isupper() and toks[j].lower not in _CALENDAR:
                j += 1
            marks.append(" ".join(x.text for x in toks[k:j]))
            keys.append("<N>")
        else:
            keys.append(t.stem)
        k = j
    return keys, marks


def slot_pairs(claim: str, sentence: str, initial: bool = False) -> list[tuple[str, str, bool]]:
    """Names and numbers of the claim and the sentence that stand in the same place once
    both are aligned with those masked, where they differ: (claim's, sentence's, whether
    the sentence's stands in a list "A, B and C"). A name stands in the same place when a
    word of meaning near it is the same (a number or a date when any word near it is);
    the first word of either text is capitalised by its place, not a name (unless
    `initial`: a swap pairs it with a name that takes its place elsewhere)."""
    a_keys, a_marks = _slots(claim)
    b_keys, b_marks = _slots(sentence)
    a_index = {k: n for n, k in enumerate(k for k, key in enumerate(a_keys) if key[:1] == "<")}
    b_index = {k: n for n, k in enumerate(k for k, key in enumerate(b_keys) if key[:1] == "<")}
    matcher = SequenceMatcher(None, a_keys, b_keys, autojunk=False)
    out = []
    for block in matcher.get_matching_blocks():
        for d in range(block.size):
            i, j = block.a + d, block.b + d
            key = a_keys[i]
            if key not in ("<N>", "<#>") or (key == "<N>" and not initial and (i == 0 or j == 0)):
                continue
            near = [
                a_keys[i + step] for step in (-3, -2, -1, 1, 2, 3) if 0 <= d + step < block.size
            ]
            # a name stands in the same place when a word of meaning is near it, or when
            # it ends a long stretch aligned word for word ("… in both Queensland and <N>")
            if not near or (
                key == "<N>" and not any(_meaningful(k) for k in near) and block.size < _LONG
            ):
                continue
            x, y = a_marks[a_index[i]], b_marks[b_index[j]]
            if x.lower() == y.lower():
                continue
            listed = (j > 1 and b_keys[j - 1] in _LIST and b_keys[j - 2] == "<N>") or (
                j + 2 < len(b_keys) and b_keys[j + 1] in _LIST and b_keys[j + 2] == "<N>"
            )
            out.append((x, y, listed))
    return out


_LIST = frozenset({",", "and", "or"})
_LONG = 6  # keys of an aligned stretch long enough to place a name by itself
_CALENDAR = lexicon.words("calendar")
_STRETCH = 8  # the most words of a changed stretch that a swap looks at


def _meaningful(key: str) -> bool:
    return key not in ("<N>", "<#>") and key not in STOPWORDS and key[:1].isalnum()


_NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred thousand million billion".split()
)
