"""Why a cited passage does not support a claim: the checker's rules, one reason each.

`rag/verify.py` scores how much of a claim a passage holds; these rules name what the
passage contradicts or lacks, in the one-word reasons of `verify.REASONS`:

- `fact_reason`: a number, a date (year, month, weekday) or a name the claim states and
  the passage does not (`number`, `date`, `entity`);
- `meaning_reason`: each clause of the claim aligned with the passage sentence it
  restates says someone else said it (`speaker`, by `rag/speech.py`), flips its polarity
  (`negation`, `antonym`) or gives one entity what the passage says another did (`role`,
  both by `rag/clauses.py`);
- `clause_support`: the least share of a claim clause's own words the passage holds (a
  model's added clause).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING

from rag import clauses, lexicon, speech
from rag.answer.equivalents import groups_in
from rag.answer.relation import name_changed
from rag.terms import STOPWORDS, content_stems, entities, stem, words

if TYPE_CHECKING:
    from rag.verify import Passage, PassageSentence

_NUMBER_WORDS = {
    str(n): word
    for n, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
    if n
} | {"11": "eleven", "12": "twelve", "20": "twenty"}


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# "one" is left out: "no one", "one of them" state no number.
_WORD_NUMBERS = {word: digits for digits, word in _NUMBER_WORDS.items() if word != "one"}
# A passage's "Fourteen homes" states 14 too (every count of the number-word list below a
# hundred); a claim's "thirty minutes" may round "half an hour", so claims are read with
# the small numbers above only.
_PASSAGE_WORD_NUMBERS = _WORD_NUMBERS | {
    word: digits
    for word, digits in lexicon.pairs("number_words")
    if digits.isdigit() and 1 < int(digits) < 100 and word not in ("dozen",)
}


def numbers_in(text: str, passage: bool = False) -> set[str]:
    """The numbers a text states, as digits ("seven" → "7", "1,500" → "1500"); with
    `passage`, every spelled-out count below a hundred ("fourteen" → "14")."""
    table = _PASSAGE_WORD_NUMBERS if passage else _WORD_NUMBERS
    found = {m.group().replace(",", "") for m in _DIGITS.finditer(text)}
    # "a two-hour session" states 2 as "two hours" does
    parts = [p for w in words(text) for p in w.lower().split("-") if p]
    found |= {table[p] for p in parts if p in table}
    if passage:
        found |= _spelled_out(parts)
    found |= _decimal_shares(parts)
    if passage:  # "10%" states the share "a tenth" states
        for m in _PERCENT.finditer(text):
            found.add(_decimal(float(m.group(1).replace(",", "")) / 100))
    ordinals = _PASSAGE_ORDINALS if passage else _ORDINALS
    for k, p in enumerate(parts):
        value = ordinals.get(p)
        before = parts[k - 1] if k else ""
        after = parts[k + 1] if k + 1 < len(parts) else ""
        # "the sixth cut" states 6; "a third of", "two thirds" are shares, not ranks
        if value and (passage or (before not in _SHARE_BEFORE and after != "of")):
            found.add(value)
    return found


_SHARES = {w: float(d) for w, d in lexicon.pairs("decimal_shares")}
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|per\s?cent\b|percent\b)")


def _decimal(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _decimal_shares(parts: Sequence[str]) -> set[str]:
    """Shares named by a power of ten, as decimals: "one hundredth" → "0.01", "three
    tenths" → "0.3"."""
    found = set()
    for k, p in enumerate(parts[1:], 1):
        if p not in _SHARES:
            continue
        before = parts[k - 1]
        count = 1 if before in _ONE else int(_WORD_NUMBERS.get(before, "0"))
        if count:
            found.add(_decimal(count * _SHARES[p]))
    return found


_SMALL = {
    w: int(d)
    for w, d in lexicon.pairs("number_words")
    if d.isdigit() and int(d) < 100 and w not in ("dozen",)
}
_SCALES = {"hundred": 100, "thousand": 1000}


def _spelled_out(parts: Sequence[str]) -> set[str]:
    """Counts spelled out in several words ("two hundred and thirty" → "230",
    "twenty five" → "25")."""
    found: set[str] = set()
    total = current = 0
    words_in_run = 0
    for k, p in enumerate([*parts, ""]):
        nxt = parts[k + 1] if k + 1 < len(parts) else ""
        if p in _SMALL:
            current += _SMALL[p]
            words_in_run += 1
        elif p in _SCALES and (current or words_in_run):
            current = max(current, 1) * _SCALES[p]
            if _SCALES[p] == 1000:
                total, current = total + current, 0
            words_in_run += 1
        elif p == "and" and words_in_run and (nxt in _SMALL):
            continue
        else:
            if words_in_run > 1 and total + current:
                found.add(str(total + current))
            total = current = words_in_run = 0
    return found


# "first" and "second" are left out of claims: "for the first time", "a second" state no rank.
_PASSAGE_ORDINALS = {w: d for w, d in lexicon.pairs("ordinal_words") if d.isdigit()}
_ORDINALS = {w: d for w, d in _PASSAGE_ORDINALS.items() if int(d) > 2}
_SHARE_BEFORE = {"a", "an", "one", *_NUMBER_WORDS.values()}


_CALENDAR = lexicon.words("calendar")


def entity_found(entity: str, lowered: str) -> bool:
    """Whether a name or number occurs in lower-cased text (all its longer words, at least)."""
    name = entity.lower()
    if name in lowered:
        return True
    if name in _NUMBER_WORDS and re.search(rf"\b{_NUMBER_WORDS[name]}\b", lowered):
        return True
    parts = [p for p in re.split(r"[\s,]+", name) if len(p) > 2]
    return bool(parts) and all(re.search(rf"\b{re.escape(p)}\b", lowered) for p in parts)


def name_held(entity: str, lowered: str) -> bool:
    """Whether a name occurs in lower-cased text (`entity_found`) or each of its words in
    some form ("Swedish" for "Sweden's", "Ukrainians" for "Ukraine")."""
    if entity_found(entity, lowered):
        return True
    parts = [p for p in speech.name_parts(entity) if len(p) > 2]
    if not parts:
        return False
    held = {w.removesuffix("'s").removesuffix("’s") for w in words(lowered)}
    return all(_word_in(p, held) for p in parts)


_OPENING = lexicon.words("opening_words")
_PLACE_WORDS = frozenset(w for pair in lexicon.pairs("places") for w in pair if len(w) > 3)


