"""Near-miss questions at scale: unanswerable variants of answerable gold questions.

    python -m evals.nearmiss                       # writes evals/gold/nearmiss.jsonl
    python -m evals.nearmiss --seed 14 --per-kind 2 --small 60 --out evals/gold/nearmiss.jsonl

The way SQuAD 2.0's writers made unanswerable questions, applied to our own gold sets:
each answerable question (follow-ups aside: their meaning depends on the conversation) is
rewritten so that it still shares almost all its words with its article but asks what no
article says. Five kinds:

- `entity`: a named entity swapped for another of the same type from the corpus
  (person for person, surname for surname, place for place, organisation for organisation);
- `number`: a number or a date changed (a count, a year, a month, a weekday);
- `speaker`: "what did X say…" asked of another person the same article quotes;
- `topic`: "what did X say about Y" with Y swapped for a topic of a related article that
  X is never quoted on;
- `negation`: the question's verb negated ("What did X not say…", "Who was not…").

Every variant is checked against the corpus files themselves (read from disk, not the
index) before it is kept: the new part must never occur together with the rest of the
question. For `entity` and `number` that means no article holds the new part, the rest
of the question's names, and at least half of the rest of its content words. A swapped
speaker is by construction quoted in the same article, so for `speaker` and `topic` the
test is at the level of what the person says: no sentence naming them, nor the two after
it (where their quote goes on), in any article, holds half of the topic's words. For
`negation`, no sentence that holds half of the question's content words is negated.

The output holds the variants (`type` near-miss, `answerable` false, with `original`
naming the question it came from as `SET:ID` and `variant` its kind) and, once each, the
originals they came from (ids `o-SET-ID`), so that one `rag eval --gold` run reports both
refusal on the variants and false refusal on their originals. Generation is seeded and
deterministic: the same corpus, gold sets and seed give the same file byte for byte.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from evals.gold import GoldItem, load_gold
from rag import lexicon
from rag.terms import QUESTION_WORDS, STOPWORDS, content_stems, entities

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SETS = ("news", "holdout")
DEFAULT_OUT = HERE / "gold" / "nearmiss.jsonl"
DEFAULT_SMALL = HERE / "gold" / "nearmiss-small.jsonl"
KINDS = ("entity", "number", "speaker", "topic", "negation")
REST_SHARE = 0.5  # share of the rest's content words that makes an article "hold" it
PER_NAME = 2  # swaps of one name in one question
WINDOW = 3  # a sentence naming a speaker and the two after it: what they are quoted as saying

_SENTENCE = re.compile(r"(?<=[.!?”\"])\s+(?=[“\"A-Z0-9])")
_SPEECH = re.compile(
    r"\b(said|says|told|tells|added|adds|warned|warns|claimed|claims|according to|"
    r"announced|announces|insisted|insists|stated|states|argued|argues|explained|explains)\b",
    re.IGNORECASE,
)
_SAY = re.compile(
    r"^(?P<head>What|How)\s+(?P<aux>did|does|has|do)\s+(?P<who>.+?)\s+"
    r"(?P<verb>say|tell|think|warn|claim|argue|explain|announce)\s+"
    r"(?P<prep>about|of|on|to reporters about|after|when)\s+(?P<topic>.+?)\?$"
)
_AUX = re.compile(
    r"^(?P<head>(?:What|Which|Who|Whom|When|Where|Why|How)\b[^?]*?)\s+"
    r"(?P<aux>did|does|do|was|were|is|are|has|have|had|will|would|could|can)\s+"
)
_CONNECTORS = {"of", "de", "van", "von", "al", "bin", "the", "and"}
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
    "forty fifty hundred"
).split()
_PLACE_PREPOSITIONS = {
    "in",
    "at",
    "from",
    "near",
    "to",
    "across",
    "outside",
    "around",
    "through",
    "into",
    "towards",
}
_TITLE_WORDS = {"the", "a", "an"}


# -- the corpus as read from disk -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Doc:
    article_id: str
    title: str
    text: str
    sentences: tuple[str, ...]
    stems: frozenset[str]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def read_corpus(root: Path) -> list[Doc]:
    """Every article under `root`, with the ids ingest gives them (`lee/lee-017`)."""
    from rag.load import discover, load_file

    files, _, _ = discover([root])
    docs = []
    for source in files:
        result = load_file(source.path, source.article_id, source.root, 50_000_000)
        for article in result.articles:
            text = f"{article.title}\n{article.text}"
            docs.append(
                Doc(
                    article.article_id,
                    article.title,
                    article.text,
                    tuple(split_sentences(article.text)),
                    frozenset(content_stems(text)),
                )
            )
    return sorted(docs, key=lambda d: d.article_id)


def mentions(text: str, phrase: str) -> bool:
    """`phrase` occurs in `text` as whole words (case-insensitive for short common forms)."""
    pattern = r"(?<![\w])" + re.escape(phrase) + r"(?![\w])"
    return re.search(pattern, text, re.IGNORECASE if phrase.isupper() else 0) is not None


# -- typed entities ---------------------------------------------------------------------


def _names(sentence: str) -> list[tuple[str, int]]:
    """Capitalised phrases of a sentence with their start, the sentence's first word aside."""
    out = []
    for match in re.finditer(
        r"\b(?:[A-Z][a-zA-Z'’\-]+|[A-Z]{2,})(?:\s+(?:(?:of|de|van|von|al|bin|and)\s+)?"
        r"(?:[A-Z][a-zA-Z'’\-]+|[A-Z]{2,}))*",
        sentence,
    ):
        parts = match.group().split()
        start = match.start()
        while parts and (parts[0].lower() in STOPWORDS or parts[0].lower() in QUESTION_WORDS):
            start += len(parts[0]) + 1
            parts = parts[1:]
        while parts and parts[-1].lower() in _CONNECTORS:
            parts = parts[:-1]
        parts = [p.removesuffix("'s").removesuffix("’s") for p in parts]
        if not parts or (start == 0 and len(parts) < 2):
            continue  # one capitalised word opening a sentence may be any word
        # "Glenn McGrath and Jason Gillespie" is two names
        offset = start
        for piece in re.split(r"\s+and\s+", " ".join(parts)):
            if piece:
                out.append((piece, offset))
            offset += len(piece) + 5
    return out


