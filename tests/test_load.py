"""rag/load.py: files of every supported format become clean Articles with stable ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.load import discover, load_file
from rag.types import Article
from tests.conftest import CORPUS, SEED

MAX = 10_000_000


def load_one(path: Path, article_id: str = "doc") -> Article:
    result = load_file(path, article_id, str(path.parent), MAX)
    assert not result.failed, result.failed
    assert len(result.articles) == 1
    return result.articles[0]


@pytest.fixture(scope="module")
def seed_article() -> Article:
    return load_one(SEED, "us-red-lines-ukraine-2024-11-22")


# -- .txt, the seed format ---------------------------------------------------------------


def test_seed_date_line_becomes_published_date(seed_article: Article) -> None:
    assert seed_article.published == "2024-11-22"


def test_seed_title_is_first_line_that_is_not_a_date(seed_article: Article) -> None:
    assert seed_article.title == (
        "US considers crossing red lines on Western troops and missiles in Ukraine war"
    )


def test_seed_text_starts_with_the_body_not_the_title_or_date(seed_article: Article) -> None:
    assert seed_article.text.startswith("The US is reportedly considering")
    assert "Friday, November 22, 2024" not in seed_article.text


def test_seed_boilerplate_lines_are_dropped(seed_article: Article) -> None:
    assert "Must read" in SEED.read_text()  # the raw file has them ...
    assert "Latest article" in SEED.read_text()
    assert "Must read" not in seed_article.text  # ... the clean text does not
    assert "Latest article" not in seed_article.text


def test_seed_photo_caption_is_dropped(seed_article: Article) -> None:
    assert "(Photo: Andrii Marienko/AP)" in SEED.read_text()
    assert "Andrii Marienko" not in seed_article.text
    assert "printing house" not in seed_article.text


def test_seed_keeps_the_kallas_paragraph(seed_article: Article) -> None:
    assert "Kaja Kallas" in seed_article.text
    assert "Article 5 mutual defence clause" in seed_article.text


def test_txt_paragraphs_are_separated_by_one_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("A title\n\n\n\nFirst  paragraph\nwith a line break.\n\n\nSecond one.\n")
    article = load_one(path)
    assert article.text == "First paragraph\n\nwith a line break.\n\nSecond one."


def test_txt_zero_width_and_tag_characters_are_stripped_not_rejected(tmp_path: Path) -> None:
    path = tmp_path / "z.txt"
    raw = "Title\n\nZero\u200bwidth and tag\U000e0041\U000e0042 text.\n"
    path.write_text(raw, encoding="utf-8")
    article = load_one(path)
    assert article.text == "Zerowidth and tag text."


def test_txt_text_is_nfc_normalised(tmp_path: Path) -> None:
    path = tmp_path / "n.txt"
    path.write_text("Title\n\nCafe\u0301 society.\n", encoding="utf-8")
    assert load_one(path).text == "Caf\u00e9 society."


def test_txt_markup_is_kept_as_written(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("Title\n\nThe post said <script>alert(1)</script> loudly.\n")
    assert "<script>alert(1)</script>" in load_one(path).text


@pytest.mark.parametrize(
    "date_line",
    [
        "Friday, November 22, 2024",
        "22 November 2024",
        "2024-11-22",
        "Nov. 22, 2024",
        "November 22nd, 2024",
        "Friday 22 November 2024",
        "Fri, 22 Nov 2024",
    ],
)
def test_txt_date_line_in_common_formats_gives_published(tmp_path: Path, date_line: str) -> None:
    path = tmp_path / "d.txt"
    path.write_text(f"{date_line}\n\nThe title\n\nBody text.\n")
    article = load_one(path)
    assert (article.published, article.title, article.text) == (
        "2024-11-22",
        "The title",
        "Body text.",
    )


def test_txt_date_line_after_the_title_gives_published(tmp_path: Path) -> None:
    path = tmp_path / "d.txt"
    path.write_text("The title\nFriday, November 22, 2024\n\nBody text.\n")
    article = load_one(path)
    assert (article.published, article.title, article.text) == (
        "2024-11-22",
        "The title",
        "Body text.",
    )


def test_txt_without_date_has_no_published_date(tmp_path: Path) -> None:
    path = tmp_path / "u.txt"
    path.write_text("Plain title\n\nBody text.\n")
    article = load_one(path)
    assert article.published is None
    assert article.title == "Plain title"


def test_empty_file_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n")
    result = load_file(path, "empty", str(tmp_path), MAX)
    assert result.articles == []
    assert result.failed == [(str(path), "file is empty")]


def test_file_over_max_bytes_fails_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("Title\n\n" + "word " * 1000)
    result = load_file(path, "big", str(tmp_path), 1000)
    assert result.articles == []
    assert "max-bytes" in result.failed[0][1]


def test_binary_file_with_text_extension_fails(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    result = load_file(path, "image", str(tmp_path), MAX)
    assert result.articles == [] and "binary" in result.failed[0][1]


# -- .md -----------------------------------------------------------------------------------

MARKDOWN = """---
title: Budget surplus announced
date: 2023-05-04
url: https://example.com/budget
author: Jane Reporter
---
# Budget surplus announced

