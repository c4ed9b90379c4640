"""Generate a claim-verification set: faithful claims and unfaithful variants of them.

`python -m evals.claims_gen --out evals/claims/claims.jsonl` (seeded, deterministic).

Faithful claims come from paraphrases written by people (`--faithful FILE`, JSON Lines
with `chunk_id`, `question`, `claim`; helpers' and our own), from passage sentences of the
shipped corpus taken as they stand (`verbatim`), and from two sentences of a passage about
two different subjects joined by "while" (`combined`). Each faithful claim then yields
unfaithful variants, one per kind of change:

- negation: a negation taken out ("won't" -> "will") or put in ("was not", "never");
  the claim's negation changes.
- antonym: a word swapped for its opposite (likely/unlikely, rose/fell, a negative prefix
  added or taken away); the new word is not in the passage sentence.
- speaker: the named speaker replaced by another person who speaks in the same passage;
  the new speaker is not the sentence's speaker, nor named in it.
- role: the subjects of "A did P, while B did Q" exchanged; A and B are different names.
- number: a number changed; the new number appears nowhere in the passage.
- date: a year, month or weekday changed; the new one appears nowhere in the passage.
- entity: a name replaced by a name of as many words from another article; no word of it
  is in the passage.
- invented: a clause from another article added ("..., and <clause>"); most of its words
  are not in the passage.

Passages are split into two halves by a hash of their article (`half`: `fit`/`held-out`),
so that checker rules tuned on one half can be judged on the other.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from evals.claims import ROOT, ClaimItem, corpus_chunks
from rag import lexicon, speech
from rag.chunk import split_sentences
from rag.config import load_settings
from rag.terms import STOPWORDS, content_stems, entities
from rag.types import Chunk
from rag.verify import is_instruction
from rag.verify_rules import numbers_in

SEED = 18
_AUX = "is are was were has have had will would could can should may might must did does do".split()
_CONTRACTED = {
    "won't": "will",
    "can't": "can",
    "cannot": "can",
    "don't": "do",
    "doesn't": "does",
    "didn't": "did",
    "isn't": "is",
    "wasn't": "was",
    "aren't": "are",
    "weren't": "were",
    "hasn't": "has",
    "haven't": "have",
    "hadn't": "had",
    "wouldn't": "would",
    "couldn't": "could",
    "shouldn't": "should",
}
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_BREAKS = r",\s+(?:while|whereas|although|but)\s+|;\s+"
_SUBJECT = re.compile(r"^(?:The\s+|the\s+)?((?:[A-Z][\w’'\-]*)(?:\s+[A-Z][\w’'\-]*)*)\s+[a-z]")
_NEG_PREFIXES = ("un", "dis", "in", "im", "non")


def half_of(article_id: str) -> str:
    digest = hashlib.sha256(article_id.encode()).digest()[0]
    return "fit" if digest % 2 == 0 else "held-out"


def _norm(text: str) -> str:
    return " ".join(text.replace("’", "'").lower().split())


def _swap_word(text: str, old: str, new: str) -> str | None:
    """`text` with the first whole-word `old` replaced by `new` (None if absent)."""
    pattern = re.compile(rf"(?<![\w’'-]){re.escape(old)}(?![\w-])")
    if not pattern.search(text):
        return None
    return pattern.sub(new.replace("\\", ""), text, count=1)


# -- the kinds of change ----------------------------------------------------------------------


def negation(claim: str, passage: str, rng: random.Random) -> str | None:
    """Take a negation out, or put one in after the first auxiliary (or 'never' before a
    past-tense verb)."""
    for word, plain in _CONTRACTED.items():
        for form in (word, word.replace("'", "’"), word.capitalize()):
            swapped = _swap_word(claim, form, plain if form.islower() else plain.capitalize())
            if swapped:
                return swapped
    for pattern, repl in ((r"\s+not\s+", " "), (r"\s+never\s+", " "), (r"\bno longer\s+", "")):
        if re.search(pattern, claim):
            return re.sub(pattern, repl, claim, count=1)
    tokens = claim.split()
    for i, tok in enumerate(tokens[1:-1], 1):
        if tok.lower() in _AUX and tokens[i + 1][:1].islower():
            return " ".join([*tokens[: i + 1], "not", *tokens[i + 1 :]])
    for i, tok in enumerate(tokens[1:-1], 1):
        if re.fullmatch(r"[a-z]{3,}ed", tok) and tok not in lexicon.words("speech_verbs"):
            return " ".join([*tokens[:i], "never", *tokens[i:]])
    return None


def _inflect(base: str, suffix: str) -> str:
    if suffix == "d" and not base.endswith("e"):
        suffix = "ed"
    if suffix and base.endswith("e") and suffix[0] in "ei":
        return base[:-1] + suffix
    if suffix[:1] in ("e", "i") and re.fullmatch(r"[a-z]{1,2}[aeiou][bdgmnpt]", base):
        return base + base[-1] + suffix  # stop -> stopped
    return base + suffix


def antonym(
    claim: str, passage: str, rng: random.Random, vocabulary: frozenset[str] = frozenset()
) -> str | None:
    """Swap one word or phrase for its opposite (the antonym list, both ways, with -s/-ed/-ing
    endings; or a negative prefix added or taken away: likely/unlikely, agree/disagree)."""
    options: list[str] = []
    lowered = claim.lower()
    for a, b in lexicon.pairs("antonyms"):
        for x, y in ((a, b), (b, a)):
            for suffix in ("", "s", "d", "ed", "ing"):
                form = _inflect(x, suffix) if suffix else x
                if re.search(rf"(?<![\w-]){re.escape(form)}(?![\w-])", lowered):
                    new = _inflect(y, suffix) if suffix and " " not in y else y
                    swapped = _swap_word(claim, form, new)
                    if swapped and new.lower() not in passage.lower():
                        options.append(swapped)
    for word in re.findall(r"\b[a-z]{5,}\b", claim):
        for prefix in _NEG_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 5:
                bare = word[len(prefix) :]
                if bare in vocabulary and re.search(rf"\b{bare}\b", passage.lower()) is None:
                    options.append(_swap_word(claim, word, bare) or "")
    options = [o for o in options if o]
    return rng.choice(sorted(options)) if options else None


def _speakers(sentences: Sequence[str]) -> list[str]:
    found: list[str] = []
    for i in range(len(sentences)):
        for a in speech.attributions(sentences, i):
            if a.via == "direct" and a.speaker and 1 <= len(a.speaker.split()) <= 4:
                named = speech.speaker_of_claim(f"{a.speaker} said so.") is not None
                if named and all(w[:1].isupper() for w in a.speaker.split()):
                    found.append(a.speaker)
    return list(dict.fromkeys(found))


def speaker(claim: str, sentences: Sequence[str], source: int, rng: random.Random) -> str | None:
    """Replace the claim's named speaker with another person who speaks in the passage."""
    said_by = speech.speaker_of_claim(claim)
    if not said_by or said_by not in claim:
        return None
    own = [a.speaker for a in speech.attributions(sentences, source) if a.speaker]
    others = [
        s
        for s in _speakers(sentences)
        if not speech.same_entity(s, said_by)
        and not any(speech.same_entity(s, o) for o in own)
        and not any(
            speech.alike(p, w.lower())
            for p in speech.name_parts(s)
            for w in re.findall(r"\w+", sentences[source])
        )
    ]
    if not others:
        return None
    return claim.replace(said_by, rng.choice(others), 1)


