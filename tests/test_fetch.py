"""rag/fetch.py: polite, bounded, conditional GETs, against a news site on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import __version__
from rag.config import load_settings
from rag.fetch import CACHE_FILE, FetchCache, Fetcher, FetchError, host_allowed, is_url
from tests.conftest import make_settings
from tests.webserver import FIXTURES, NewsSite, running


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with running() as news:
        yield news


def fetcher_for(tmp_path: Path, **overrides: object) -> Fetcher:
    settings = make_settings(tmp_path / "index", **{"fetch_rate": 100.0, **overrides})
    return Fetcher(settings, FetchCache(settings.index_dir / CACHE_FILE))


def test_requests_name_the_product_and_its_version(site: NewsSite, tmp_path: Path) -> None:
    with fetcher_for(tmp_path) as fetcher:
        page = fetcher.get(site.url("/feed.xml"))
    assert page.status == 200 and b"<rss" in page.body
    agent = site.log[-1][2]
    assert agent.startswith(f"newsrag/{__version__}")


def test_an_unchanged_page_costs_one_304_the_second_time(site: NewsSite, tmp_path: Path) -> None:
    url = site.url("/news/water-rates.html")
    with fetcher_for(tmp_path) as fetcher:
        first = fetcher.get(url)
        fetcher.remember(first)
        fetcher.cache.save()
    # A new run (a new process) reads the validators from the index folder.
    with fetcher_for(tmp_path) as fetcher:
        second = fetcher.get(url)
    assert first.status == 200 and first.etag
    assert second.not_modified and second.body == b""
    assert site.statuses("/news/water-rates.html") == [200, 304]


def test_an_unconditional_get_downloads_again(site: NewsSite, tmp_path: Path) -> None:
    url = site.url("/news/water-rates.html")
    with fetcher_for(tmp_path) as fetcher:
        fetcher.remember(fetcher.get(url))
        again = fetcher.get(url, conditional=False)
    assert again.status == 200 and again.body


def test_the_fetch_cache_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE
    cache = FetchCache(path)
    cache.put("http://127.0.0.1/a", etag='"x"', article_id="http://127.0.0.1/a")
    cache.save()
    assert FetchCache(path).get("http://127.0.0.1/a")["etag"] == '"x"'
    assert [p.name for p in tmp_path.iterdir()] == [CACHE_FILE]  # no temporary left
    path.write_text("{not json")
    assert FetchCache(path).entries == {}  # a damaged cache costs a download, not a crash


def test_a_page_slower_than_the_timeout_fails_quickly(site: NewsSite, tmp_path: Path) -> None:
    site.slow_seconds = 3
    started = time.monotonic()
    with fetcher_for(tmp_path, fetch_timeout=0.4) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(site.url("/slow"))
    assert "timed out after 0.4 s" in str(err.value)
    assert time.monotonic() - started < 2


def test_a_huge_page_is_cut_off_at_the_size_cap_while_streaming(
    site: NewsSite, tmp_path: Path
) -> None:
    site.huge_bytes = 200_000_000
    with fetcher_for(tmp_path, max_bytes=500_000) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(site.url("/huge"))
    assert "--max-bytes" in str(err.value)
    time.sleep(0.2)
    assert site.huge_sent < 50_000_000  # the client hung up long before the end


def test_a_redirect_loop_stops_after_five_redirects(site: NewsSite, tmp_path: Path) -> None:
    with fetcher_for(tmp_path) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(site.url("/loop/a"))
    assert "too many redirects" in str(err.value)
    requests = [p for p, _, _ in site.log if p.startswith("/loop/")]
    assert len(requests) == 6  # the first request and five redirects followed


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://h/"])
def test_only_http_and_https_urls_are_fetched(tmp_path: Path, url: str) -> None:
    with fetcher_for(tmp_path) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(url)
    assert "only http and https" in str(err.value)


def test_a_redirect_to_a_file_url_is_refused(site: NewsSite, tmp_path: Path) -> None:
    with fetcher_for(tmp_path) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(site.url("/to-file"))
    assert "non-http(s)" in str(err.value)


@pytest.mark.parametrize(("path", "status"), [("/error", "HTTP 500"), ("/nope.html", "HTTP 404")])
def test_server_errors_fail_with_their_status(
    site: NewsSite, tmp_path: Path, path: str, status: str
) -> None:
    with fetcher_for(tmp_path) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(site.url(path))
    assert str(err.value).startswith(status)


def test_a_server_that_is_down_fails_with_a_reason(tmp_path: Path) -> None:
    with running() as site:
        url = site.url("/feed.xml")
    with fetcher_for(tmp_path) as fetcher, pytest.raises(FetchError) as err:
        fetcher.get(url)
    assert "cannot connect" in str(err.value)


def test_requests_to_one_host_are_spaced_by_the_rate(site: NewsSite, tmp_path: Path) -> None:
    with fetcher_for(tmp_path, fetch_rate=5.0) as fetcher:
        started = time.monotonic()
        for _ in range(4):
            fetcher.get(site.url("/feed.xml"), conditional=False)
        elapsed = time.monotonic() - started
    assert elapsed >= 0.55  # three gaps of 0.2 s


def test_a_stop_request_interrupts_the_wait_between_requests(
    site: NewsSite, tmp_path: Path
) -> None:
    from rag.fetch import Stopped

    with fetcher_for(tmp_path, fetch_rate=0.1) as fetcher:
        fetcher.get(site.url("/feed.xml"))
        fetcher.stop.set()
        started = time.monotonic()
        with pytest.raises(Stopped):
            fetcher.get(site.url("/atom.xml"))
    assert time.monotonic() - started < 1


def test_urls_are_told_apart_from_paths() -> None:
    assert is_url("https://news.example/feed.xml") and is_url("ftp://x/y")
    assert not is_url("corpus/lee") and not is_url("C:\\news") and not is_url("a:b")


def test_chat_window_urls_are_limited_to_allowed_hosts() -> None:
    allowed = ("news.example", "127.0.0.1")
    assert host_allowed("https://news.example/a", allowed)
    assert host_allowed("https://www.news.example/a", allowed)
    assert host_allowed("http://127.0.0.1:8000/feed.xml", allowed)
    assert not host_allowed("https://evil-news.example/a", allowed)
    assert not host_allowed("https://news.example.evil.test/a", allowed)
    assert not host_allowed("file:///etc/passwd", allowed)
    assert not host_allowed("https://news.example/a", ())


def test_fetch_settings_come_from_the_environment() -> None:
    settings = load_settings(
        env={
            "RAG_FETCH_ALLOW": "News.Example, intranet.local",
            "RAG_FETCH_RATE": "2",
            "RAG_FETCH_TIMEOUT": "5",
        }
    )
    assert settings.fetch_allow == ("news.example", "intranet.local")
    assert settings.fetch_rate == 2.0 and settings.fetch_timeout == 5.0
    defaults = load_settings(env={})
    assert defaults.fetch_rate == 1.0 and defaults.fetch_timeout == 20.0
    assert defaults.fetch_allow == ()


def test_a_fetcher_limited_to_allowed_hosts_refuses_others_and_redirects_to_them(
    site: NewsSite, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "index", fetch_rate=100.0)
    with Fetcher(settings, allowed_hosts=("127.0.0.1",)) as fetcher:
        assert fetcher.get(site.url("/feed.xml")).status == 200
        with pytest.raises(FetchError, match="RAG_FETCH_ALLOW"):
            fetcher.get(site.url("/elsewhere"))
    elsewhere = Fetcher(settings, allowed_hosts=("news.example",))
    with elsewhere, pytest.raises(FetchError, match="not a site URLs may be added from"):
        elsewhere.get(site.url("/feed.xml"))
    assert site.statuses("/feed.xml") == [200]  # nothing was requested from elsewhere
    with Fetcher(settings) as fetcher:  # the operator's CLI: any host
        assert fetcher.get(site.url("/elsewhere")).status == 200


def test_paths_the_sites_robots_txt_disallows_are_not_fetched(
    site: NewsSite, tmp_path: Path
) -> None:
    with fetcher_for(tmp_path) as fetcher:
        with pytest.raises(FetchError, match="robots.txt"):
            fetcher.get(site.url("/drafts/budget-leak.html"))
        assert fetcher.get(site.url("/feed.xml")).status == 200
    assert not [p for p, _, _ in site.log if p.startswith("/drafts/")]
    assert site.statuses("/robots.txt") == [200]  # once per site and run


def test_robots_txt_is_asked_for_conditionally_in_the_next_run(
    site: NewsSite, tmp_path: Path
) -> None:
    for _ in range(2):
        with fetcher_for(tmp_path) as fetcher:
            fetcher.get(site.url("/feed.xml"))
            fetcher.cache.save()
            with pytest.raises(FetchError, match="robots.txt"):
                fetcher.get(site.url("/drafts/budget-leak.html"))  # rules kept on a 304
    assert site.statuses("/robots.txt") == [200, 304]


def test_a_crawl_delay_slows_requests_to_that_site(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "web"
    shutil.copytree(FIXTURES, root)
    (root / "robots.txt").write_text("User-agent: *\nCrawl-delay: 1\n")
    with running(root=root) as site, fetcher_for(tmp_path) as fetcher:
        started = time.monotonic()
        for _ in range(3):
            fetcher.get(site.url("/feed.xml"), conditional=False)
        elapsed = time.monotonic() - started
    assert elapsed >= 2.9  # robots.txt and three pages, a second apart (not 1/100 s)