def _names(claim: str) -> list[str]:
    """The claim's names: capitalised phrases, less words capitalised only by position."""
    tokens = [t.strip(",;:\"“”'‘’()") for t in claim.split()]
    first = tokens[0] if tokens else ""
    second = claim.split()[1] if len(tokens) > 1 and claim.split()[0][-1:] not in ",;:" else ""
    found = []
    for e in dict.fromkeys(entities(claim)):
        head, _sep, rest = e.partition(" ")
        if head == first and rest and head.lower() in _OPENING:
            e = rest  # "Despite Blinken's push": "Despite" opens the sentence
        if e.lower() in STOPWORDS or e[:1].isdigit():
            continue
        if e == first and not second[:1].isupper() and e.lower() not in _PLACE_WORDS:
            continue  # "Officials said": capitalised because it opens the sentence
            # (but "Norwegian maxi Nicorette …" names a country however it stands)
        found.append(e)
    return found


def _word_in(part: str, lowered_words: set[str]) -> bool:
    """Whether a name word occurs, or a form of it ("Ukrainians", "Ukrainian", "Ukraine's")."""
    return part in lowered_words or any(speech.alike(part, w) for w in lowered_words)


def fact_reason(claim: str, passage: Passage) -> str | None:
    """'number', 'date' or 'entity' when the claim states one the passage does not."""
    missing = numbers_in(claim) - passage.numbers
    if missing:
        # "two days" for "48 hours", "twelve months" for "a year": one length of time
        held = durations(passage.text)
        missing -= {n for n, hours in _duration_pairs(claim) if any(_close(hours, h) for h in held)}
    if missing:
        years = {n for n in missing if len(n) == 4 and n[:2] in {"18", "19", "20"}}
        return "date" if years == missing else "number"
    passage_words = {w.removesuffix("'s").removesuffix("’s") for w in words(passage.lowered)}
    passage_words |= {part for w in passage_words if "-" in w for part in w.split("-")}
    named = {w.lower() for w in words(claim)[1:] if w[:1].isupper()}  # "May", not "may"
    if any(m in named and m not in passage_words for m in _CALENDAR):
        return "date"
    passage_names = [speech.name_parts(e) for e in entities(passage.text)]
    passage_words |= _initialisms(passage.text)  # "AFP" for "Australian Federal Police"
    passage_words |= _lower_initialisms(passage.text)  # "CEO" for "chief executive officer"
    for name in _names(claim):
        words_ = [w for w in re.split(r"[\s\-]+", name) if w[:1].isupper() or w[:1].isdigit()]
        parts = [p for w in words_ for p in speech.name_parts(w) if len(p) > 2]
        found = [p for p in parts if _word_in(p, passage_words)]
        if parts and not found and not _opening_pronoun_for(name, passage):
            return "entity"
        if len(found) < len(parts) and _given_in_full(name, passage.article):
            continue  # "Keith Connor" where the passage says "Connor" and the article both
        if len(found) < len(parts) and _other_name(parts, found, passage_names):
            return "entity"
    return None


def _opening_pronoun_for(name: str, passage: Passage) -> bool:
    """Whether the passage opens with "He"/"She" (a passage from the middle of an article)
    standing for the person the name names, by the article's text before the passage."""
    person = opening_person(passage)
    return person is not None and speech.same_entity(name, person)


def opening_person(passage: Passage) -> str | None:
    """Whom a "He"/"She" opening the passage stands for, by the article's text before it."""
    texts = [s.text for s in passage.sentences if not s.hostile]
    if not texts or not passage.article_text:
        return None
    first = texts[0].split()[0].lower() if texts[0].split() else ""
    if first not in ("he", "she"):
        return None
    at = passage.article_text.find(texts[0][:60])
    if at <= 0:
        return None
    person = speech.antecedent_before(passage.article_text[:at])
    if person is None:
        return None
    # "Mr Wilson" as the article gives him in full ("Tony Wilson")
    fuller = [
        e
        for e in entities(passage.article_text[:at])
        if len(speech.name_parts(e)) > len(speech.name_parts(person))
        and speech.same_entity(e, person)
    ]
    return max(fuller, key=len) if fuller else person


def named_in_full(name: str, lowered: str, article: str) -> bool:
    """Whether a name the passage (lower-cased) shortens is the one the article (lower-cased)
    gives in full: "Glen Yearwood" where the passage has "Mr Yearwood"."""
    parts = [p for p in speech.name_parts(name) if len(p) > 2]
    held = {w.removesuffix("'s").removesuffix("’s") for w in words(lowered)}
    return any(_word_in(p, held) for p in parts) and _given_in_full(name, article)


def _given_in_full(name: str, article: str) -> bool:
    """Whether the article (lower-cased) gives the name as the claim writes it, its
    words in a row, two at least: the passage's "Connor" is the article's "Keith Connor"."""
    parts = [p for p in re.split(r"[\s\-]+", name.lower()) if p]
    if not article or len(parts) < 2:
        return False
    gap = r"[\s\-]+"
    return bool(re.search(r"\b" + gap.join(re.escape(p) for p in parts) + r"\b", article))


_DURATIONS = {w: float(h) for w, h in lexicon.pairs("durations")}
_UNITS = "|".join(sorted(_DURATIONS, key=len, reverse=True))
_DURATION = re.compile(rf"\b(\d+(?:\.\d+)?|[a-z]+)[\s-]+({_UNITS})\b", re.IGNORECASE)
_ONE = frozenset({"a", "an", "one"})
_ONE_UNIT = frozenset({"the", "last", "past", "previous", "next", "this", "that"})


def _duration_pairs(text: str) -> list[tuple[str, float]]:
    """Each length of time the text states: (its number as digits, its length in hours)
    ("two days" → ("2", 48.0), "a year" → ("1", 8760.0))."""
    out = []
    for m in _DURATION.finditer(text):
        count, unit = m.group(1).lower(), m.group(2).lower()
        if count in _ONE or (count in _ONE_UNIT and not unit.endswith("s")):
            digits = "1"  # "the last decade" is ten years as "a decade" is
        elif count.replace(".", "", 1).isdigit():
            digits = count
        else:
            digits = _PASSAGE_WORD_NUMBERS.get(count, "")
        if digits:
            out.append((digits, float(digits) * _DURATIONS[unit]))
    return out


def _same_duration(numbers: set[str], claim: str, sentence: str) -> bool:
    """Whether each of these numbers of the claim counts a length of time the sentence
    states in other units."""
    held = durations(sentence)
    lengths = _duration_pairs(claim)
    return all(
        any(d == n and any(_close(hours, h) for h in held) for d, hours in lengths) for n in numbers
    )