def role(claim: str, passage: str, rng: random.Random) -> str | None:
    """Exchange the subjects of the first two clauses ("A did P, while B did Q")."""
    parts = re.split(f"({_BREAKS})", claim, maxsplit=1)
    if len(parts) != 3:
        return None
    first, joint, second = parts
    a, b = _SUBJECT.match(first), _SUBJECT.match(second)
    if not a or not b or speech.same_entity(a.group(1), b.group(1)):
        return None
    if not _is_name(a.group(1), passage) or not _is_name(b.group(1), passage):
        return None
    first = first[: a.start(1)] + b.group(1) + first[a.end(1) :]
    second = second[: b.start(1)] + a.group(1) + second[b.end(1) :]
    return first + joint + second


def number(claim: str, passage: str, rng: random.Random) -> str | None:
    """Change one number (not a year) to one the passage does not state."""
    stated = numbers_in(passage)
    spans = [
        m
        for m in re.finditer(r"(?<![\w.,])\d+(?:,\d{3})*(?:\.\d+)?(?![\w])", claim)
        if not re.fullmatch(r"(?:18|19|20)\d\d", m.group())
    ]
    if not spans:
        words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
        for word, count in words.items():
            for form in (word, word.capitalize()):
                for step in (1, 2, 3):
                    new = str(count + step)
                    if new not in stated and _swap_word(claim, form, new):
                        return _swap_word(claim, form, new)
        return None
    m = rng.choice(spans)
    digits = m.group().replace(",", "")
    amount = float(digits)
    for new_value in (amount + 1, amount * 2, amount + 3, amount * 3):
        new = f"{new_value:g}" if "." in digits else str(int(new_value))
        if new not in stated and new.lstrip("0") not in stated:
            return claim[: m.start()] + new + claim[m.end() :]
    return None


