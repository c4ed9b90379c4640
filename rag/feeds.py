"""Turn URLs into articles: a page, an RSS 2.0 / Atom feed, a (news) sitemap or an index.

What a URL is comes from its content, never its extension. For a feed or sitemap each
linked page is fetched and extracted with trafilatura (main text, title, date, canonical
URL); an article's id and `source` are its canonical URL. Its date is, in order, the one
the page's markup gives (meta tags, JSON-LD, a dated byline), the feed item's own date,
and last htmldate's search of the page text (which can mistake "© 2025" for a date, so a
feed's explicit date is preferred to it).

Nothing here writes the index: `collect` returns the articles, the ids of pages that
answered 304 (unchanged), and the failures; the fetch cache is updated only once the
caller has stored the articles (`WebResult.commit`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from rag.errors import BadInputError
from rag.fetch import Fetcher, FetchError, Page, Stopped, normalise_url
from rag.load import (
    clean_text,
    decode_bytes,
    join_paragraphs,
    looks_binary,
    make_article,
    parse_date,
    safe_url,
    strip_hidden_html,
)
from rag.types import Article

LISTING_KINDS = ("rss", "atom", "sitemap", "sitemapindex")
# The root element names what an XML document is (RSS 1.0's root is rdf:RDF).
_ROOTS = {
    "rss": "rss",
    "rdf": "rss",
    "feed": "atom",
    "urlset": "sitemap",
    "sitemapindex": "sitemapindex",
}
_FIRST_TAG = re.compile(rb"<([A-Za-z][\w.\-]*:)?([A-Za-z][\w.\-]*)")
_PROLOGUE = re.compile(rb"^(\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.DOTALL | re.IGNORECASE)
_NAMES = {"rss": "feed", "atom": "feed", "sitemap": "sitemap", "sitemapindex": "sitemap index"}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# A sitemap index may list sitemaps that list sitemaps; deeper than this is a mistake.
_MAX_DEPTH = 3
ACCEPT_ANY = (
    "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, "
    "application/xml;q=0.9, */*;q=0.5"
)
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a feed or sitemap: the page it links to and what the listing says."""

    url: str
    published: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    kind: str  # one of LISTING_KINDS
    items: tuple[Item, ...]
    sitemaps: tuple[str, ...] = ()  # for a sitemap index


@dataclass
class WebResult:
    """What a set of URLs gave; see the module docstring."""

    articles: list[Article] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # article ids of pages that gave 304
    failed: list[tuple[str, str]] = field(default_factory=list)
    # For --prune: each URL given whose listing was read, and the article ids (or item
    # URLs, for items not yet known) it lists now; "*" when it was not read whole.
    listed: dict[str, set[str]] = field(default_factory=dict)
    stopped: bool = False
    _remember: list[tuple[Page, dict[str, Any]]] = field(default_factory=list)

    def commit(self, fetcher: Fetcher) -> None:
        """Keep the validators of what was fetched; call once the articles are stored."""
        for page, values in self._remember:
            fetcher.remember(page, **values)
        self._remember.clear()
        fetcher.cache.save()


def sniff(page: Page) -> str:
    """What a response is, from its content: a listing kind, "html", or "other"."""
    body = page.body
    if not body.strip():
        return "empty"
    if looks_binary(body):
        return "binary"
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = decode_bytes(body[:8192]).encode("utf-8", "replace")
    head = _PROLOGUE.sub(b"", head, count=1)
    match = _FIRST_TAG.match(head.lstrip())
    if match:
        name = match.group(2).decode("ascii", "replace").lower()
        if name in _ROOTS:
            return _ROOTS[name]
        if name in ("html", "head", "body"):
            return "html"
    if page.content_type in _HTML_TYPES or b"<html" in head.lower():
        return "html"
    return "other"


