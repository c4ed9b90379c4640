"""rag/feeds.py and ingest by URL: pages, RSS/Atom feeds and sitemaps from a local site."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.config import Settings
from rag.feeds import Item, article_from_html, canonical_url, parse_listing, sniff
from rag.fetch import FetchError, Page
from rag.ingest import ingest
from rag.store import ChromaStore
from rag.types import IngestReport
from tests.conftest import make_settings
from tests.fakes import HashEmbedder, passages_embedded
from tests.webserver import FIXTURES, NewsSite, running

BROKEN = {
    "/news/withdrawn.html": "HTTP 404",
    "/error": "HTTP 500",
    "/slow": "timed out",
    "/huge": "--max-bytes",
    "/loop/a": "too many redirects",
    "/files/photo.png": "not an HTML page or a feed (image/png)",
}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[NewsSite]:
    """The fixture site served from a copy, so a test may change its files."""
    root = tmp_path / "web"
    shutil.copytree(FIXTURES, root)
    with running(root=root) as news:
        news.slow_seconds = 2
        yield news


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "index", fetch_rate=200.0, fetch_timeout=0.5, max_bytes=300_000)


class Factory:
    """An embedder factory that counts the texts its embedders embedded."""

    def __init__(self) -> None:
        self.embedders: list[HashEmbedder] = []

    def __call__(self) -> HashEmbedder:
        self.embedders.append(HashEmbedder())
        return self.embedders[-1]

    @property
    def embedded(self) -> int:
        return sum(e.texts_embedded for e in self.embedders)


def run(settings: Settings, *urls: str, paths: tuple[Path, ...] = (), **kw: object) -> IngestReport:
    return ingest(list(paths), settings, Factory(), quiet=True, urls=list(urls), **kw)  # type: ignore[arg-type]


def stored(settings: Settings) -> dict[str, dict[str, object]]:
    return {row["article_id"]: row for row in ChromaStore(settings).list_articles()}


def page(site: NewsSite, path: str, content_type: str = "text/html") -> Page:
    body = (
        (FIXTURES / path.lstrip("/"))
        .read_bytes()
        .replace(b"http://127.0.0.1:PORT", site.base.encode())
    )
    return Page(site.url(path), site.url(path), 200, body, content_type)


# -- what a URL is ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/feed.xml", "rss"),
        ("/atom.xml", "atom"),
        ("/sitemap.xml", "sitemap"),
        ("/sitemap-index.xml", "sitemapindex"),
        ("/news/water-rates.html", "html"),
        ("/files/photo.png", "binary"),
    ],
)
def test_what_a_url_is_comes_from_its_content_not_its_name(
    site: NewsSite, path: str, kind: str
) -> None:
    # Served under a misleading type: the content decides.
    assert sniff(page(site, path, content_type="application/octet-stream")) == kind


def test_rss_items_give_their_links_dates_and_titles(site: NewsSite) -> None:
    listing = parse_listing(page(site, "/feed.xml").body, "rss", site.url("/feed.xml"))
    assert len(listing.items) == 11
    first = listing.items[0]
    assert first.url == site.url("/news/harbour-bridge.html?utm_source=rss&utm_medium=feed")
    assert first.published == "Tue, 04 Mar 2025 07:30:00 GMT"
    assert first.title == "Harbour bridge to close for six weeks of repairs"
    assert listing.items[2].published is None  # the library item has no date


def test_atom_entries_resolve_relative_links_and_skip_enclosures(site: NewsSite) -> None:
    listing = parse_listing(page(site, "/atom.xml").body, "atom", site.url("/atom.xml"))
    assert [i.url for i in listing.items] == [
        site.url("/news/council-budget.html"),
        site.url("/news/ferry-timetable.html"),
    ]
    assert [i.published for i in listing.items] == ["2025-03-10T18:45:00Z", "2025-01-28T12:00:00Z"]


def test_news_sitemaps_give_publication_dates_and_indexes_give_sitemaps(site: NewsSite) -> None:
    listing = parse_listing(page(site, "/sitemap.xml").body, "sitemap", site.base)
    assert listing.items[0] == Item(
        site.url("/news/school-garden.html"),
        "2025-03-07T15:20:00+00:00",
        "Primary school pupils plant a hundred fruit trees",
    )
    assert listing.items[1].published == "2025-01-12"  # <lastmod> when there is no news date
    index = parse_listing(page(site, "/sitemap-index.xml").body, "sitemapindex", site.base)
    assert index.sitemaps == (site.url("/sitemap.xml"), site.url("/sitemap-transport.xml"))


def test_malformed_xml_is_a_malformed_feed(site: NewsSite) -> None:
    with pytest.raises(FetchError, match="malformed feed"):
        parse_listing(page(site, "/broken.xml").body, "rss", site.base)


# -- articles from pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "published"),
    [
        ("/news/harbour-bridge.html", "2025-03-04"),  # <meta property="article:published_time">
        ("/news/water-rates.html", "2025-02-18"),  # JSON-LD datePublished
        ("/news/library-reopens.html", "2025-01-12"),  # only in the byline
    ],
)
def test_a_pages_date_is_found_in_meta_json_ld_or_byline(
    site: NewsSite, path: str, published: str
) -> None:
    article = article_from_html(page(site, path), root=site.base)
    assert (article.published or "")[:10] == published


def test_a_page_without_a_date_takes_its_feed_items_date(site: NewsSite) -> None:
    item = Item(site.url("/news/school-garden.html"), "Fri, 07 Mar 2025 15:20:00 +0000")
    article = article_from_html(page(site, "/news/school-garden.html"), site.base, item)
    assert (article.published or "")[:10] == "2025-03-07"


def test_an_articles_id_and_source_are_its_canonical_url(site: NewsSite) -> None:
    raw = page(site, "/news/harbour-bridge.html")
    tracked = Page(
        raw.url + "?utm_source=rss", raw.final_url + "?utm_source=rss", 200, raw.body, "text/html"
    )
    article = article_from_html(tracked, root=site.base)
    assert article.article_id == article.source == site.url("/news/harbour-bridge")
    assert article.title == "Harbour bridge to close for six weeks of repairs"


def test_navigation_and_footer_boilerplate_are_not_article_text(site: NewsSite) -> None:
    article = article_from_html(page(site, "/news/harbour-bridge.html"), root=site.base)
    assert "corroded steel bearings" in article.text
    for boilerplate in ("Subscribe", "Privacy policy", "cookies", "Tide tables", "dataLayer"):
        assert boilerplate not in article.text


def test_a_canonical_url_on_another_site_is_not_trusted() -> None:
    final = "https://news.example/story?id=4"
    assert canonical_url("https://other.example/story", final) == "https://news.example/story?id=4"
    assert canonical_url("/story-4", final) == "https://news.example/story-4"
    assert canonical_url("https://www.news.example/s#top", final) == "https://www.news.example/s"
    assert canonical_url("javascript:alert(1)", final) == final


# -- ingest by URL -------------------------------------------------------------------------


def test_ingesting_a_feed_stores_its_pages_with_dates_and_urls(
    site: NewsSite, settings: Settings
) -> None:
    report = run(settings, site.url("/feed.xml"))
    articles = stored(settings)
    assert {aid: str(row["published"])[:10] for aid, row in articles.items()} == {
        site.url("/news/harbour-bridge"): "2025-03-04",
        site.url("/news/water-rates"): "2025-02-18",
        site.url("/news/library-reopens"): "2025-01-12",
        site.url("/news/school-garden.html"): "2025-03-07",  # from the feed item
        site.url("/news/storm-warning"): "2025-03-12",
    }
    assert all(row["source"] == aid for aid, row in articles.items())
    assert report.articles == 5 and report.embedded == report.chunks > 0
    failed = dict(report.failed)
    assert set(failed) == {site.url(p) for p in BROKEN}
    for path, reason in BROKEN.items():
        assert reason in failed[site.url(path)]


def test_a_second_ingest_of_an_unchanged_feed_embeds_nothing_and_costs_304s(
    site: NewsSite, settings: Settings
) -> None:
    first = run(settings, site.url("/feed.xml"))
    site.clear_log()
    factory = Factory()
    second = ingest([], settings, factory, quiet=True, urls=[site.url("/feed.xml")])
    assert second.embedded == 0 and factory.embedded == 0
    assert second.articles == first.articles == 5 and second.skipped == 5
    assert second.chunks == first.chunks
    assert site.statuses("/feed.xml") == [304]
    article_statuses = [
        s for p, s, _ in site.log if p.startswith("/news/") and "withdrawn" not in p
    ]
    assert article_statuses == [304] * 5
    assert ChromaStore(settings).count_articles() == 5


def test_a_changed_page_is_re_embedded_and_its_old_text_is_gone(
    site: NewsSite, settings: Settings
) -> None:
    from rag.pipeline import build_pipeline

    run(settings, site.url("/feed.xml"))
    site.version = 2
    factory = Factory()
    report = ingest([], settings, factory, quiet=True, urls=[site.url("/feed.xml")])
    assert report.changed == 1 and report.new == 0 and report.skipped == 4
    chunks = list(ChromaStore(settings).iter_chunks())
    assert 0 < passages_embedded(factory.embedders, chunks) <= report.chunks
    store = ChromaStore(settings)
    texts = " ".join(c.text for c in store.iter_chunks())
    assert "lifted the storm warning" in texts and "90 kilometres an hour" not in texts
    assert store.count_articles() == 5
    answer = build_pipeline(settings, embedder=HashEmbedder()).ask(
        "What did forecasters say about the storm warning on the coast?"
    )
    quotes = " ".join(c.quote for c in answer.citations)
    assert "90 kilometres" not in quotes and "issued a storm warning" not in quotes


def test_each_article_is_counted_once_however_often_it_is_listed(
    site: NewsSite, settings: Settings
) -> None:
    # The feed links a tracking URL, the sitemap and the command line the plain one.
    run(
        settings,
        site.url("/feed.xml"),
        site.url("/sitemap.xml"),
        site.url("/news/harbour-bridge.html"),
    )
    assert ChromaStore(settings).count_articles() == 5


def test_a_sitemap_index_is_followed_to_its_sitemaps(site: NewsSite, settings: Settings) -> None:
    report = run(settings, site.url("/sitemap-index.xml"))
    assert report.failed == ()
    assert set(stored(settings)) == {
        site.url("/news/school-garden.html"),
        site.url("/news/library-reopens"),
        site.url("/news/ferry-timetable"),
        site.url("/news/council-budget"),
    }


def test_an_atom_feed_without_an_extension_is_still_a_feed(
    site: NewsSite, settings: Settings
) -> None:
    report = run(settings, site.url("/feeds/transport"))
    assert report.articles == 2 and not report.failed
    assert str(stored(settings)[site.url("/news/council-budget")]["published"])[:10] == "2025-03-10"


def test_urls_and_folders_can_be_ingested_together(
    site: NewsSite, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "note.txt").write_text("Harbour notes\n\nThe tide was high at noon on Friday.\n")
    report = run(settings, site.url("/news/water-rates.html"), paths=(folder,))
    assert report.articles == 2 and not report.failed
    assert set(stored(settings)) == {"note", site.url("/news/water-rates")}


def test_a_broken_feed_fails_and_loses_nothing_already_indexed(
    site: NewsSite, settings: Settings
) -> None:
    run(settings, site.url("/atom.xml"))
    report = run(settings, site.url("/broken.xml"), site.url("/files/photo.png"))
    failed = dict(report.failed)
    assert "malformed feed" in failed[site.url("/broken.xml")]
    assert "not an HTML page" in failed[site.url("/files/photo.png")]
    assert report.articles == 0
    assert ChromaStore(settings).count_articles() == 2


def test_a_server_that_is_down_loses_nothing_already_indexed(
    settings: Settings, tmp_path: Path
) -> None:
    root = tmp_path / "web"
    shutil.copytree(FIXTURES, root)
    with running(root=root) as site:
        url = site.url("/atom.xml")
        run(settings, url)
    report = run(settings, url)
    assert "cannot connect" in dict(report.failed)[url]
    assert ChromaStore(settings).count_articles() == 2


def test_prune_drops_what_a_feed_no_longer_lists_and_only_with_prune(
    site: NewsSite, settings: Settings
) -> None:
    run(settings, site.url("/atom.xml"))
    atom = Path(site.root) / "atom.xml"
    text = atom.read_text()
    start = text.index("  <entry>\n    <title>Winter ferry")
    atom.write_text(text[:start] + text[text.index("</entry>", start) + len("</entry>\n") :])
    kept = run(settings, site.url("/atom.xml"))
    assert kept.removed == 0 and ChromaStore(settings).count_articles() == 2
    pruned = run(settings, site.url("/atom.xml"), prune=True)
    assert pruned.removed == 1
    assert set(stored(settings)) == {site.url("/news/council-budget")}


def test_a_page_the_index_lost_is_downloaded_again_not_trusted_to_a_304(
    site: NewsSite, settings: Settings
) -> None:
    from rag.ingest import delete

    run(settings, site.url("/news/water-rates.html"))
    delete([site.url("/news/water-rates")], settings)
    report = run(settings, site.url("/news/water-rates.html"))
    assert report.articles == 1 and report.new == 1
    assert site.statuses("/news/water-rates.html") == [200, 200]


def test_rag_ingest_url_json_lists_failures_by_url(site: NewsSite, tmp_path: Path) -> None:
    from tests.conftest import run_rag

    result = run_rag(
        "ingest",
        site.url("/broken.xml"),
        site.url("/news/withdrawn.html"),
        "ftp://127.0.0.1/x",
        "--json",
        "--timeout",
        "2",
        "--rate",
        "50",
        index=tmp_path / "cli-index",
    )
    assert result.returncode == 2, result.stderr
    body = json.loads(result.stdout)
    assert set(body) >= {"articles", "chunks", "embedded", "skipped", "failed", "seconds"}
    reasons = {f["path"]: f["error"] for f in body["failed"]}
    assert "malformed feed" in reasons[site.url("/broken.xml")]
    assert reasons[site.url("/news/withdrawn.html")].startswith("HTTP 404")
    assert "only http and https" in reasons["ftp://127.0.0.1/x"]
    assert "Traceback" not in result.stderr


class StopOnceFetched(threading.Event):
    """A stop request that comes as soon as the site has answered for `path` (SIGTERM)."""

    def __init__(self, site: NewsSite, path: str) -> None:
        super().__init__()
        self.site, self.path = site, path

    def is_set(self) -> bool:
        return bool(self.site.statuses(self.path))


def test_a_listing_cut_short_by_a_stop_prunes_nothing(site: NewsSite, settings: Settings) -> None:
    run(settings, site.url("/atom.xml"))
    site.clear_log()
    stop = StopOnceFetched(site, "/atom.xml")
    report = run(settings, site.url("/atom.xml"), prune=True, stop=stop)
    assert report.stopped and report.removed == 0
    assert site.statuses("/atom.xml") == [304] and len(site.log) <= 3  # robots, feed, 1 page
    assert ChromaStore(settings).count_articles() == 2
