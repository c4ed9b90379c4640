"""Hostile article text through loading, ingest and the extractive answer path.

Markdown links can't smuggle `javascript:` (or any) URLs into the index: link and image
targets are dropped and only their words kept; a source URL is kept only when it is
http(s). Script and hidden HTML never reach the index. Plain text is kept as written:
`<script>` in a .txt article stays those characters, in the store and in quotes, for the
front ends to escape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.config import Settings
from rag.load import load_file, safe_url
from rag.types import Article

UNSAFE = re.compile(r"javascript:|vbscript:|data:text|alert\(", re.IGNORECASE)

HOSTILE_MD = """---
title: "[Harbour dredging approved](javascript:alert('title'))"
url: "javascript:alert('source')"
date: 2024-05-02
---
# Harbour dredging approved

The port [board](javascript:alert(1)) approved dredging of the
[inner [harbour] channel](JavaScript:alert(2)) on Thursday.
Work starts in [June](javascript:alert((3))) and
[ends](<javascript:alert(4)> "a title") in [winter][ref].
See <javascript:alert(5)> or <https://port.example/dredging> and
![a map of the channel](javascript:alert(6)).
Escaped \\[syntax\\](javascript:alert(7)) stays words, and
[data](data:text/html;base64,PHNjcmlwdD4=) too.
A [vb link](vbscript:msgbox(8)) and an <a href="javascript:alert(9)">inline anchor</a>.

<div style="display:none">HIDDENMDCANARY</div>

[ref]: javascript:alert(10)
"""


def _load(tmp_path: Path, name: str, content: str | bytes) -> Article:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = load_file(path, path.stem, str(tmp_path), 10_000_000)
    assert not result.failed, result.failed
    (article,) = result.articles
    return article


def test_markdown_links_keep_their_words_and_lose_every_target(tmp_path: Path) -> None:
    article = _load(tmp_path, "dredging.md", HOSTILE_MD)
    stored = "\n".join([article.title, article.text, article.source])
    assert not UNSAFE.search(stored), stored
    assert article.title == "Harbour dredging approved"
    assert article.source == f"{tmp_path.name}/dredging.md"  # below the folder, never absolute
    assert article.published == "2024-05-02"
    for words in (
        "The port board approved dredging of the inner [harbour] channel on Thursday.",
        "Work starts in June and ends in winter.",
        "https://port.example/dredging",
        "a map of the channel",
        "Escaped syntax stays words, and data too.",
        "A vb link and an inline anchor.",
    ):
        assert words in article.text, words
    assert "HIDDENMDCANARY" not in article.text


def test_an_ingested_markdown_article_carries_no_link_target_into_the_index(
    tmp_path: Path, fake_index: Callable[..., Settings]
) -> None:
    from rag.store import ChromaStore

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "dredging.md").write_text(HOSTILE_MD, encoding="utf-8")
    store = ChromaStore(fake_index(folder))
    chunks = store.chunks.get(include=["documents", "metadatas"])
    articles = store.articles.get(include=["documents", "metadatas"])
    everything = json.dumps(
        [chunks["documents"], chunks["metadatas"], articles["documents"], articles["metadatas"]]
    )
    assert chunks["ids"] and not UNSAFE.search(everything)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JAVASCRIPT:alert(1)",
        "data:text/html,<script>x</script>",
        "vbscript:x",
        "//evil.example/x",
        "https://ok.example/a b",
        'https://x.example/"onclick=',
        "file:///etc/passwd",
        "",
        None,
    ],
)
def test_only_http_urls_become_sources(url: str | None) -> None:
    assert safe_url(url) is None


def test_http_and_https_urls_are_kept_as_sources() -> None:
    assert safe_url("https://www.abc.net.au/news/1") == "https://www.abc.net.au/news/1"
    assert safe_url("http://example.com/x?y=1") == "http://example.com/x?y=1"


def test_json_lines_and_html_urls_with_other_schemes_fall_back_to_the_file(tmp_path: Path) -> None:
    record = {"id": "w1", "text": "A wire story about floods.", "url": "javascript:alert(1)"}
    path = tmp_path / "wire.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (wire,) = load_file(path, "wire", str(tmp_path), 10_000_000).articles
    assert wire.source == f"{tmp_path.name}/wire.jsonl:1"
    page = _load(
        tmp_path,
        "og.html",
        (
            "<html><head><title>Floods</title><link rel='canonical' href='javascript:alert(1)'>"
            "<meta property='og:url' content='javascript:alert(2)'></head><body><p>The river "
            "peaked at nine metres on Sunday, the weather bureau said, and roads were closed."
            "</p></body></html>"
        ),
    )
    assert page.source == f"{tmp_path.name}/og.html"


@pytest.mark.parametrize(
    "hidden",
    [
        "<div style='DISPLAY: NONE'>CANARY</div>",
        "<div style='color:red;display:none !important'>CANARY</div>",
        "<div style='visibility: hidden'>CANARY</div>",
        "<p hidden>CANARY</p>",
        "<span aria-hidden='TRUE'>CANARY</span>",
        "<script>document.write('CANARY')</script>",
        "<noscript>CANARY</noscript>",
        "<template><p>CANARY</p></template>",
        "<style>p::after { content: 'CANARY' }</style>",
        "<nav><a href='/'>CANARY</a></nav>",
        "<input type='text' value='CANARY'><textarea>CANARY</textarea>",
        "<svg><text>CANARY</text></svg>",
    ],
)
def test_hidden_html_never_becomes_article_text(tmp_path: Path, hidden: str) -> None:
    paragraph = (
        "<p>The river peaked at nine metres on Sunday, the weather bureau said, and "
        "several roads were closed overnight.</p>"
    )
    for i, html in enumerate(
        [
            hidden + paragraph,  # as a fragment's first element too
            f"<html><body>{paragraph}{hidden}</body></html>",
        ]
    ):
        article = _load(tmp_path, f"page{i}.html", html)
        assert "CANARY" not in article.text + article.title
        assert "The river peaked at nine metres" in article.text


def test_script_in_a_text_article_is_kept_as_literal_characters_in_store_and_quotes(
    tmp_path: Path, fake_index: Callable[..., Settings]
) -> None:
    from rag.pipeline import build_pipeline
    from rag.store import ChromaStore
    from tests.fakes import HashEmbedder

    body = (
        "The council website showed <script>alert('xss')</script> in the middle of the "
        "parking fines notice, the council's web manager said on Monday. "
        "The <b>bold</b> & <i>italic</i> tags were also shown as text."
    )
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "website.txt").write_text(f"Council website glitch\n\n{body}\n", encoding="utf-8")
    settings = fake_index(folder)
    store = ChromaStore(settings)
    article = store.get_article("website")
    assert article is not None and article.text == body
    (chunk,) = store.iter_chunks()
    assert "<script>alert('xss')</script>" in chunk.text and "&lt;" not in chunk.text

    answer = build_pipeline(settings, embedder=HashEmbedder()).ask(
        "What did the council website show in the parking fines notice?"
    )
    assert answer.citations, answer
    quote = answer.citations[0].quote
    assert quote == article.text[answer.citations[0].char_start : answer.citations[0].char_end]
    assert "<script>alert('xss')</script>" in quote