def durations(text: str) -> set[float]:
    """The lengths of time a text states, in hours."""
    return {hours for _digits, hours in _duration_pairs(text)}


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 0.02 * max(x, y)


def _initialisms(text: str) -> set[str]:
    """Initials of the text's capitalised phrases, lower-cased ("Rural Fire Service" → "rfs")."""
    found = set()
    for name in entities(text):
        capitals = [w[0] for w in name.split() if w[:1].isupper()]
        if len(capitals) >= 2:
            found.add("".join(capitals).lower())
        # a leading run of three or more: "New South Wales Fire Brigades" → "nsw"
        found |= {"".join(capitals[:k]).lower() for k in range(3, len(capitals))}
    return found


def _lower_initialisms(text: str) -> set[str]:
    """Initials of each run of three or four words of meaning ("chief executive officer"
    → "ceo"), which a claim may write as capitals."""
    runs: list[list[str]] = [[]]
    for w in re.findall(r"[A-Za-z][\w’'-]*|[^\w\s]", text):
        if w[:1].isalpha() and w.lower() not in STOPWORDS:
            runs[-1].append(w[0].lower())
        else:
            runs.append([])
    return {
        "".join(run[i : i + k]) for run in runs for k in (3, 4) for i in range(len(run) - k + 1)
    }


def _other_name(
    parts: Sequence[str], found: Sequence[str], passage_names: Sequence[Sequence[str]]
) -> bool:
    """Whether the passage names, with the words of the claim's name it has, someone else:
    "Dunmore Rail" where the passage has "Halvorsen Rail", "Jim Smith" for "John Smith"
    (but "Kaja Kallas" where it has only "Ms Kallas" is the same person)."""
    for name in passage_names:
        if any(speech.alike(f, p) for f in found for p in name):
            extra = [p for p in name if not any(speech.alike(p, q) for q in parts)]
            if extra and len(name) >= 2:
                return True
    return False


def meaning_reason(claim: str, passage: Passage, best: PassageSentence) -> str | None:
    """Why the claim says something else than its passage, or None: the first of
    `meaning_findings`."""
    return next((reason for reason, _check in meaning_findings(claim, passage, best)), None)


# The checks `meaning_findings` runs, by name (the eval's per-check figures use them).
MEANING_CHECKS = (
    "speaker",  # another person says the aligned sentence
    "polarity",  # the clause flips the aligned sentence's polarity (negation or antonym)
    "polarity-joined",  # ... or that of a second sentence the clause draws on
    "aligned-change",  # a date, number or name changed in the same place, or parts swapped
    "antonym-word",  # a word replaced by its opposite
    "attempt",  # done, where the passage says it is attempted
    "voice-swap",  # passive or relative clause with the parts exchanged
    "role-conflict",  # an entity given the predicate the passage gives another
)


def meaning_findings(
    claim: str, passage: Passage, best: PassageSentence
) -> Iterator[tuple[str, str]]:
    """Each (reason, check) by which the claim says something else than its passage, in
    the order the checker judges them (lazily: the first is all `meaning_reason` needs).

    Each clause of the claim (`clauses.clause_texts`) is aligned with the passage sentence
    that shares most of its words (its speaker's name left out; ties go to `best`, the
    sentence most similar in meaning to the whole claim), then: 'speaker' when the clause
    reports X and that sentence reports someone else ("she said" and quotations resolved
    within the passage); 'negation' / 'antonym' when the clause flips the sentence's
    polarity (`clauses.polarity_conflict`). Last, 'role' when the claim gives an entity the
    predicate the passage gives another (`clauses.role_conflict`)."""
    texts = [s.text for s in passage.sentences if not s.hostile]
    if not texts:
        return
    default = texts.index(best.text) if best.text in texts else 0
    person = opening_person(passage)
    if person:  # "He made a cameo…" read as the person the article means by "He"
        texts = [re.sub(r"^\s*(?:He|She)\b", person, texts[0]), *texts[1:]]
    # words compared in one form: "backed" aligns with "supported" (`_canonical_stem`)
    sentence_stems = [{_canonical_stem(s) for s in content_stems(t)} for t in texts]
    # a passage from the middle of an article: its title may name whom "he said" stands for
    chunk = passage.hit.chunk
    context = [chunk.title, *texts] if chunk.n > 0 and chunk.title else texts
    renamed = False
    for part in clauses.clause_texts(claim) or [claim]:
        claimed = speech.speaker_of_claim(part, described=True)
        offset = len(context) - len(texts)
        speaking = (
            [k for k in range(len(texts)) if _speaks(claimed, context, k + offset)]
            if claimed
            else []
        )
        index = _align(part, claimed, sentence_stems, default, speaking)
        if index is None:
            continue
        near = (
            [k + offset for k in _near_said(part, claimed, sentence_stems, speaking)]
            if claimed
            else []
        )
        article = passage.article_text or " ".join(texts)
        wrong_speaker = bool(
            claimed and _wrong_speaker(claimed, context, index + offset, part, near, article)
        )
        if wrong_speaker:
            yield "speaker", "speaker"
        conflict = clauses.polarity_conflict(part, texts[index])
        if conflict:
            yield conflict, "polarity"
        # a clause that joins two sentences ("…, which is alarming even though labour is
        # cheaper there") is read against each sentence it draws on
        for k, gain in _sources(claimed or "", texts, index, part)[1:]:
            if gain >= 3:
                conflict = clauses.polarity_conflict(part, texts[k])
                if conflict:
                    yield conflict, "polarity-joined"
        changed = aligned_change(part, texts[index], passage.lowered, claim)
        if changed:
            yield changed, "aligned-change"
        if clauses.antonym_substituted(part, texts[index]):
            yield "antonym", "antonym-word"
        if clauses.attempt_claimed_done(part, texts[index]):
            yield "negation", "attempt"  # done, where the passage says it is being attempted
        if (
            passive_swap(part, texts[index])
            or relative_swap(part, texts[index])
            or who_voice_swap(part, texts[index])
        ):
            yield "role", "voice-swap"
        # another name where the restated sentence has one (the answerer's check, shared):
        # "Shares in Allianz … fell 1.7%" where the sentence has "Shares in Munich Re";
        # judged after the roles, which name a swap of two of the claim's names better, and
        # not where the speaker check has judged the name that speaks
        renamed = renamed or (not wrong_speaker and name_changed(part, texts[index]))
    if clauses.role_conflict(claim, texts):
        yield "role", "role-conflict"
    if renamed:
        yield "entity", "aligned-change"