def date(claim: str, passage: str, rng: random.Random) -> str | None:
    """Change a year, a month or a weekday to one the passage does not name."""
    lowered = passage.lower()
    for m in re.finditer(r"\b(?:18|19|20)\d\d\b", claim):
        for step in (1, -1, 2, -2, 3):
            new = str(int(m.group()) + step)
            if new not in passage:
                return claim[: m.start()] + new + claim[m.end() :]
    for names in (_MONTHS, _DAYS):
        for name in names:
            if re.search(rf"\b{name}\b", claim):
                choices = [n for n in names if n.lower() not in lowered and n != name]
                if choices:
                    return _swap_word(claim, name, rng.choice(choices))
    return None


def entity(claim: str, passage: str, rng: random.Random, pool: Sequence[str]) -> str | None:
    """Replace a name (not the claim's speaker) with one of as many words from elsewhere."""
    said_by = speech.speaker_of_claim(claim) or ""
    first = claim.split()[0] if claim.split() else ""
    names = [
        e
        for e in dict.fromkeys(entities(claim))
        if not e[:1].isdigit()
        and e != first
        and speech.name_parts(e)
        and not (said_by and speech.same_entity(e, said_by))
        and e.lower() not in STOPWORDS
        and e.lower() not in {m.lower() for m in _MONTHS + _DAYS}
    ]
    if not names:
        return None
    name = rng.choice(names)
    words_here = set(re.findall(r"\w+", passage.lower()))
    candidates = [
        p
        for p in pool
        if len(p.split()) == len(name.split())
        and not any(speech.alike(part, w) for part in speech.name_parts(p) for w in words_here)
    ]
    if not candidates:
        return None
    return _swap_word(claim, name, rng.choice(candidates))


def invented(claim: str, passage: str, rng: random.Random, clauses: Sequence[str]) -> str | None:
    """Add a clause taken from another article."""
    here = set(content_stems(passage))
    for _ in range(20):
        clause = rng.choice(clauses)
        stems = content_stems(clause)
        if stems and sum(s not in here for s in stems) / len(stems) >= 0.7:
            body = claim.rstrip().rstrip(".")
            return f"{body}, and {_lower_first(clause)}."
    return None


def _lower_first(text: str) -> str:
    """Lower-case the first word when it is a common word ("The", "It"), not a name."""
    first = text.split()[0] if text.split() else ""
    common = first.lower() in STOPWORDS and first.lower() not in lexicon.words("titles")
    return text[0].lower() + text[1:] if common else text