@dataclass
class EntityTypes:
    """Each capitalised phrase of the corpus typed by how the corpus uses it."""

    types: dict[str, str] = field(default_factory=dict)
    speakers: dict[str, set[str]] = field(default_factory=dict)  # article → people quoted
    lowercase: frozenset[str] = frozenset()  # words the corpus also writes in lower case

    def of(self, name: str) -> str | None:
        return self.types.get(self.core(name)) if self.types.get(name) is None else self.types[name]

    def core(self, name: str) -> str:
        """A name without the common words before it ("Science Minister Peter McGauran"
        → "Peter McGauran"): words the corpus also writes in lower case are titles or
        descriptions, not part of a name."""
        parts = name.split()
        while len(parts) > 1 and parts[0].lower() in self.lowercase:
            parts = parts[1:]
        return " ".join(parts)

    def pool(self, kind: str, words: int | None = None) -> list[str]:
        return sorted(
            n
            for n, t in self.types.items()
            if t == kind and (words is None or len(n.split()) == words)
        )


def type_entities(docs: Sequence[Doc]) -> EntityTypes:
    """person: two or more capitalised words the corpus never writes in lower case, whose
    last word also stands alone (news names a person in full, then by surname); surname:
    that last word; place: a name mostly used after in/at/from/near; acronym: capitals;
    organisation: any other name of two or more words."""
    lowercase = frozenset(
        w for d in docs for w in re.findall(r"\b[a-z][a-z'’\-]+\b", f"{d.title} {d.text}")
    )
    place_uses: Counter[str] = Counter()
    uses: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    in_article: dict[str, set[str]] = {}
    spoken: dict[str, set[str]] = {}  # article → names (and surnames) beside a speech verb
    for doc in docs:
        for sentence in doc.sentences:
            verbs = [m.start() for m in _SPEECH.finditer(sentence)]
            for name, start in _names(sentence):
                uses[name] += 1
                in_article.setdefault(doc.article_id, set()).add(name)
                if len(name.split()) == 1:
                    alone[name] += 1
                before = sentence[:start].split()
                if before and before[-1].lower() in _PLACE_PREPOSITIONS:
                    place_uses[name] += 1
                if any(abs(v - start) < 80 for v in verbs):
                    spoken.setdefault(doc.article_id, set()).add(name)
    result = EntityTypes(lowercase=lowercase)
    types = result.types
    for name in sorted(uses):
        core = result.core(name)
        parts = core.split()
        if (
            2 <= len(parts) <= 3
            and all(p.lower() not in lowercase and not p.isupper() for p in parts)
            and place_uses[name] == 0
        ):
            types[core] = "person"
            types.setdefault(parts[-1], "surname")
    for name, count in uses.items():
        if name in types or result.core(name) in types:
            continue
        if place_uses[name] * 2 > count and place_uses[name] >= 2:
            types[name] = "place"
        elif name.isupper() and len(name) >= 3:
            types[name] = "acronym"
        elif len(name.split()) >= 2:
            types[name] = "organisation"
    for article, names in in_article.items():
        said = {result.core(n) for n in spoken.get(article, set())}
        result.speakers[article] = {
            core
            for core in (result.core(n) for n in names)
            if types.get(core) == "person" and (core in said or core.split()[-1] in said)
        }
    return result