_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_RELATIVE = lexicon.words("relative_times")
_TIME_WORDS = lexicon.words("time_words") | _CALENDAR


def aligned_change(part: str, sentence: str, passage_lowered: str, claim: str = "") -> str | None:
    """What the clause changes in the sentence it restates, word for word in the same
    place: 'role' when two of its parts trade places (`clauses.swapped`); 'date' for
    another year, month or weekday, or "last week" for "next week"; 'number' for another
    number; 'entity' for another name the passage gives elsewhere ("near Tora Bora" where
    the sentence says "near Kandahar"), or 'role' when that name is the one the claim's
    other clause puts in this one's place ("B did P, while A did Q")."""
    if clauses.swapped(part, sentence):
        return "role"
    for sub in clauses.substitutions(part, sentence):
        said = {t.lower for t in sub.claimed}
        stated = {t.lower for t in sub.stated}
        if _wordy(sub.claimed) > 3 or _wordy(sub.stated) > 3:
            continue
        # "last week" for "next week", "tomorrow" for "yesterday", "last week" for "overnight",
        # "next month" for "next year" (the unchanged "next" before the change)
        when_said = _when(said, sub.after, sub.before)
        when_stated = _when(stated, sub.after, sub.before)
        moved = when_said <= _plain_time({w.lower() for w in words(sentence)})
        if when_said and when_stated and when_said != when_stated and not moved:
            return "date"  # (not when the sentence has the claim's words in another order:
            # "next spring" for "in Spring next year")
        # "in the autumn of next year" for "in Spring next year": another season
        seasons_said, seasons_stated = said & _SEASONS, stated & _SEASONS
        if seasons_said and seasons_stated and not seasons_said & seasons_stated:
            return "date"
        # "the third year in a row" for "the second year": ranks differ
        # ("second-most senior" for "third-most senior": the rank inside a compound)
        ranks_said = {_RANKS[p] for w in said for p in w.split("-") if p in _RANKS}
        ranks_stated = {_RANKS[p] for w in stated for p in w.split("-") if p in _RANKS}
        if ranks_said and ranks_stated and not ranks_said & ranks_stated:
            return "number"
    part_names = entities(part)
    for new, old, _listed in clauses.slot_pairs(part, sentence):
        if speech.same_entity(new, old):
            continue
        new_numbers = numbers_in(_TIME.sub(" ", new))
        old_numbers = numbers_in(_TIME.sub(" ", old))
        if new_numbers and old_numbers:
            if new_numbers <= old_numbers or new.lower() == old.lower():
                continue  # "18-month" for "18 month"
            if _in_brackets(old, sentence) and new_numbers <= numbers_in(sentence, passage=True):
                continue  # "$80m" where the sentence has "$80m (£42.4m)": a conversion
            if all(_YEAR.fullmatch(n) for n in new_numbers | old_numbers):
                return "date"
            if _same_duration(new_numbers, part, sentence):
                continue  # "two days" where the sentence has "48 hours"
            return "number"
        new_dates = {w for w in new.lower().split() if w in _CALENDAR}
        old_dates = {w for w in old.lower().split() if w in _CALENDAR}
        if new_dates and old_dates:
            if new_dates - old_dates:
                return "date"
            continue
        if new_numbers or old_numbers or new_dates or old_dates:
            continue
        if not speech.name_parts(new) or not speech.name_parts(old):
            continue
        if any(speech.same_entity(old, e) for e in part_names):
            continue  # both names are in the clause: a swap is `swapped`'s to judge
        if groups_in(new) & groups_in(old):
            continue  # "Conservative plans" for "Tory plans", "British troops" for "UK troops"
        if re.search(rf"{re.escape(old)}\W+(?:\S+\W+){{0,3}}{re.escape(new)}", sentence):
            continue  # "Adventure World vice-president Peter Balmer" for "Peter Balmer"
        if _shortened(new, old, sentence):
            continue  # "Oliver Stone's Platoon" for "Oliver Stone's Vietnam epic Platoon"
        if any(speech.same_entity(old, e) for e in entities(claim)):
            return "role"  # the claim gives the two names each other's parts
        if entity_found(new, passage_lowered):
            return "entity"  # another name of the passage put in this one's place
    return None


def _in_brackets(mark: str, sentence: str) -> bool:
    """Whether `mark` stands inside brackets in the sentence ("(£42.4m)")."""
    return bool(re.search(rf"\([^()]*{re.escape(mark)}[^()]*\)", sentence))


def _shortened(new: str, old: str, sentence: str) -> bool:
    """Whether the claim's name is the sentence's own words from `old` on, a few words left
    out: every word of it stands, in order, within four words after where `old` ends."""
    at = sentence.find(old)
    if at < 0:
        return False
    ahead = sentence[at:].split()[: len(old.split()) + 4]
    k = 0
    for w in new.split():
        while k < len(ahead) and ahead[k].strip(",.;:") != w:
            k += 1
        if k == len(ahead):
            return False
        k += 1
    return True


_SEASONS = lexicon.words("seasons")
_DAY_WORDS = frozenset({"yesterday", "today", "tonight", "tomorrow", "overnight"})


def _when(words_: set[str], after: str, before: str = "") -> frozenset[str]:
    """The relative time a few changed words give: a day word ("yesterday"), or a word
    like "last" before a word of time ("last week", with `after` when the time word is the
    unchanged word that follows, `before` when "last" is the unchanged word before it)."""
    days = words_ & _DAY_WORDS
    if days:
        return frozenset(days)
    relative = words_ & _RELATIVE
    if relative and (words_ & _TIME_WORDS or after in _TIME_WORDS):
        return _plain_time(relative | (words_ & _TIME_WORDS))
    if before in _RELATIVE and words_ and words_ <= _TIME_WORDS:
        return _plain_time(words_ & _TIME_WORDS)
    return frozenset()


# "the coming days" is "the next days"; "the past week" is "the last week"
_SAME_WHEN = {
    "coming": "next",
    "following": "next",
    "past": "last",
    "previous": "last",
    "ago": "last",  # "a month ago" is "last month"
}


def _plain_time(words_: set[str]) -> frozenset[str]:
    return frozenset(_SAME_WHEN.get(w, w).removesuffix("s") for w in words_)


def _wordy(toks: Sequence[speech._Tok]) -> int:
    """How many words of a changed stretch carry meaning ("in the next hour": two)."""
    return sum(1 for t in toks if t.content)