def parse_listing(body: bytes, kind: str, base_url: str) -> Listing:
    """The items of a feed or sitemap; FetchError("malformed …") for broken XML."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError as exc:
        what = "sitemap" if kind.startswith("sitemap") else "feed"
        raise FetchError(f"malformed {what}: {str(exc).splitlines()[0][:160]}") from None
    if kind == "sitemapindex":
        locs = [_text(s, "loc") for s in _children(root, "sitemap")]
        return Listing(kind, (), tuple(urljoin(base_url, u) for u in locs if u))
    items: list[Item] = []
    if kind == "sitemap":
        for entry in _children(root, "url"):
            loc = _text(entry, "loc")
            news = next(_children(entry, "news"), None)
            published = _text(news, "publication_date") if news is not None else None
            title = _text(news, "title") if news is not None else None
            if loc:
                items.append(
                    Item(urljoin(base_url, loc), published or _text(entry, "lastmod"), title)
                )
    elif kind == "atom":
        for entry in _descendants(root, "entry"):
            link = _atom_link(entry)
            if link:
                published = _text(entry, "published") or _text(entry, "updated")
                items.append(Item(urljoin(base_url, link), published, _text(entry, "title")))
    else:  # RSS 2.0 (and RSS 1.0, whose items sit beside the channel)
        for entry in _descendants(root, "item"):
            link = _text(entry, "link")
            guid = next(_children(entry, "guid"), None)
            if not link and guid is not None and guid.get("isPermaLink", "true") != "false":
                link = (guid.text or "").strip()
            published = _text(entry, "pubDate") or _text(entry, "date") or _text(entry, "published")
            if link:
                items.append(Item(urljoin(base_url, link), published, _text(entry, "title")))
    return Listing(kind, tuple(items))


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Any, name: str) -> Any:
    return (child for child in element if _local(child.tag) == name)


def _descendants(element: Any, name: str) -> Any:
    return (child for child in element.iter() if _local(child.tag) == name)


def _text(element: Any, name: str) -> str | None:
    child = next(_children(element, name), None)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


def _atom_link(entry: Any) -> str | None:
    links = list(_children(entry, "link"))
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link.get("href")).strip()
    return None


def article_from_html(page: Page, root: str, item: Item | None = None) -> Article:
    """An article from a fetched page; its id and source are its canonical URL.

    Metadata (title, date, canonical URL) is read from the whole page, JSON-LD included;
    the main text from the page with scripts, navigation and hidden elements removed.
    """
    import trafilatura
    from trafilatura.metadata import extract_metadata

    html = clean_text(decode_bytes(page.body))
    meta = extract_metadata(
        html,
        default_url=page.final_url,
        date_config={"extensive_search": False, "original_date": True},
    )
    visible = strip_hidden_html(html)
    document = trafilatura.bare_extraction(
        visible, with_metadata=False, include_comments=False, include_tables=False
    )
    text = getattr(document, "text", None) or ""
    lines = clean_text(text).split("\n")
    title = clean_text(getattr(meta, "title", None) or (item.title if item else "") or "")
    title = " ".join(title.split())
    if lines and title and lines[0].strip() == title:
        lines = lines[1:]
    body = join_paragraphs(lines)
    if not body.strip():
        raise BadInputError("no article text found on the page")
    published = parse_date(getattr(meta, "date", None))
    if published is None and item is not None:
        published = parse_date(item.published)
    if published is None:
        published = _date_from_text(html)
    url = canonical_url(getattr(meta, "url", None), page.final_url)
    return make_article(url, title or body[:100], body, published, url, root)


def _date_from_text(html: str) -> str | None:
    from htmldate import find_date

    try:
        found = find_date(html, extensive_search=True, original_date=True)
    except Exception:  # htmldate on odd markup: no date rather than no article
        return None
    return parse_date(found)


def canonical_url(declared: str | None, final_url: str) -> str:
    """The page's declared canonical URL when it is http(s) on the page's own site.

    A canonical on another site is ignored: a page must not take over the identity of
    an article somewhere else (and so replace it in the index).
    """
    candidate = safe_url(urljoin(final_url, declared.strip())) if declared else None
    if candidate and _site(candidate) == _site(final_url):
        return normalise_url(candidate)
    return normalise_url(final_url)


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


class _Collector:
    def __init__(
        self,
        fetcher: Fetcher,
        indexed: Callable[[Iterable[str]], set[str]],
        progress: Any | None,  # a tqdm bar
    ) -> None:
        self.fetcher = fetcher
        self.result = WebResult()
        self.seen_urls: set[str] = set()
        self.seen_ids: set[str] = set()
        self.progress = progress
        cached_ids = {
            str(e["article_id"]) for e in fetcher.cache.entries.values() if e.get("article_id")
        }
        self.indexed = indexed(cached_ids) if cached_ids else set()

    def given(self, url: str) -> None:
        """A URL from the command line: a page, a feed, a sitemap or a sitemap index."""
        self.seen_urls.add(url)
        try:
            listing, article = self._fetch(url, root=url, item=None, depth=0)
        except FetchError as exc:
            self.result.failed.append((url, str(exc)))
            return
        if article is not None or listing is None:
            return
        listed: set[str] = set()
        self.result.listed[url] = listed
        self._follow(listing, url, listed, depth=0)

    def _follow(self, listing: Listing, root: str, listed: set[str], depth: int) -> None:
        if self.progress is not None and listing.items:
            self.progress.total = (self.progress.total or 0) + len(listing.items)
            self.progress.refresh()
        for sitemap in listing.sitemaps:
            if self.fetcher.stopped:
                listed.add("*")  # stopped: the listing was not read to its end
                self.result.stopped = True
                return
            if sitemap in self.seen_urls:
                continue
            self.seen_urls.add(sitemap)
            try:
                child, _ = self._fetch(sitemap, root=root, item=None, depth=depth + 1)
            except FetchError as exc:
                self.result.failed.append((sitemap, str(exc)))
                listed.add("*")  # part of the listing is unknown: prune nothing from it
                continue
            if child is not None:
                self._follow(child, root, listed, depth + 1)
        for item in listing.items:
            cached_id = self.fetcher.cache.get(item.url).get("article_id")
            listed.add(str(cached_id) if cached_id else normalise_url(item.url))
            if item.url in self.seen_urls:
                continue
            if self.fetcher.stopped:
                listed.add("*")
                self.result.stopped = True
                return
            self.seen_urls.add(item.url)
            try:
                _, article = self._fetch(item.url, root=root, item=item, depth=depth + 1)
                if article is not None:
                    listed.add(article)
            except FetchError as exc:
                self.result.failed.append((item.url, str(exc)))
            finally:
                if self.progress is not None:
                    self.progress.update(1)
        if self.fetcher.stopped:  # a stop inside the last fetch
            listed.add("*")
            self.result.stopped = True

    def _fetch(
        self, url: str, root: str, item: Item | None, depth: int
    ) -> tuple[Listing | None, str | None]:
        """Fetch one URL; a listing to follow, or the id of the article it was."""
        cached = self.fetcher.cache.get(url)
        kind = cached.get("kind")
        usable = (kind in LISTING_KINDS and isinstance(cached.get("items"), list)) or (
            kind == "article" and cached.get("article_id") in self.indexed
        )
        accept = ACCEPT_HTML if item is not None else ACCEPT_ANY
        try:
            page = self.fetcher.get(url, conditional=usable, accept=accept)
        except Stopped:
            self.result.stopped = True
            return None, None
        if page.not_modified:
            self.result._remember.append((page, {}))
            if kind == "article":
                article_id = str(cached["article_id"])
                if article_id not in self.seen_ids:
                    self.seen_ids.add(article_id)
                    self.result.unchanged.append(article_id)
                return None, article_id
            return _listing_from_cache(cached), None
        kind = sniff(page)
        if kind in LISTING_KINDS:
            if item is not None:
                raise FetchError(f"a {_NAMES[kind]}, not an article page")
            if depth > _MAX_DEPTH:
                raise FetchError(f"sitemaps nested more than {_MAX_DEPTH} deep")
            listing = parse_listing(page.body, kind, page.final_url)
            self.result._remember.append((page, _listing_to_cache(listing)))
            return listing, None
        if kind != "html":
            what = page.content_type or ("binary content" if kind == "binary" else kind)
            raise FetchError(f"not an HTML page or a feed ({what})")
        try:
            article = article_from_html(page, root, item)
        except BadInputError as exc:
            raise FetchError(str(exc)) from None
        except Exception as exc:  # an extractor bug must not stop the other pages
            raise FetchError(f"could not parse: {type(exc).__name__}: {exc}") from None
        self.result._remember.append((page, {"kind": "article", "article_id": article.article_id}))
        if article.article_id not in self.seen_ids:
            self.seen_ids.add(article.article_id)
            self.result.articles.append(article)
        return None, article.article_id


def _listing_to_cache(listing: Listing) -> dict[str, Any]:
    return {
        "kind": listing.kind,
        "items": [[i.url, i.published, i.title] for i in listing.items],
        "sitemaps": list(listing.sitemaps),
    }


def _listing_from_cache(cached: dict[str, Any]) -> Listing:
    items = tuple(
        Item(str(row[0]), row[1] if len(row) > 1 else None, row[2] if len(row) > 2 else None)
        for row in cached.get("items", [])
        if isinstance(row, list) and row
    )
    sitemaps = tuple(str(s) for s in cached.get("sitemaps", []) if isinstance(s, str))
    return Listing(str(cached.get("kind")), items, sitemaps)


def collect(
    urls: Sequence[str],
    fetcher: Fetcher,
    indexed: Callable[[Iterable[str]], set[str]],
    quiet: bool = False,
) -> WebResult:
    """Fetch `urls` (and what their feeds and sitemaps list) into articles.

    `indexed(ids)` says which of these article ids the index holds: only those may be
    asked for conditionally (a 304 for an article the index lost would lose it for good).
    Failures are collected per URL, never raised.
    """
    from tqdm import tqdm

    bar = tqdm(desc="fetching", unit="page", file=sys.stderr, disable=quiet, leave=False)
    collector = _Collector(fetcher, indexed, bar)
    try:
        for url in dict.fromkeys(urls):
            if fetcher.stopped:
                collector.result.stopped = True
                break
            collector.given(url)
    finally:
        bar.close()
    return collector.result