# -- the checks ---------------------------------------------------------------------------


def _question_stems(text: str) -> set[str]:
    return set(content_stems(text, extra_stop=QUESTION_WORDS))


def holds_rest(doc: Doc, rest_names: Iterable[str], rest_stems: set[str]) -> bool:
    """Whether an article holds the rest of a question: its names and half its words."""
    body = f"{doc.title}\n{doc.text}"
    if not all(mentions(body, n) for n in rest_names):
        return False
    if not rest_stems:
        return True
    return len(rest_stems & doc.stems) >= REST_SHARE * len(rest_stems)


def co_occurs(
    docs: Sequence[Doc], new: str, rest_names: Iterable[str], rest_stems: set[str]
) -> bool:
    """Whether any article holds the new part together with the rest of the question."""
    names = list(rest_names)
    return any(
        mentions(f"{d.title}\n{d.text}", new) and holds_rest(d, names, rest_stems) for d in docs
    )


def quoted_on(docs: Sequence[Doc], person: str, topic_stems: set[str]) -> bool:
    """Whether `person` is ever quoted near half of the topic's words: a sentence naming
    them, or one of the two after it, in any article."""
    if not topic_stems:
        return True
    surname = person.split()[-1]
    for doc in docs:
        if not mentions(doc.text, surname):
            continue
        for i, sentence in enumerate(doc.sentences):
            if not mentions(sentence, surname):
                continue
            window: set[str] = set()
            for s in doc.sentences[i : i + WINDOW]:
                window |= set(content_stems(s))
            if len(topic_stems & window) >= REST_SHARE * len(topic_stems):
                return True
    return False


def negated_somewhere(docs: Sequence[Doc], stems: set[str]) -> bool:
    """Whether a sentence holding half of `stems` is negated (it might answer the negation)."""
    negations = lexicon.words("negations")
    for doc in docs:
        if len(stems & doc.stems) < REST_SHARE * len(stems):
            continue
        for sentence in doc.sentences:
            sentence_stems = set(content_stems(sentence))
            if len(stems & sentence_stems) < REST_SHARE * len(stems):
                continue
            lowered = sentence.lower()
            tokens = set(re.findall(r"[a-z']+", lowered))
            if tokens & negations or "n't" in lowered:
                return True
    return False