_RANKS = {w: d for w, d in lexicon.pairs("ordinal_words") if d.isdigit()}


_TIME = re.compile(r"\b\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}:\d{2}\b", re.I)


def _align(
    part: str,
    speaker: str | None,
    sentence_stems: Sequence[set[str]],
    default: int,
    speaking: Sequence[int] = (),
) -> int | None:
    """The passage sentence a clause of a claim restates: most shared content stems (its
    speaker's name aside); among equals a sentence the claimed speaker says (`speaking`),
    then `default`; None when it shares fewer than two."""
    name = {stem(p) for p in speech.name_parts(speaker)} if speaker else set()
    wanted = {_canonical_stem(s) for s in content_stems(part)} - name
    if not wanted:
        return None
    overlaps = [len(wanted & stems) for stems in sentence_stems]
    top = max(overlaps)
    if top < min(2, len(wanted)):
        return None
    tied = [k for k, n in enumerate(overlaps) if n == top]
    said = [k for k in tied if k in speaking]
    if said:
        return default if default in said else said[0]
    return default if default in tied else tied[0]


def _near_said(
    part: str, speaker: str, sentence_stems: Sequence[set[str]], speaking: Sequence[int]
) -> list[int]:
    """Sentences the claimed speaker says that share nearly as many of the clause's words
    as the best one (one fewer, two at least): the dispatcher's "as many as 35 have been
    shot" for "the dispatcher said 35 people were shot", where the article's own "as many
    as 35 people have been shot" shares one word more."""
    name = {stem(p) for p in speech.name_parts(speaker)}
    wanted = {_canonical_stem(s) for s in content_stems(part)} - name
    overlaps = [len(wanted & stems) for stems in sentence_stems]
    top = max(overlaps, default=0)
    return [k for k in speaking if overlaps[k] >= max(2, top - 1)]


def clause_support(
    claim: str, passage: Passage, idf: Callable[[str], float], question_stems: frozenset[str]
) -> float:
    """The least IDF-weighted share of a claim clause's own words found in the passage.

    A model that adds a detail of its own ("…, and the mayor resigned") adds a clause
    whose words the passage lacks, while the rest of the claim keeps the whole-claim score
    high. Clauses of fewer than two content words are not judged (1.0)."""
    shares = clause_shares(claim, passage, idf, question_stems)
    return min([1.0, *(share for _part, share in shares)])


def clause_shares(
    claim: str, passage: Passage, idf: Callable[[str], float], question_stems: frozenset[str]
) -> list[tuple[str, float]]:
    """Each judged clause of the claim with the IDF-weighted share of its own words that the
    passage holds. A word counts as held in another form of the same word: a synonym of
    the lexicon ("halt" for "stop"), an irregular past ("got" for "get"), the word a
    negative prefix was put on ("unconfirmed" for "confirm": the polarity rules judge the
    flip, this only asks whether the clause is about what the passage says)."""
    out = []
    for part in clauses.clause_texts(claim):
        # "…, and the mayor resigned", "… and that the mayor resigned": each joined part
        # ("… are baseless and politically motivated": two words are a detail too)
        for joined in AND_PARTS.split(part):
            share = held_share(joined, passage, idf, question_stems, least=LEAST_WORDS)
            if share is not None:
                out.append((joined, share))
            # "…, adding that she would appeal", "…, both of whom were paid": a clause hung
            # on the sentence, which a model may have made up, judged on its own too (one
            # short enough to be a reworded aside, "adding that inquiries go on", is not)
            for piece in ADDED_PARTS.split(joined)[1:]:
                if _words_of_meaning(piece) < ADDED_WORDS:
                    continue
                share = held_share(piece, passage, idf, question_stems, least=LEAST_WORDS)
                if share is not None:
                    out.append((piece, share))
            # "… grew, because rain closed the mines", "… rose, driven by exports": a cause
            # the model may have supplied, judged on its own like a joined part
            for piece in CAUSE_PARTS.split(joined)[1:]:
                piece = ADDED_PARTS.split(piece)[0]  # "because it rained, saying …"
                share = held_share(piece, passage, idf, question_stems, least=LEAST_WORDS)
                if share is not None:
                    out.append((piece, share))
    return out


def held_share(
    text: str,
    passage: Passage,
    idf: Callable[[str], float],
    question_stems: frozenset[str],
    least: int = 1,
) -> float | None:
    """The IDF-weighted share of the text's content words (the question's aside) that the
    passage holds in some form; None below `least` words."""
    held = {_canonical_stem(s) for s in passage.stems}
    stems = set(content_stems(text)) - question_stems
    total = sum(idf(s) for s in stems)
    if len(stems) < least or not total:
        return None
    return sum(idf(s) for s in stems if _held(s, held)) / total


AND_PARTS = re.compile(r",?\s+and\s+(?:that\s+)?")
# a participle or a relative clause after a comma: ", adding that", ", both of whom"
ADDED_PARTS = re.compile(
    r",\s+(?=(?:[a-z]{3,}ing|(?:all|both|each|many|most|some|none|one) of (?:whom|which)|"
    r"which|who)\b)"
)
# a cause or an occasion given in a clause of its own: "because", "after", "driven by"
CAUSE_PARTS = re.compile(
    r",?\s+(?=(?:[a-z]+ly\s+)?(?:because(?:\s+of)?|after|due to|owing to|thanks to|"
    r"driven(?:\s+[a-z]+ly)?\s+by|as a result of)\s+"
    r"(?:a|an|the|it|he|she|they|its|his|her|their|[a-z]+(?:ed|s))\b)"
)
LEAST_WORDS = 2  # the fewest words of meaning of a joined part that is judged
ADDED_WORDS = 5  # ... and of a participle or relative clause judged on its own


def _words_of_meaning(text: str) -> int:
    return len(set(content_stems(text)))


@cache
def _irregular() -> dict[str, str]:
    return {stem(past): stem(base) for past, base in lexicon.pairs("irregular_verbs")}


_PREFIXES = tuple(sorted(lexicon.words("negative_prefixes"), key=len, reverse=True))


def _canonical_stem(s: str) -> str:
    """A stem in one form: an irregular past as its base, then as its synonym's stem."""
    return speech._canonical_stem(_irregular().get(s, s))


def _held(s: str, held: set[str]) -> bool:
    if _canonical_stem(s) in held:
        return True
    return any(
        s.startswith(p) and len(s) - len(p) >= 4 and _canonical_stem(s[len(p) :]) in held
        for p in _PREFIXES
    )