def _is_name(phrase: str, passage: str) -> bool:
    """Whether a capitalised phrase is a name: written capitalised inside a sentence too."""
    if phrase.lower() in STOPWORDS or not speech.name_parts(phrase):
        return False
    return bool(re.search(rf"[a-z,]\s+(?:the\s+)?{re.escape(phrase)}\b", passage)) or (
        len(phrase.split()) >= 2
    )


# -- building the set ------------------------------------------------------------------------


def _sentences(chunk: Chunk) -> list[str]:
    return [chunk.text[s.start : s.end] for s in split_sentences(chunk.text)]


def _best_sentence(claim: str, sentences: Sequence[str]) -> int:
    wanted = set(content_stems(claim))
    return max(range(len(sentences)), key=lambda i: len(wanted & set(content_stems(sentences[i]))))


def _usable(sentence: str) -> bool:
    words = sentence.split()
    return 8 <= len(words) <= 45 and not is_instruction(sentence) and sentence[-1:] in '.”"'


def _differs(variant: str, passage: str, original: str) -> bool:
    return _norm(variant) != _norm(original) and _norm(variant.rstrip(".")) not in _norm(passage)


def generate(
    chunks: dict[str, Chunk],
    faithful: Sequence[dict[str, str]],
    per_kind: int,
    seed: int = SEED,
) -> list[ClaimItem]:
    """The claim set: the given faithful claims, sampled passage sentences and combined
    pairs, and up to `per_kind` unfaithful variants of each kind."""
    rng = random.Random(seed)
    ids = sorted(chunks)
    pool_names = sorted(
        {
            e
            for cid in ids
            for e in entities(chunks[cid].text)
            if not e[:1].isdigit() and len(speech.name_parts(e)) == len(e.split())
        }
    )
    pool_clauses = [
        piece.strip()
        for cid in rng.sample(ids, min(200, len(ids)))
        for s in _sentences(chunks[cid])
        for piece in s.split(",")[:1]
        if 5 <= len(piece.split()) <= 14 and not re.search(r"[“”\"]", piece)
    ]
    vocabulary = frozenset(w for cid in ids for w in re.findall(r"\b[a-z]{4,}\b", chunks[cid].text))
    base: list[ClaimItem] = []
    for row in faithful:
        cid = row["chunk_id"]
        if cid not in chunks:
            print(f"claims_gen: no passage {cid}; skipped", file=sys.stderr)
            continue
        base.append(
            ClaimItem(
                "",
                cid,
                row.get("question", ""),
                row["claim"],
                "faithful",
                "paraphrase",
                row.get("source", "own"),
                half_of(chunks[cid].article_id),
            )
        )
    sampled = rng.sample(ids, len(ids))
    verbatim: list[ClaimItem] = []
    combined: list[ClaimItem] = []
    for cid in sampled:
        sentences = [s for s in _sentences(chunks[cid]) if _usable(s)]
        if not sentences:
            continue
        chunk = chunks[cid]
        half = half_of(chunk.article_id)
        if len(verbatim) < per_kind * 3:
            pick = rng.choice(sentences)
            verbatim.append(ClaimItem("", cid, "", pick, "faithful", "verbatim", "sentence", half))
        subjects = [(s, _SUBJECT.match(s)) for s in sentences]
        named = [
            (s, m)
            for s, m in subjects
            if m and _is_name(m.group(1), chunk.text) and not re.search(r"[“”\"]", s)
        ]
        if len(combined) < per_kind and len(named) >= 2:
            (s1, m1), (s2, m2) = named[0], named[1]
            if not speech.same_entity(m1.group(1), m2.group(1)) and len((s1 + s2).split()) <= 50:
                joined = f"{s1.rstrip('.').rstrip()}, while {_lower_first(s2.rstrip('.'))}."
                combined.append(
                    ClaimItem("", cid, "", joined, "faithful", "combined", "sentence", half)
                )
    sources = base + verbatim + combined
    variants: dict[str, list[ClaimItem]] = {}
    makers: dict[str, Callable[[ClaimItem, list[str], int], str | None]] = {
        "negation": lambda item, ss, i: negation(item.claim, ss[i], rng),
        "antonym": lambda item, ss, i: antonym(item.claim, ss[i], rng, vocabulary),
        "speaker": lambda item, ss, i: speaker(item.claim, ss, i, rng),
        "role": lambda item, ss, i: role(item.claim, " ".join(ss), rng),
        "number": lambda item, ss, i: number(item.claim, " ".join(ss), rng),
        "date": lambda item, ss, i: date(item.claim, " ".join(ss), rng),
        "entity": lambda item, ss, i: entity(item.claim, " ".join(ss), rng, pool_names),
        "invented": lambda item, ss, i: invented(item.claim, " ".join(ss), rng, pool_clauses),
    }
    order = list(sources)
    # people's paraphrases first, so that as many variants as possible come from them
    rng.shuffle(order)
    order.sort(key=lambda item: item.kind != "paraphrase")
    for item in order:
        chunk = chunks[item.chunk_id]
        sentences = _sentences(chunk)
        source = _best_sentence(item.claim, sentences)
        passage = f"{chunk.title} {chunk.text}"
        for kind, make in makers.items():
            if len(variants.get(kind, [])) >= per_kind:
                continue
            new = make(item, sentences, source)
            if not new or not _differs(new, passage, item.claim):
                continue
            variants.setdefault(kind, []).append(
                ClaimItem(
                    "",
                    item.chunk_id,
                    item.question,
                    new,
                    "unfaithful",
                    kind,
                    item.source,
                    item.half,
                    item.claim,
                )
            )
    out = [*sources, *(v for kind in makers for v in variants.get(kind, []))]
    return [
        ClaimItem(f"c{i:04d}", *(getattr(item, f) for f in _FIELDS))
        for i, item in enumerate(out, 1)
    ]