The treasurer announced a [surprise surplus](https://example.com/x) on Tuesday.

Economists were divided.
"""


def test_md_front_matter_gives_title_date_and_url(tmp_path: Path) -> None:
    path = tmp_path / "budget.md"
    path.write_text(MARKDOWN)
    article = load_one(path)
    assert article.title == "Budget surplus announced"
    assert article.published == "2023-05-04"
    assert article.source == "https://example.com/budget"


def test_md_front_matter_and_link_targets_are_not_in_the_text(tmp_path: Path) -> None:
    path = tmp_path / "budget.md"
    path.write_text(MARKDOWN)
    text = load_one(path).text
    assert "author" not in text and "---" not in text
    assert "a surprise surplus on Tuesday" in text
    assert "https://example.com/x" not in text


def test_md_without_front_matter_takes_title_from_first_heading(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# A heading title\n\nBody paragraph.\n")
    article = load_one(path)
    assert article.title == "A heading title"
    assert article.text == "Body paragraph."
    assert article.source == f"{tmp_path.name}/plain.md"


# -- .html ----------------------------------------------------------------------------------

PARAGRAPHS = [
    "The city council of Springfield voted on Tuesday to approve a new bridge over the river, "
    "a project that has been discussed for more than a decade by residents and officials.",
    "Mayor Quimby said the bridge would open in 2025 and cost about 40 million dollars, funded "
    "by state and federal grants as well as local bonds approved by voters last year.",
    "Opponents argued that the money would be better spent on schools and roads, but the "
    "council approved the plan by seven votes to two after a long debate.",
]
HTML = f"""<!doctype html><html><head><title>Springfield approves bridge</title>
<meta property="article:published_time" content="2022-03-01">
<link rel="canonical" href="https://news.example/bridge"></head>
<body><nav><a href="/">Home</a> | <a href="/world">World</a> | NAVLINKS menu</nav>
<script>var leaked = "SCRIPTTEXT";</script>
<article><h1>Springfield approves bridge</h1>
<p>{PARAGRAPHS[0]}</p>
<p>{PARAGRAPHS[1]}</p>
<div style="display: none">HIDDENTEXT injected instructions</div>
<p>{PARAGRAPHS[2]}</p>
</article>
<footer>Copyright 2022 FOOTERCORP. All rights reserved.</footer>
</body></html>"""


@pytest.fixture(scope="module")
def html_article(tmp_path_factory: pytest.TempPathFactory) -> Article:
    path = tmp_path_factory.mktemp("html") / "bridge.html"
    path.write_text(HTML)
    return load_one(path, "bridge")


def test_html_main_text_is_extracted(html_article: Article) -> None:
    assert html_article.text == "\n\n".join(PARAGRAPHS)


def test_html_navigation_scripts_hidden_text_and_footer_are_dropped(html_article: Article) -> None:
    for junk in ("NAVLINKS", "SCRIPTTEXT", "HIDDENTEXT", "FOOTERCORP"):
        assert junk not in html_article.text


def test_html_metadata_gives_title_date_and_url(html_article: Article) -> None:
    assert html_article.title == "Springfield approves bridge"
    assert html_article.published == "2022-03-01"
    assert html_article.source == "https://news.example/bridge"


# -- .jsonl ---------------------------------------------------------------------------------


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_jsonl_records_become_articles_keyed_by_their_id(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            json.dumps(
                {
                    "id": "rec-1",
                    "title": "Wheat exports",
                    "text": "Wheat exports rose.",
                    "published": "2021-01-02",
                    "url": "https://r.example/1",
                }
            ),
            json.dumps({"id": "rec-2", "title": "Rain", "text": "It rained."}),
        ],
    )
    result = load_file(path, "feed", str(tmp_path), MAX)
    assert result.failed == []
    first, second = result.articles
    assert (first.article_id, first.title, first.text) == (
        "rec-1",
        "Wheat exports",
        "Wheat exports rose.",
    )
    assert (first.published, first.source) == ("2021-01-02", "https://r.example/1")
    assert second.article_id == "rec-2" and second.published is None


def test_jsonl_bad_line_fails_as_file_colon_line_and_the_rest_is_kept(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            json.dumps({"id": "ok-1", "text": "Fine."}),
            "{not json",
            json.dumps({"id": "ok-2", "text": "Also fine."}),
            json.dumps({"title": "no id", "text": "Orphan."}),
        ],
    )
    result = load_file(path, "feed", str(tmp_path), MAX)
    assert [a.article_id for a in result.articles] == ["ok-1", "ok-2"]
    assert [where for where, _ in result.failed] == [f"{path}:2", f"{path}:4"]
    assert all(reason for _, reason in result.failed)


def test_jsonl_line_json_cannot_read_fails_alone_and_ingest_goes_on(tmp_path: Path) -> None:
    # A 5000-digit number raises a plain ValueError, deep nesting a RecursionError: neither
    # is a JSONDecodeError, and neither may stop the file's other records loading.
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            '{"id": "huge", "text": "Big.", "n": ' + "1" * 5000 + "}",
            "[" * 100_000,
            json.dumps({"id": "ok", "text": "Fine."}),
        ],
    )
    result = load_file(path, "feed", str(tmp_path), MAX)
    assert [a.article_id for a in result.articles] == ["ok"]
    assert [where for where, _ in result.failed] == [f"{path}:1", f"{path}:2"]
    assert all(reason.startswith("not valid JSON") for _, reason in result.failed)


# -- discovery and article ids ----------------------------------------------------------------


def test_article_id_is_relative_path_without_extension() -> None:
    files, _, _ = discover([CORPUS])
    ids = {f.article_id for f in files}
    assert "lee/lee-017" in ids
    assert "us-red-lines-ukraine-2024-11-22" in ids
    assert len(ids) == 301


def test_readme_converter_script_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# About\n\nNot an article.\n")
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "convert.py").write_text("print(1)\n")
    (tmp_path / "story.txt").write_text("Title\n\nBody.\n")
    files, ignored, missing = discover([tmp_path])
    assert [f.article_id for f in files] == ["story"]
    assert ignored == 3 and missing == []


def test_missing_path_is_reported_not_raised(tmp_path: Path) -> None:
    files, _, missing = discover([tmp_path / "nowhere"])
    assert files == [] and missing == [(str(tmp_path / "nowhere"), "no such file or folder")]


def test_single_file_gets_its_name_as_article_id(tmp_path: Path) -> None:
    (tmp_path / "one.txt").write_text("Title\n\nBody.\n")
    files, _, _ = discover([tmp_path / "one.txt"])
    assert [f.article_id for f in files] == ["one"]


def test_same_text_gives_same_content_hash_and_changed_text_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Title\n\nBody one.\n")
    before = load_one(path).content_hash
    assert load_one(path).content_hash == before
    path.write_text("Title\n\nBody two.\n")
    assert load_one(path).content_hash != before


def test_utf16_and_crlf_text_is_decoded_to_the_same_article(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("Title\n\nCafé prices rose.\n", encoding="utf-8")
    wide = tmp_path / "wide.txt"
    wide.write_bytes("Title\r\n\r\nCafé prices rose.\r\n".encode("utf-16"))
    assert load_one(wide).text == load_one(plain).text == "Café prices rose."


def test_files_of_a_folder_given_by_absolute_path_name_their_source_below_that_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "news" / "corpus"
    (folder / "lee").mkdir(parents=True)
    (folder / "lee" / "lee-017.txt").write_text("A title\n\nA body paragraph.\n")
    (folder / "wire.jsonl").write_text('{"id": "w1", "text": "A wire story."}\n')
    files, _, _ = discover([folder.resolve()])
    sources = {
        a.article_id: a.source
        for f in files
        for a in load_file(f.path, f.article_id, f.root, MAX).articles
    }
    assert sources == {"lee/lee-017": "corpus/lee/lee-017.txt", "w1": "corpus/wire.jsonl:1"}