def _speaks(claimed: str, texts: Sequence[str], index: int) -> bool:
    """Whether sentence `index` is attributed to `claimed`."""
    return any(
        a.speaker and speech.same_entity(claimed, a.speaker)
        for a in speech.attributions(texts, index)
    )


def _described(claimed: str, sentence: str) -> bool:
    """Whether a claimed speaker is a description (two or more words, lower-case ones among
    them: "the top US military officer") whose words the sentence mostly holds."""
    described = set(content_stems(claimed))
    said = words(claimed)
    if len(described) < 2 or not any(w.islower() or w.isupper() for w in said[1:]):
        return False  # (an initialism may describe: "the firm's CEO")
    # the sentence's own words, not what it quotes ("… by the authority," X said)
    mask = speech._quoted_mask(sentence)
    own = "".join(" " if mask[i] else ch for i, ch in enumerate(sentence))
    held = set(content_stems(own))
    initials = _initialisms(own) | _lower_initialisms(own)  # "CEO" for "chief executive officer"
    held |= {stem(w.lower()) for w in words(claimed) if w.isupper() and w.lower() in initials}
    return len(described & held) * 3 >= len(described) * 2


def _wrong_speaker(
    claimed: str,
    texts: Sequence[str],
    index: int,
    part: str = "",
    near: Sequence[int] = (),
    article: str = "",
) -> bool:
    """Whether the claim (clause `part`, restating sentence `index`) gives `claimed` words
    that someone else says.

    The claim may merge sentences: the one it restates and those that supply two or more
    of its other words (`_sources`). It is wrong when one of them is said by another named
    speaker, or when all of them are the article's own words and the claimed speaker is
    quoted elsewhere in the passage. "According to X, the unions, which are fighting a wage
    freeze, will not rest" is right when the article states the first half and X the
    second. A speaker is the claimed one when the passage names them together
    (`_same_speaker`: "Rural Fire Service spokesman John Winter" makes "the Rural Fire
    Service said" right)."""
    sources = _sources(claimed, texts, index, part)
    verdicts = [_verdict(claimed, texts, k, article=article) for k, _gain in sources]
    if verdicts[0] == "other" or any(
        v == "other" and gain >= 3 and not _names_speaker_of(part, texts, k)
        for v, (k, gain) in zip(verdicts[1:], sources[1:], strict=True)
    ):
        return True
    if "same" in verdicts or "unknown" in verdicts or near:
        return False  # `near`: sentences the claimed speaker says nearly as well
    return any(
        _verdict(claimed, texts, k, quoted_only=True, article=article) == "same"
        for k in range(len(texts))
        if k != index
    )


def _names_speaker_of(part: str, texts: Sequence[str], k: int) -> bool:
    """Whether the claim names the speaker of sentence k itself ("…, in response to the
    CPSU's complaint that …"): that sentence is attributed, not put in the claimed mouth."""
    mentioned = entities(part)
    return any(
        a.speaker and any(_same_speaker(m, a.speaker, texts) for m in mentioned)
        for a in speech.attributions(texts, k)
    )


def _sources(claimed: str, texts: Sequence[str], index: int, part: str) -> list[tuple[int, int]]:
    """Sentence `index` and the sentences that add two or more of the clause's other words
    (an eighth of them at least), greedily, most first: (sentence, words added)."""
    chosen = [(index, 0)]
    if not part:
        return chosen
    name = {stem(p) for p in speech.name_parts(claimed)}
    wanted = set(content_stems(part)) - name
    left = wanted - set(content_stems(texts[index]))
    stems = [set(content_stems(t)) for t in texts]
    while left and len(chosen) < 4:
        taken = {k for k, _gain in chosen}
        gains = [(len(left & stems[k]), k) for k in range(len(texts)) if k not in taken]
        if not gains:
            break
        gain, k = max(gains)
        if gain < 2 or gain * 8 < len(wanted):
            break
        chosen.append((k, gain))
        left -= stems[k]
    return chosen


def _verdict(
    claimed: str, texts: Sequence[str], k: int, quoted_only: bool = False, article: str = ""
) -> str:
    """Whom sentence k gives its words: "same" (the claimed speaker, or a mention of them
    as the actor), "other" (another named speaker), "unknown" (a pronoun the passage does
    not resolve) or "none" (the article's own words, or an unnamed "officials said")."""
    found = speech.attributions(texts, k)
    speakers = [a.speaker for a in found if a.speaker]
    if any(_same_speaker(claimed, s, texts) for s in speakers):
        return "same"
    if any(_role_of(claimed, s, article) or _role_of(s, claimed, article) for s in speakers):
        return "same"  # "the Belgian minister said" where the article names him
    if any(a.described and _same_description(claimed, a.described) for a in found):
        return "same"  # "according to the weekly" restates "…, according to the weekly"
    if quoted_only:
        return "none"
    if any(_kind_differs(claimed, s) for s in speakers):
        return "other"  # "Israeli officials" for "Palestinian officials"
    if speakers and not any(w[:1].isupper() for w in words(claimed)):
        # a speaker the claim only describes ("the local fire brigade", "a police
        # dispatcher"): one who shares a word with it is the same, else another
        if any(set(content_stems(claimed)) & set(content_stems(s)) for s in speakers):
            return "same"
        return "other"
    if any(_named(s) for s in speakers):
        # "Estonia's prime minister said" for "Estonia's Prime Minister, Kaja Kallas, said":
        # a speaker described by the role the sentence gives its speaker
        if _described(claimed, texts[k]):
            return "same"
        if _resolved_elsewhere(claimed, speakers, texts, article):
            return "unknown"
        return "other"
    if any(a.via != "none" for a in found) and not speakers:
        return "unknown"
    if any(_mentions(claimed, e) for e in entities(texts[k])):
        return "same"  # the claim says what X did ("X has visited…"), or whom officials speak for
    return "none"


def _same_description(claimed: str, described: str) -> bool:
    """Whether a claimed speaker is the description the sentence gives its speaker: the
    same words of meaning ("the trade weekly" for "the trade weekly")."""
    a, b = set(content_stems(claimed)), set(content_stems(described))
    return bool(a) and a == b


def _mentions(claimed: str, mention: str) -> bool:
    """Whether a sentence's name is the claimed speaker, by a word that names them: not
    "Lawyers" (capitalised where a sentence opens) for "the singer's lawyers"."""
    if not speech.same_entity(claimed, mention):
        return False
    names = [speech._norm(w) for w in words(claimed) if w[:1].isupper()]
    if not names or all(w[:1].isupper() for w in words(claimed)):
        return True
    return any(speech.alike(n, p) for n in names for p in speech.name_parts(mention))


