"""Fetch pages and feeds over HTTP like a good citizen, and safely.

One `Fetcher` per run: a user agent naming the product, the site's robots.txt (its rules
and Crawl-delay), at most `fetch_rate` requests per second to one host, a timeout per
request (and a deadline for the whole body), a size cap read while streaming (a huge page
is cut off early), at most 5 redirects, only `http` and `https` at every hop, and
conditional requests: the ETag / Last-Modified a URL last gave are remembered in the index
folder (`fetch-cache.json`, written atomically) so an unchanged feed or page costs one 304.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

import httpx

from rag import __version__
from rag.config import Settings

USER_AGENT = f"newsrag/{__version__} (news Q&A indexer; +https://pypi.org/project/newsrag/)"
ROBOTS_AGENT = "newsrag"  # the name robots.txt rules address
_ROBOTS_CHARS = 500_000  # robots.txt beyond this is ignored (Google reads 500 KiB)
_MAX_CRAWL_DELAY = 30.0  # seconds; a larger Crawl-delay would stall a sync
MAX_REDIRECTS = 5
CACHE_FILE = "fetch-cache.json"
_REDIRECTS = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A URL that could not be fetched; the message is the reason shown in `failed`."""


class Stopped(Exception):
    """The run was asked to stop (SIGTERM) before this request."""


@dataclass(frozen=True, slots=True)
class Page:
    """What one GET gave: the body (empty for a 304) and where it finally came from."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int  # 200 (or another 2xx) or 304
    body: bytes
    content_type: str  # media type without parameters, lower case ("" when not given)
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def is_url(text: str) -> bool:
    """Whether a command-line argument names a URL rather than a file ("scheme://…")."""
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.isascii() and scheme.isalpha()


def normalise_url(url: str) -> str:
    """The URL without its fragment, with a lower-case scheme and host (its identity)."""
    parts = urlsplit(url.strip())
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs are fetched, not {scheme or 'this'}:")
    if not urlsplit(url).hostname:
        raise FetchError("URL has no host")


def host_allowed(url: str, allowed: tuple[str, ...]) -> bool:
    """Whether `url` is http(s) on a host the operator allows (or a subdomain of one)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return False
    return any(host == h or host.endswith("." + h) for h in allowed)


class FetchCache:
    """What each URL last gave (validators, and what it was: article id, feed items).

    Kept as one JSON file in the index folder, replaced atomically on save, so a crash
    leaves the previous version; a corrupt or missing file is an empty cache (the only
    cost is one full download per URL).
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            if isinstance(data, dict):
                self.entries = {k: v for k, v in data.items() if isinstance(v, dict)}

    def get(self, url: str) -> dict[str, Any]:
        with self._lock:
            return dict(self.entries.get(url, {}))

    def put(self, url: str, **values: Any) -> None:
        with self._lock:
            entry = self.entries.setdefault(url, {})
            entry.update({k: v for k, v in values.items() if v is not None})

    def forget(self, url: str) -> None:
        with self._lock:
            self.entries.pop(url, None)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            text = json.dumps(self.entries, ensure_ascii=False, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".fetch-cache.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class HostPacer:
    """At most `rate` requests per second to each host (the first one goes at once)."""

    def __init__(self, rate: float, stop: threading.Event) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.stop = stop
        self._next: dict[str, float] = {}
        self._slower: dict[str, float] = {}
        self._lock = threading.Lock()

    def slow_down(self, url: str, interval: float) -> None:
        """At least `interval` seconds between requests to this URL's host (Crawl-delay)."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            before = self._slower.get(host, self.interval)
            self._slower[host] = max(interval, self.interval)
            if host in self._next:  # the request just made counts too
                self._next[host] += self._slower[host] - before

    def wait(self, url: str) -> None:
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            now = time.monotonic()
            due = max(self._next.get(host, now), now)
            self._next[host] = due + self._slower.get(host, self.interval)
        delay = due - time.monotonic()
        if delay > 0 and self.stop.wait(delay):
            raise Stopped()
        if self.stop.is_set():
            raise Stopped()


