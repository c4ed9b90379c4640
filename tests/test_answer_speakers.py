"""Who a sentence reports, as the answerer ranks it (rag/answer/speakers.py, and the
speech score of rag/answer/candidates.py)."""

from __future__ import annotations

from rag.answer import Weights, analyse_question
from rag.answer.candidates import candidates_of, score_candidates
from rag.answer.speakers import said_by
from rag.chunk import chunk_article
from rag.load import make_article
from rag.types import Hit
from tests.fakes import HashEmbedder


def test_being_quoted_reports_the_person_speaking() -> None:
    sentence = 'Ms Okafor was quoted in a local paper: "The council has gone too far."'
    assert said_by("Grace Okafor", sentence, "", "") == 1.0


def test_a_sentence_where_somebody_else_speaks_of_the_person_only_mentions_them() -> None:
    text = (
        "The rowing club has dropped its captain, Grace Okafor. "
        "Tom Weller, who chairs the club, said he had dropped Ms Okafor on Monday. "
        'Ms Okafor was quoted in a local paper: "The club has gone too far."'
    )
    article = make_article("sport/club", "Club drops captain", text, "2024-05-01", "c.txt", "/c")
    hits = [Hit(c, 1.0) for c in chunk_article(article, max_tokens=200, overlap=0)]
    embedder = HashEmbedder()
    question = "What did Grace Okafor say about the club dropping her?"
    info = analyse_question(question)
    candidates = candidates_of(hits)
    w = Weights()
    score_candidates(
        info, candidates, embedder.embed([question])[0], lambda s: 1.0, embedder.embed, w
    )
    weller = next(c for c in candidates if c.text.startswith("Tom Weller"))
    own = next(c for c in candidates if "quoted" in c.text)
    assert weller.speech < w.speech_named
    assert own.speech >= w.speech_named


def test_a_quote_opening_the_next_passage_keeps_the_speaker_named_in_the_one_before() -> None:
    from tests.test_answer import hits_for, story

    text = (
        "The ferry operator will retire its oldest vessel next spring. "
        '"The hull has done forty years of hard work," said Mara Quill, the harbour master. '
        "Crews will move to the new boat in March. "
        '"Passengers will notice quieter engines at once," she said.'
    )
    hits = hits_for(story(text, "local/ferry"), max_tokens=25)
    assert len(hits) >= 2
    candidates = candidates_of(hits)
    quote = next(c for c in candidates if "quieter engines" in c.text)
    assert quote.hit.chunk.chunk_id != candidates[1].hit.chunk.chunk_id
    assert said_by("Mara Quill", quote.text, quote.context, quote.attribution) == 1.0
    alone = candidates_of([quote.hit])[0]  # retrieved without the passage before it
    assert said_by("Mara Quill", alone.text, alone.context, alone.attribution) == 0.0