def _role_of(description: str, name: str, article: str) -> bool:
    """Whether the article gives the role a description names ("the TV host") to the
    person a name names, and to no one else (`speech.described_person`)."""
    if not article or not any(w[:1].isupper() for w in words(name)):
        return False
    person = speech.described_person(description, article)
    return person is not None and speech.same_entity(person, name)


def _resolved_elsewhere(
    claimed: str, speakers: Sequence[str], texts: Sequence[str], article: str
) -> bool:
    """Whether a claimed name may be the speaker the passage only describes: the passage
    never names them, the article does in full, and each speaker of the sentence is a
    description ending in a role ("the Olympic gold medallist"), not a name ("club chief
    executive Jo Bloggs")."""
    lowered = article.lower()
    if name_held(claimed, " ".join(texts).lower()) or not _given_in_full(claimed, lowered):
        return False
    return all(words(s)[-1:] and words(s)[-1].islower() for s in speakers)


def _kind_differs(claimed: str, speaker: str) -> bool:
    """Whether two unnamed speakers of one kind are told apart by what qualifies them:
    "Israeli officials" and "Palestinian officials", not "officials" and "Israeli officials"."""
    a = re.findall(r"[\w’'-]+", claimed)
    b = re.findall(r"[\w’'-]+", speaker)
    if not a or not b or a[-1].lower() != b[-1].lower() or a[-1].lower() not in _GENERIC:
        return False
    qa = " ".join(w for w in a[:-1] if w[:1].isupper() and w.lower() not in _DET)
    qb = " ".join(w for w in b[:-1] if w[:1].isupper() and w.lower() not in _DET)
    return bool(qa and qb) and not speech.same_entity(qa, qb)


def _named(speaker: str) -> bool:
    """Whether an attributed speaker names someone ("Bill Shorten", "the AWU"), not only
    a kind of speaker ("officials", "Goshen police", "preliminary reports")."""
    found: list[str] = re.findall(r"[\w’'-]+", speaker)
    if found and found[-1].lower() in _GENERIC:
        # "Goshen police", "Preliminary reports", "The Government"; not "Public Sector Union"
        return sum(w[:1].isupper() and w.lower() not in _DET for w in found[:-1]) >= 2
    return any(
        w[:1].isupper() and bool(speech.name_parts(w)) and w.lower() not in _GENERIC
        for w in re.findall(r"[\w’'-]+", speaker)
    )


_GENERIC = lexicon.words("generic_speakers")
_DET = frozenset("the a an".split())
# Words that may stand between an organisation or role and the person it names:
# "RFS spokesman John Winter", "John Winter of the RFS", "the Treasurer, Peter Costello".
_LINK = re.compile(r"^(?:[\s,()’'&-]|\b(?:of|for|the|at|s)\b|[A-Z][\w’'.-]*|[a-z]+)*$")


def _same_speaker(claimed: str, speaker: str, texts: Sequence[str]) -> bool:
    """Whether the claimed speaker and an attributed one are one, or the passage names them
    together (an organisation and its spokesman, a role and its holder)."""
    if speech.same_entity(claimed, speaker):
        return True
    if _sole_holder(claimed, speaker, texts) or _sole_holder(speaker, claimed, texts):
        return True  # "the Palestinian leader said" for "Arafat said", and the reverse
    wanted = speech.name_parts(claimed)
    held = speech.name_parts(speaker)
    if not wanted or not held:
        return False
    for text in texts:
        lowered = text.lower()
        a = _spots(wanted, lowered)
        b = _spots(held, lowered)
        for x0, x1 in a:
            for y0, y1 in b:
                gap = text[x1:y0] if x1 <= y0 else text[y1:x0]
                if (x1 <= y0 or y1 <= x0) and len(gap) <= 40 and _plain_link(gap):
                    return True
    return False


def _sole_holder(claimed: str, speaker: str, texts: Sequence[str]) -> bool:
    """Whether the claimed speaker is a title ("the Northern Alliance's president") that one
    person alone holds in the passage ("its President Burhanuddin Rabbani"), that person
    is the speaker, and the passage names what qualifies the title."""
    claimed_words = re.findall(r"[\w’'-]+", claimed)
    titles = {w.lower() for w in claimed_words if w.lower() in _TITLE_WORDS} - _DET
    if not titles:
        return False
    passage = " ".join(texts)
    qualifiers = [p for p in speech.name_parts(claimed) if p not in titles]
    lowered = passage.lower()
    passage_words = {w.removesuffix("'s").removesuffix("’s") for w in words(lowered)}
    if any(
        not re.search(rf"\b{re.escape(q)}", lowered)
        and not any(speech.alike(q, w) for w in passage_words)
        for q in qualifiers
    ):
        return False
    holders: list[str] = []
    qualified: list[str] = []  # holders whose title the claim's qualifier stands before
    for title in titles:
        for m in re.finditer(
            rf"\b(?i:{re.escape(title)}),?\s+((?:[A-Z][\w’'-]+\s?){{1,3}})", passage
        ):
            name = m.group(1).strip()
            if not any(speech.same_entity(name, h) for h in holders):
                holders.append(name)
            before = {w.lower() for w in words(passage[max(m.start() - 30, 0) : m.start()])}
            before = {w.removesuffix("'s").removesuffix("’s") for w in before}
            near = qualifiers and all(any(speech.alike(q, w) for w in before) for q in qualifiers)
            if near and not any(speech.same_entity(name, h) for h in qualified):
                qualified.append(name)
    # "the Swedish king" where the passage has "Sweden's King Carl" and "Spain's King Juan"
    for found in (holders, qualified):
        if len(found) == 1 and speech.same_entity(found[0], speaker):
            return True
    return False


def _spots(parts: Sequence[str], lowered: str) -> list[tuple[int, int]]:
    """Where all of a name's words stand close together in lower-cased text: (start, end)."""
    found = []
    first = parts[0]
    for m in re.finditer(rf"\b{re.escape(first)}\w*", lowered):
        end = m.end()
        ok = True
        for p in parts[1:]:
            nxt = re.compile(rf"\b{re.escape(p)}\w*").search(lowered, m.start(), m.start() + 80)
            if nxt is None:
                ok = False
                break
            end = max(end, nxt.end())
        if ok:
            found.append((m.start(), end))
    return found