_FIELDS = ("chunk_id", "question", "claim", "label", "kind", "source", "half", "original")


def read_faithful(
    paths: Sequence[Path], chunks: dict[str, Chunk] | None = None
) -> list[dict[str, str]]:
    """People's paraphrases: `chunk_id`, `question`, `claim` a line; or `article_id` and the
    `passage` text the claim restates, placed in the chunk of that article that holds it.
    Citation markers the writers put in the claim are taken out."""
    rows = []
    for path in paths:
        if not path.exists():
            print(f"claims_gen: {path} not found; skipped", file=sys.stderr)
            continue
        source = "own" if path.parent == ROOT / "evals" / "claims" else "helper"
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            row.setdefault("source", source)
            row["claim"] = re.sub(r"\s*\[\d+\]", "", row["claim"]).strip()
            if "chunk_id" not in row and chunks is not None:
                found = _chunk_holding(row.get("article_id", ""), row.get("passage", ""), chunks)
                if found is None:
                    print(f"claims_gen: no passage for {row.get('article_id')}", file=sys.stderr)
                    continue
                row["chunk_id"] = found
            rows.append(row)
    return rows


def _chunk_holding(article_id: str, passage: str, chunks: dict[str, Chunk]) -> str | None:
    """The chunk of the article that holds most of the passage's words."""
    wanted = set(content_stems(passage))
    mine = [c for c in chunks.values() if c.article_id == article_id]
    if not mine or not wanted:
        return None
    best = max(mine, key=lambda c: (passage in c.text, len(wanted & set(content_stems(c.text)))))
    return best.chunk_id


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.claims_gen", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument(
        "--faithful",
        type=Path,
        action="append",
        help="JSON Lines of people's paraphrases (chunk_id, question, claim); repeatable",
    )
    parser.add_argument("--per-kind", type=int, default=40, dest="per_kind")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    faithful_paths = args.faithful or [ROOT / "evals" / "claims" / "faithful-own.jsonl"]
    chunks = corpus_chunks(args.corpus, load_settings())
    items = generate(chunks, read_faithful(faithful_paths, chunks), args.per_kind, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(i.to_json()) + "\n" for i in items), encoding="utf-8")
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    print(f"{len(items)} claims -> {args.out}: {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