class Fetcher:
    """GETs with the rules above; with `allowed_hosts`, every request and every redirect
    must stay on those hosts (URLs a chat-window user adds)."""

    def __init__(
        self,
        settings: Settings,
        cache: FetchCache | None = None,
        stop: threading.Event | None = None,
        transport: httpx.BaseTransport | None = None,
        allowed_hosts: tuple[str, ...] | None = None,
    ) -> None:
        self.allowed_hosts = allowed_hosts  # None: any host (the operator's CLI)
        self.max_bytes = settings.max_bytes
        self.timeout = settings.fetch_timeout
        self.cache = cache if cache is not None else FetchCache(None)
        self.stop = stop if stop is not None else threading.Event()
        self.pacer = HostPacer(settings.fetch_rate, self.stop)
        self.requests = 0
        self.not_modified = 0
        self._robot_rules: dict[str, RobotFileParser] = {}
        self.client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()

    def get(self, url: str, conditional: bool = True, accept: str = "*/*") -> Page:
        """GET `url`, following up to 5 redirects; FetchError with a reason if it fails.

        With `conditional`, the validators this URL gave last time are sent, and an
        unchanged resource comes back as a `Page` with status 304 and no body.
        """
        return self._get(url, conditional, accept, obey_robots=True)

    def _get(self, url: str, conditional: bool, accept: str, obey_robots: bool) -> Page:
        check_scheme(url)
        cached = self.cache.get(url) if conditional else {}
        headers = {"Accept": accept}
        if cached.get("etag"):
            headers["If-None-Match"] = str(cached["etag"])
        if cached.get("last_modified"):
            headers["If-Modified-Since"] = str(cached["last_modified"])
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            if self.allowed_hosts is not None and not host_allowed(current, self.allowed_hosts):
                host = urlsplit(current).hostname or current
                raise FetchError(f"{host} is not a site URLs may be added from (RAG_FETCH_ALLOW)")
            if obey_robots and not self._robots(current).can_fetch(ROBOTS_AGENT, current):
                raise FetchError("disallowed by the site's robots.txt")
            self.pacer.wait(current)
            status, location, page = self._request(url, current, headers)
            if location is None:
                assert page is not None
                if page.status == 304:
                    self.not_modified += 1
                return page
            target = urljoin(current, location)
            if urlsplit(target).scheme.lower() not in ("http", "https"):
                raise FetchError(f"redirected to a non-http(s) URL ({status})")
            if urlsplit(target).netloc != urlsplit(current).netloc:
                # Validators belong to the URL that gave them; another host never sees them.
                headers = {"Accept": accept}
            current = target
        raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})")

    def _robots(self, url: str) -> RobotFileParser:
        """The robots.txt rules of this URL's site, read once per run (conditionally)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        rules = self._robot_rules.get(origin)
        if rules is not None:
            return rules
        robots_url = origin + "/robots.txt"
        cached = self.cache.get(robots_url)
        text = ""
        try:
            page = self._get(robots_url, "robots" in cached, "text/plain", obey_robots=False)
            if page.not_modified:
                text = str(cached.get("robots", ""))
            else:
                text = page.body.decode("utf-8", "replace")[:_ROBOTS_CHARS]
                self.cache.put(
                    robots_url, etag=page.etag, last_modified=page.last_modified, robots=text
                )
        except FetchError:
            pass  # none (404) or unreadable: no rules, as crawlers commonly read it
        rules = RobotFileParser(robots_url)
        rules.parse(text.splitlines())
        delay = rules.crawl_delay(ROBOTS_AGENT)
        if delay:
            self.pacer.slow_down(url, min(float(delay), _MAX_CRAWL_DELAY))
        self._robot_rules[origin] = rules
        return rules

    def _request(
        self, url: str, current: str, headers: dict[str, str]
    ) -> tuple[int, str | None, Page | None]:
        deadline = time.monotonic() + self.timeout
        self.requests += 1
        try:
            with self.client.stream("GET", current, headers=headers) as response:
                status = response.status_code
                if status in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(f"HTTP {status} without a Location")
                    return status, location, None
                media = response.headers.get("content-type", "").split(";")[0].strip().lower()
                etag = response.headers.get("etag")
                modified = response.headers.get("last-modified")
                if status == 304:
                    page = Page(url, str(response.url), 304, b"", media, etag, modified)
                    return status, None, page
                if status >= 400 or status < 200:
                    reason = response.reason_phrase or ""
                    raise FetchError(f"HTTP {status} {reason}".strip())
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchError(self._too_large(int(declared)))
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.max_bytes:
                        raise FetchError(self._too_large(None))
                    if time.monotonic() > deadline:
                        raise FetchError(f"timed out after {self.timeout:g} s (body too slow)")
                page = Page(url, str(response.url), status, bytes(body), media, etag, modified)
                return status, None, page
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {self.timeout:g} s") from None
        except httpx.TooManyRedirects:
            raise FetchError(f"too many redirects (more than {MAX_REDIRECTS})") from None
        except httpx.DecodingError as exc:
            raise FetchError(f"could not decode the response: {exc}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot connect: {_short(exc)}") from None

    def _too_large(self, size: int | None) -> str:
        limit = f"{self.max_bytes / 1e6:g} MB limit (--max-bytes)"
        if size is None:
            return f"response is over the {limit}"
        return f"response is {size / 1e6:.1f} MB, over the {limit}"

    def remember(self, page: Page, **values: Any) -> None:
        """Keep this URL's validators (and what it was) for the next conditional GET."""
        self.cache.put(page.url, etag=page.etag, last_modified=page.last_modified, **values)


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]