def _plain_link(gap: str) -> bool:
    """Whether text between two names only links them: titles, "of the", punctuation."""
    words_ = re.findall(r"[A-Za-z’'-]+", gap)
    lower = [w.lower() for w in words_ if w[:1].islower()]
    allowed = _TITLE_WORDS | _GENERIC | _PERSON | {"of", "for", "the", "at", "s", "and", "its"}
    # a quotation mark between them parts what is quoted from who says it
    return (
        len(lower) <= 3
        and all(w in allowed for w in lower)
        and ";" not in gap
        and not any(q in gap for q in '"“”')
    )


_TITLE_WORDS = lexicon.words("titles")
_PERSON = lexicon.words("person_nouns")


# "is set to", "was expected to" open an infinitive; "was brought to the board's notice" is
# a passive whose "to" begins a place or person
_PASSIVE = re.compile(
    r"\b(?:was|were|is|are|been|being|be)\s+(?:\w+ly\s+)?([a-z]+)\b"
    r"(?!\s+to\s+(?!(?:the|a|an|its|his|her|their|our|my|your|this|that)\b|[A-Z]))"
)
_ACTIVE_BEFORE = frozenset("was were is are been being be".split())
# what may stand between a subject and its verb: "Ann Lo has since told …"
_AUXILIARY = "has|have|had|will|would|could|also|since|then|later|now|just|already|once"


def passive_swap(claim: str, sentence: str) -> bool:
    """Whether the claim makes a name the doer of what the sentence says was done to it
    or by someone else: "Ms Lo told Mr Bo" for "Ms Lo was told by Mr Bo", "the board hid
    the losses from the firm" for "the firm's losses were hidden from the board". The
    name must be the claim's subject of an active verb whose participle the sentence uses
    in the passive, and the sentence must not give it as the doer ("by Ms Lo")."""
    passives = {
        _canonical_stem(stem(m.group(1))): m.end()
        for m in _PASSIVE.finditer(sentence)
        if m.group(1).endswith(("ed", "en")) or m.group(1) in _IRREGULAR_PAST
    }
    if not passives:
        return False
    for name in entities(claim):
        parts = speech.name_parts(name)
        if not parts:
            continue
        m = re.search(rf"{re.escape(name)}\s+(?:(?:\w+ly|{_AUXILIARY})\s+){{0,3}}([a-z]+)\b", claim)
        if m is None:
            continue
        before = re.findall(r"[\w’'-]+", claim[: m.start()])
        if before and before[-1].lower() in _PREPOSITIONS:
            continue  # "north of Kandahar killed": the name is no subject
        verb = m.group(1)
        verb_stem = _canonical_stem(stem(verb))
        if verb in _ACTIVE_BEFORE or verb_stem not in passives:
            continue
        if not (verb.endswith("ed") or verb in _IRREGULAR_PAST):
            continue
        lowered = sentence.lower()
        if not all(re.search(rf"\b{re.escape(p)}", lowered) for p in parts):
            continue
        if _by(parts[-1], sentence):
            continue  # the sentence names it as the doer
        if re.search(rf"\b{re.escape(parts[-1])}\w*\s+(?:\w+ly\s+)?{re.escape(verb)}\b", lowered):
            continue  # the sentence says it did so too
        return True
    return False


_WHO = re.compile(r"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*),\s+who\s+(?:\w+ly\s+)?([a-z]+)\b")


def relative_swap(claim: str, sentence: str) -> bool:
    """Whether the claim gives a name what the sentence's "who" clause says of another:
    "Ann Lo gave the speech" where the sentence has "Ann Lo and Bo Ray, who gave the
    speech". The verb must be the one the "who" clause opens with, the claimed name must
    stand in the sentence, and the sentence must not give it that verb too."""
    lowered = sentence.lower()
    for m in _WHO.finditer(sentence):
        owner, verb = m.group(1), m.group(2)
        if verb in _ACTIVE_BEFORE or verb in _FINITE_WORDS:
            continue  # "who was", "who has": the verb that follows is what is said
        for name in entities(claim):
            parts = speech.name_parts(name)
            if not parts or speech.same_entity(name, owner):
                continue
            if not re.search(rf"{re.escape(name)}\s+(?:\w+ly\s+)?{re.escape(verb)}\b", claim):
                continue
            if not all(re.search(rf"\b{re.escape(p)}", lowered) for p in parts):
                continue
            if re.search(
                rf"\b{re.escape(parts[-1])}\w*\s+(?:\w+ly\s+)?{re.escape(verb)}\b", lowered
            ):
                continue
            return True
    return False


_FINITE_WORDS = frozenset("has have had is are was were will would could can may might".split())
_WHO_CLAUSE = re.compile(
    r"([A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*),\s+who\s+"
    r"(?P<passive>(?:was|were|is|are|has been|had been|have been)\s+)?(?:\w+ly\s+)?"
    r"(?P<verb>[a-z]+)\b"
)


def who_voice_swap(claim: str, sentence: str) -> bool:
    """Whether the claim's "X, who V-ed …" turns round the sentence's "X, who was V-ed by
    …" (or the other way): X done to becomes X doing ("Pires, who was injured in a tackle
    by Lee" / "Pires, who injured him in a tackle")."""
    stated = [
        (m.group(1), bool(m.group("passive")), stem(m.group("verb")))
        for m in _WHO_CLAUSE.finditer(sentence)
    ]
    for m in _WHO_CLAUSE.finditer(claim):
        name, passive, verb = m.group(1), bool(m.group("passive")), stem(m.group("verb"))
        if verb in _ACTIVE_BEFORE or m.group("verb") in _FINITE_WORDS:
            continue  # "who was a member": no verb to turn round
        for owner, owner_passive, owner_verb in stated:
            if owner_verb == verb and passive != owner_passive and speech.same_entity(name, owner):
                return True
    return False


def _by(part: str, sentence: str) -> bool:
    """Whether the sentence gives a name as a passive verb's doer: "by" and the name with
    no verb or preposition between ("by the harbour master, Tom Reyes")."""
    for m in re.finditer(r"\bby\b", sentence):
        for w in re.findall(r"[\w’'-]+", sentence[m.end() :])[:7]:
            lower = w.lower()
            if lower.startswith(part):
                return True
            if lower in _ACTIVE_BEFORE or lower in _PREPOSITIONS or lower.endswith("ed"):
                break  # "by Norvale were concealed from Castlegate": a new phrase
    return False


_PREPOSITIONS = frozenset(
    "of in at on near from to by with for into over under about against between".split()
)
_IRREGULAR_PAST = frozenset(w for w, _base in lexicon.pairs("irregular_verbs"))