# -- the variants ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Variant:
    question: str
    kind: str
    changed: str  # what was put in ("Article 6", "Kallas → Stubb")


def _replace_once(question: str, old: str, new: str) -> str | None:
    pattern = r"(?<![\w])" + re.escape(old) + r"(?![\w])"
    out, n = re.subn(pattern, new, question, count=1)
    return out if n else None


def question_names(question: str) -> list[str]:
    return [e for e in entities(question) if not e[0].isdigit()]


class Generator:
    def __init__(self, docs: Sequence[Doc], seed: int) -> None:
        self.docs = list(docs)
        self.by_id = {d.article_id: d for d in self.docs}
        self.types = type_entities(self.docs)
        self.seed = seed

    def rng(self, item: GoldItem, kind: str) -> random.Random:
        return random.Random(f"{self.seed}:{item.id}:{kind}")

    def _rest(self, question: str, old: str) -> tuple[list[str], set[str]]:
        names = [n for n in question_names(question) if n != old and old not in n]
        stems = _question_stems(question) - set(content_stems(old))
        return names, stems

    def _gold_mentions(self, item: GoldItem, new: str) -> bool:
        return any(
            mentions(f"{d.title}\n{d.text}", new)
            for d in (self.by_id.get(a) for a in item.article_ids)
            if d is not None
        )

    def entity(self, item: GoldItem, limit: int) -> list[Variant]:
        out: list[Variant] = []
        rng = self.rng(item, "entity")
        for name in question_names(item.question):
            old = self.types.core(name)
            kind = self.types.of(old)
            if kind is None:
                continue
            size = None if kind in ("person", "surname") else len(old.split())
            pool = [
                n for n in self.types.pool(kind, size) if n != old and old not in n and n not in old
            ]
            rng.shuffle(pool)
            names, stems = self._rest(item.question, old)
            taken = 0
            for new in pool[:40]:
                if self._gold_mentions(item, new) or co_occurs(self.docs, new, names, stems):
                    continue
                question = _replace_once(item.question, old, new)
                if question is not None:
                    out.append(Variant(question, "entity", f"{old} → {new}"))
                    taken += 1
                    if taken >= PER_NAME or len(out) >= limit:
                        break
            if len(out) >= limit:
                break
        return out

    def number(self, item: GoldItem, limit: int) -> list[Variant]:
        out: list[Variant] = []
        rng = self.rng(item, "number")
        for old, options in self._number_options(item.question, rng):
            names, stems = self._rest(item.question, old)
            for new in options:
                if self._gold_mentions(item, new) or co_occurs(self.docs, new, names, stems):
                    continue
                question = _replace_once(item.question, old, new)
                if question is not None and question != item.question:
                    out.append(Variant(question, "number", f"{old} → {new}"))
                    break
            if len(out) >= limit:
                break
        return out

    @staticmethod
    def _number_options(question: str, rng: random.Random) -> list[tuple[str, list[str]]]:
        found: list[tuple[str, list[str]]] = []
        for match in re.finditer(r"(?<![\w.])\d+(?:,\d{3})*(?![\w.])", question):
            text = match.group()
            value = int(text.replace(",", ""))
            if 1900 <= value <= 2100:  # a year
                shifts = [d for d in (-7, -5, -3, 3, 5, 7) if value + d <= 2030]
                options = [str(value + d) for d in shifts]
            else:
                values = sorted({value + 1, value * 2 + 1, value * 3 + 2, max(value - 1, 2)})
                options = [f"{o:,}" if "," in text else str(o) for o in values if o != value]
            rng.shuffle(options)
            found.append((text, options))
        for names in (_MONTHS, _WEEKDAYS, _NUMBER_WORDS):
            for word in names:
                if mentions(question, word) or mentions(question, word.capitalize()):
                    written = word if mentions(question, word) else word.capitalize()
                    others = [w for w in names if w != word]
                    rng.shuffle(others)
                    if written[0].isupper():
                        others = [w.capitalize() for w in others]
                    found.append((written, others[:6]))
        return found

    def speaker(self, item: GoldItem, limit: int) -> list[Variant]:
        match = _SAY.match(item.question)
        if match is None:
            return []
        who, topic = match.group("who"), match.group("topic")
        topic_stems = _question_stems(topic)
        quoted = set()
        for article in item.article_ids:
            quoted |= self.types.speakers.get(article, set())
        surname = self.types.core(who).split()[-1].removesuffix("'s")
        pool = sorted(
            p
            for p in quoted
            if p.split()[-1] != surname and surname not in p and not mentions(who, p.split()[-1])
        )
        rng = self.rng(item, "speaker")
        rng.shuffle(pool)
        out = []
        for person in pool:
            if quoted_on(self.docs, person, topic_stems):
                continue
            start, end = match.span("who")
            out.append(
                Variant(item.question[:start] + person + item.question[end:], "speaker", person)
            )
            if len(out) >= limit:
                break
        return out

    def topic(self, item: GoldItem, limit: int, topics: Sequence[str]) -> list[Variant]:
        match = _SAY.match(item.question)
        if match is None or match.group("prep") not in ("about", "of", "on"):
            return []
        who, old = match.group("who"), match.group("topic")
        speaker = who.split()[-1].removesuffix("'s")
        # related topics first: those of the articles closest to the question's own
        gold = [self.by_id[a] for a in item.article_ids if a in self.by_id]
        if not gold:
            return []
        closeness = {
            d.article_id: len(d.stems & gold[0].stems) / (len(d.stems | gold[0].stems) or 1)
            for d in self.docs
        }
        related = sorted(
            (t for t in topics if t.lower() != old.lower()),
            key=lambda t: (-max(closeness.get(a, 0.0) for a in topics_index(t, self.docs)), t),
        )
        out = []
        for new in related[:30]:
            new_stems = _question_stems(new)
            if not new_stems or any(mentions(f"{g.title}\n{g.text}", new) for g in gold):
                continue
            if quoted_on(self.docs, speaker, new_stems):
                continue
            start, end = match.span("topic")
            out.append(Variant(item.question[:start] + new + item.question[end:], "topic", new))
            if len(out) >= limit:
                break
        return out

    def negation(self, item: GoldItem) -> list[Variant]:
        """ "What did X say…" → "What did X not say…"; a question whose subject is the
        asked thing ("Which minister was reported…", "What was used…") → "was not …"."""
        if re.search(r"\bnot\b|n't\b", item.question):
            return []
        say = _SAY.match(item.question)
        if say is not None:
            at = say.start("verb")
        else:
            match = _AUX.match(item.question)
            if match is None or match.group("aux") in ("did", "does", "do"):
                return []
            following = item.question[match.end() :].split()
            if not following or not re.fullmatch(r"[a-z]+(?:ed|en|wn|ught|ing)", following[0]):
                return []
            at = match.end()
        stems = _question_stems(item.question)
        if len(stems) < 2 or negated_somewhere(self.docs, stems):
            return []
        question = item.question[:at] + "not " + item.question[at:]
        return [Variant(question, "negation", "not")]


