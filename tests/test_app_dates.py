"""The chat window's date-range control (ui/app.py), through Streamlit's AppTest."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest

from rag.config import Settings
from tests.conftest import ROOT, make_settings
from tests.test_app import ask, card_titles, start_app

DATED = ROOT / "evals" / "dated-corpus"
BRIDGE = "What happened to the Harbourton bridge over the Lissen River?"


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory, real_embedder) -> Settings:
    from rag.ingest import ingest

    folder = tmp_path_factory.mktemp("dated") / "dated"
    shutil.copytree(DATED, folder)
    settings = make_settings(tmp_path_factory.mktemp("app-dated-index"))
    ingest([folder], settings, lambda: real_embedder, quiet=True)
    return settings


def titles_of(message) -> set[str]:
    """The cards' article titles, without their "[n] " badges."""
    return {re.sub(r"^\[\d+\]\s*", "", t) for t in card_titles(message)}


def test_the_date_range_keeps_answers_to_articles_published_in_it(
    dated_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_app(dated_index.index_dir, monkeypatch)
    app.date_input(key="until").set_value(date(2024, 10, 31)).run()
    titles = titles_of(ask(app, BRIDGE))
    assert titles and set(titles) <= {
        "Harbourton council backs new river bridge",
        "Lumora Foods chief executive resigns",
    }
    app.date_input(key="until").set_value(None)
    app.date_input(key="since").set_value(date(2024, 11, 20)).run()
    titles = titles_of(ask(app, BRIDGE))
    assert "Harbourton bridge reopens to light traffic" in titles
    assert "Harbourton council backs new river bridge" not in titles


def test_a_range_that_ends_before_it_starts_is_a_short_error(
    dated_index: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = start_app(dated_index.index_dir, monkeypatch)
    app.date_input(key="since").set_value(date(2024, 12, 1))
    app.date_input(key="until").set_value(date(2024, 11, 1)).run()
    assert any("after" in w.value for w in app.sidebar.warning)
    ask(app, BRIDGE)
    assert any("after until" in e.value for e in app.error)
