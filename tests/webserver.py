"""A small news site on 127.0.0.1 for the fetching tests, serving tests/fixtures/web/.

Text files have `http://127.0.0.1:PORT` replaced by the server's own address. Every
response carries an ETag and Last-Modified and honours If-None-Match / If-Modified-Since
(304), like a real web server. Routes that misbehave on purpose:

- `/error` answers 500; `/slow` waits `slow_seconds` before answering;
- `/huge` streams `huge_bytes` of HTML without a Content-Length;
- `/loop/a` and `/loop/b` redirect to each other; `/to-file` redirects to a file:
  URL and `/elsewhere` to another host name;
- `/news/changing.html` serves `news/changing-v{version}.html` (tests bump `version`);
- everything missing is a 404. `down = True` makes every request fail (connection reset).

Run by hand: `python -m tests.webserver --port 8765`.
"""

from __future__ import annotations

import argparse
import hashlib
import mimetypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "web"
PLACEHOLDER = b"http://127.0.0.1:PORT"
LAST_MODIFIED = "Mon, 10 Mar 2025 12:00:00 GMT"


class NewsSite(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0, root: Path = FIXTURES) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.root = root
        self.version = 1
        self.slow_seconds = 3.0
        self.huge_bytes = 30_000_000  # over the default 10 MB cap
        self.huge_sent = 0
        self.down = False
        self.verbose = False  # print each request (when run by hand)
        self.log: list[tuple[str, int, str]] = []  # (path, status, user agent)
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up (a timeout, a size cap) is expected here

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def statuses(self, path: str) -> list[int]:
        with self.lock:
            return [status for p, status, _ in self.log if p == path]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()


class Handler(BaseHTTPRequestHandler):
    server: NewsSite
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _record(self, status: int) -> None:
        with self.server.lock:
            self.server.log.append((self.path, status, self.headers.get("User-Agent", "")))
        if self.server.verbose:
            print(f"{status} {self.path}", flush=True)

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        site = self.server
        if site.down:
            self._record(0)
            self.close_connection = True
            self.connection.close()
            return
        path = urlsplit(self.path).path
        if path == "/error":
            self._send(500, b"<h1>Internal Server Error</h1>", "text/html")
            return
        if path == "/slow":
            time.sleep(site.slow_seconds)
            body = b"<html><body><p>Finally here, far too late.</p></body></html>"
            with suppress(OSError):
                self._send(200, body, "text/html")
            return
        if path == "/huge":
            self._stream_huge()
            return
        if path == "/elsewhere":  # the same server under another host name
            port = self.server.server_address[1]
            self._send(302, b"", "text/html", Location=f"http://localhost:{port}/feed.xml")
            return
        if path == "/to-file":
            self._send(302, b"", "text/html", Location="file:///etc/passwd")
            return
        if path in ("/loop/a", "/loop/b"):
            target = "/loop/b" if path == "/loop/a" else "/loop/a"
            self._send(302, b"", "text/html", Location=target)
            return
        if path == "/news/changing.html":
            path = f"/news/changing-v{site.version}.html"
        file = (site.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(site.root) or not file.is_file():
            self._send(404, b"<h1>Not Found</h1>", "text/html")
            return
        body = file.read_bytes()
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if PLACEHOLDER in body:
            body = body.replace(PLACEHOLDER, site.base.encode())
        if content_type.startswith("text/") or file.suffix == ".xml":
            content_type = "application/xml" if file.suffix == ".xml" else content_type
            content_type += "; charset=utf-8"
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._record(304)
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(200, body, content_type, ETag=etag, Last_Modified=LAST_MODIFIED)

    def _stream_huge(self) -> None:
        self._record(200)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        piece = b"<p>" + b"padding words " * 4000 + b"</p>\n"
        sent = 0
        try:
            self.wfile.write(b"<html><body>")
            while sent < self.server.huge_bytes:
                self.wfile.write(piece)
                sent += len(piece)
                self.server.huge_sent = sent  # of the latest request
        except OSError:
            pass  # the client hung up: what a size cap should do


@contextmanager
def running(port: int = 0, root: Path = FIXTURES) -> Iterator[NewsSite]:
    site = NewsSite(port, root.resolve())
    thread = threading.Thread(target=site.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.shutdown()
        site.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--changing-version", type=int, default=1, help="which news/changing-vN.html to serve"
    )
    args = parser.parse_args()
    site = NewsSite(args.port)
    site.version = args.changing_version
    site.verbose = True
    print(f"serving {FIXTURES} on {site.base}", flush=True)
    with suppress(KeyboardInterrupt):
        site.serve_forever()


if __name__ == "__main__":
    main()