_TOPIC_INDEX: dict[str, list[str]] = {}


def topics_index(topic: str, docs: Sequence[Doc]) -> list[str]:
    """Articles that name a topic (cached): where a topic 'lives', for relatedness."""
    if topic not in _TOPIC_INDEX:
        stems = _question_stems(topic)
        found = [
            d.article_id
            for d in docs
            if stems and len(stems & d.stems) >= REST_SHARE * len(stems) and mentions(d.text, topic)
        ]
        _TOPIC_INDEX[topic] = found or [""]
    return _TOPIC_INDEX[topic]


def candidate_topics(docs: Sequence[Doc], types: EntityTypes) -> list[str]:
    """Topics to swap in: the non-person names of the corpus used in at least two articles."""
    seen: Counter[str] = Counter()
    for doc in docs:
        for name in {n for s in doc.sentences for n, _ in _names(s)}:
            if types.of(name) in ("place", "organisation") and " and " not in name:
                seen[name] += 1
    return sorted(n for n, c in seen.items() if c >= 2)


# -- the whole set ----------------------------------------------------------------------------


def generate(
    sets: dict[str, list[GoldItem]], docs: Sequence[Doc], seed: int = 14, per_kind: int = 3
) -> list[dict[str, object]]:
    """Gold records: each original once (`o-SET-ID`), then its checked variants."""
    generator = Generator(docs, seed)
    topics = candidate_topics(generator.docs, generator.types)
    records: list[dict[str, object]] = []
    for name, items in sets.items():
        for item in items:
            if not item.answerable or item.type == "follow-up" or item.context:
                continue
            variants = (
                generator.entity(item, per_kind)
                + generator.number(item, per_kind)
                + generator.speaker(item, per_kind)
                + generator.topic(item, per_kind, topics)
                + generator.negation(item)
            )
            seen = {item.question}
            variants = [v for v in variants if not (v.question in seen or seen.add(v.question))]  # type: ignore[func-returns-value]
            if not variants:
                continue
            origin = f"{name}:{item.id}"
            original = item.to_json()
            original.update(id=f"o-{name}-{item.id}", original=origin, variant="original")
            records.append(original)
            counts: Counter[str] = Counter()
            for v in variants:
                counts[v.kind] += 1
                records.append(
                    {
                        "id": f"n-{name}-{item.id}-{v.kind}{counts[v.kind]}",
                        "question": v.question,
                        "answers": [],
                        "article_ids": [],
                        "answerable": False,
                        "type": "near-miss",
                        "original": origin,
                        "variant": v.kind,
                        "changed": v.changed,
                    }
                )
    return records


def small_subset(
    records: Sequence[dict[str, object]], size: int, seed: int
) -> list[dict[str, object]]:
    """A stratified few for CI: about `size` variants spread over the kinds, with their
    originals."""
    variants = [r for r in records if r["variant"] != "original"]
    rng = random.Random(f"{seed}:small")
    chosen: list[dict[str, object]] = []
    for kind in KINDS:
        of_kind = [r for r in variants if r["variant"] == kind]
        rng.shuffle(of_kind)
        chosen += of_kind[: max(1, size // len(KINDS))]
    wanted = {str(r["original"]) for r in chosen}
    keep_ids = {str(r["id"]) for r in chosen}
    return [
        r
        for r in records
        if str(r["id"]) in keep_ids or (r["variant"] == "original" and r["original"] in wanted)
    ]


def write_jsonl(path: Path, records: Iterable[dict[str, object]]) -> None:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.nearmiss", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--corpus", default=str(ROOT / "corpus"))
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS), help="gold sets under evals/gold")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--per-kind", type=int, default=3, help="variants per question and kind")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--small", type=int, default=60, help="variants in the CI subset")
    parser.add_argument("--small-out", default=str(DEFAULT_SMALL))
    args = parser.parse_args(argv)
    docs = read_corpus(Path(args.corpus))
    if not docs:
        print(f"nearmiss: no articles under {args.corpus}", file=sys.stderr)
        return 2
    sets = {name: load_gold(HERE / "gold" / f"{name}.jsonl") for name in args.sets.split(",")}
    records = generate(sets, docs, seed=args.seed, per_kind=args.per_kind)
    write_jsonl(Path(args.out), records)
    small = small_subset(records, args.small, args.seed)
    write_jsonl(Path(args.small_out), small)
    kinds = Counter(str(r["variant"]) for r in records if r["variant"] != "original")
    originals = sum(1 for r in records if r["variant"] == "original")
    print(
        f"{sum(kinds.values())} variants of {originals} questions "
        f"({', '.join(f'{k} {kinds[k]}' for k in KINDS)}) → {args.out}; "
        f"{sum(1 for r in small if r['variant'] != 'original')} in {args.small_out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
