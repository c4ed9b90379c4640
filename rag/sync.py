"""`rag sync SOURCES`: ingest what is new or changed in the feeds, sitemaps and folders a
small TOML or YAML file lists, once (for cron) or every N minutes until stopped.

    # sources.toml
    [[sources]]
    url = "https://news.example/feed.xml"
    interval = "30m"      # optional: not more often than this
    prune = true          # optional: drop articles the feed no longer lists

    [[sources]]
    path = "corpus/"      # relative to this file

Each round prints one line (new, changed, unchanged, failed, seconds). A round that fails
(server down, index locked) is reported and the loop goes on; SIGTERM or Ctrl-C ends it
between articles, after storing what was fetched, with exit code 0. When each source was
last synced is kept in the index folder (`sync-state.json`), so per-source intervals hold
across cron runs too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import IO, Any

from rag.config import Settings
from rag.embed import Embedder
from rag.errors import BadInputError, RagError
from rag.fetch import is_url
from rag.types import IngestReport

STATE_FILE = "sync-state.json"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s|d)?", re.IGNORECASE)
_UNIT = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True, slots=True)
class Source:
    """One entry of a sources file: a URL (page, feed, sitemap) or a folder/file."""

    target: str
    interval: float | None = None  # seconds; None: every round
    prune: bool = False

    @property
    def is_url(self) -> bool:
        return is_url(self.target)


@dataclass(frozen=True, slots=True)
class RoundReport:
    number: int
    new: int
    changed: int
    unchanged: int
    failed: tuple[tuple[str, str], ...]
    seconds: float
    sources: int  # how many sources were due
    stopped: bool = False

    def line(self) -> str:
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        tail = " (stopped)" if self.stopped else ""
        return (
            f"{stamp} round {self.number}: {self.new} new, {self.changed} changed, "
            f"{self.unchanged} unchanged, {len(self.failed)} failed, "
            f"{self.seconds:.1f} s{tail}"
        )


def parse_duration(text: str | float | int) -> float:
    """Seconds in '15m', '1h30m', '90s', '2d' or a bare number of seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        raw = str(text).strip().lower().replace(" ", "")
        parts = _DURATION.findall(raw)
        if not raw or "".join(n + u for n, u in parts) != raw:
            raise BadInputError(f"not a duration: {text!r} (use e.g. 90s, 15m, 1h30m)")
        seconds = sum(float(n) * _UNIT[u or "s"] for n, u in parts)
    if seconds <= 0:
        raise BadInputError(f"a duration must be more than zero, got {text!r}")
    return seconds


def read_sources(path: Path) -> list[Source]:
    """The sources a TOML or YAML file lists; BadInputError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    data = _parse(text, path)
    entries = data.get("sources", data.get("source")) if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise BadInputError(f"{path}: list the sources under 'sources' (see `rag sync --help`)")
    sources: list[Source] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: source {number}"
        if isinstance(entry, str):
            entry = {"url" if is_url(entry) else "path": entry}
        if not isinstance(entry, dict):
            raise BadInputError(f"{where}: expected a URL, a path or a table with 'url'/'path'")
        target = entry.get("url") or entry.get("path")
        if not isinstance(target, str) or not target.strip():
            raise BadInputError(f"{where}: needs 'url' or 'path'")
        target = target.strip()
        if not is_url(target) and not Path(target).expanduser().is_absolute():
            target = str(path.parent / Path(target).expanduser())
        interval = entry.get("interval")
        prune = entry.get("prune", False)
        if not isinstance(prune, bool):
            raise BadInputError(f"{where}: 'prune' must be true or false")
        try:
            seconds = parse_duration(interval) if interval is not None else None
        except BadInputError as exc:
            raise BadInputError(f"{where}: {exc}") from None
        sources.append(Source(target, seconds, prune))
    return sources


def _parse(text: str, path: Path) -> Any:
    suffix = path.suffix.lower()
    errors: list[str] = []
    if suffix in (".toml", ""):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            errors.append(f"not valid TOML ({exc})")
    if suffix in (".yaml", ".yml", ""):
        import yaml

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            errors.append(f"not valid YAML ({str(exc).splitlines()[0]})")
    if not errors:
        raise BadInputError(f"{path}: a sources file is .toml, .yaml or .yml")
    raise BadInputError(f"{path}: {'; '.join(errors)}")


class SyncState:
    """When each source last started a sync, kept in the index folder (atomic writes)."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / STATE_FILE
        self.last: dict[str, float] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                self.last = {str(k): float(v) for k, v in data.items()}
        except (OSError, ValueError, TypeError):
            pass

    def due(self, source: Source, now: float) -> bool:
        last = self.last.get(source.target)
        # A little slack, so a 30m source on a 15m cron runs every other time, not every third.
        return source.interval is None or last is None or now - last >= source.interval * 0.95

    def mark(self, sources: Sequence[Source], when: float) -> None:
        for source in sources:
            self.last[source.target] = when
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{STATE_FILE}.{os.getpid()}")
        tmp.write_text(json.dumps(self.last, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


@dataclass
class Syncer:
    """Runs rounds over the sources; the embedder is loaded once, when first needed."""

    sources: list[Source]
    settings: Settings
    embedder_factory: Callable[[], Embedder]
    stop: threading.Event = field(default_factory=threading.Event)
    quiet: bool = True
    rounds: int = 0

    def __post_init__(self) -> None:
        self._embedder = cache(self.embedder_factory)

    def round(self) -> RoundReport:
        """Ingest the sources that are due; failures are counted, never raised."""
        from rag.ingest import ingest

        self.rounds += 1
        started, now = time.perf_counter(), time.time()
        state = SyncState(self.settings.index_dir)
        due = [s for s in self.sources if state.due(s, now)]
        totals = {"new": 0, "changed": 0, "unchanged": 0}
        failed: list[tuple[str, str]] = []
        stopped = False
        for prune in (False, True):
            group = [s for s in due if s.prune == prune]
            if not group or self.stop.is_set():
                continue
            try:
                report: IngestReport = ingest(
                    [Path(s.target) for s in group if not s.is_url],
                    self.settings,
                    self._embedder,
                    prune=prune,
                    quiet=self.quiet,
                    urls=[s.target for s in group if s.is_url],
                    stop=self.stop,
                )
            except RagError as exc:
                failed.append(("round", str(exc)))
                continue
            except Exception as exc:  # a round must never end the loop
                failed.append(("round", f"{type(exc).__name__}: {exc}"))
                continue
            totals["new"] += report.new
            totals["changed"] += report.changed
            totals["unchanged"] += report.skipped
            failed.extend(report.failed)
            stopped = stopped or report.stopped
            if not report.stopped:
                # A source that could not be read at all is due again next round.
                unread = {path for path, _ in report.failed}
                state.mark([s for s in group if s.target not in unread], now)
        return RoundReport(
            number=self.rounds,
            new=totals["new"],
            changed=totals["changed"],
            unchanged=totals["unchanged"],
            failed=tuple(failed),
            seconds=time.perf_counter() - started,
            sources=len(due),
            stopped=stopped or self.stop.is_set(),
        )

    def run(self, every: float | None, out: IO[str], err: IO[str]) -> int:
        """One round, or a round every `every` seconds until `stop` is set."""
        while not self.stop.is_set():
            started = time.monotonic()
            report = self.round()
            print(report.line(), file=out, flush=True)
            for where, error in report.failed:
                print(f"failed: {where}: {error}", file=err, flush=True)
            if every is None or self.stop.is_set():
                return 0
            if _sleep_until(self.stop, started + every):
                return 0
        return 0


def _sleep_until(stop: threading.Event, deadline: float) -> bool:
    """Wait until `deadline` (monotonic) or `stop`; True if stopped.

    In short slices: a signal delivered to another thread (the model runtime's, Chroma's)
    runs its Python handler only when the main thread next wakes up.
    """
    while (left := deadline - time.monotonic()) > 0:
        if stop.wait(min(left, 0.2)):
            return True
    return stop.is_set()


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT ask the loop to stop between articles (not mid-write)."""

    def handle(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def main(
    sources_file: str,
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    every: str | None = None,
    quiet: bool = False,
) -> int:
    """`rag sync`: read the sources, run the rounds, exit 0 when stopped."""
    sources = read_sources(Path(sources_file))
    period = parse_duration(every) if every else None
    stop = threading.Event()
    stop_on_signals(stop)
    syncer = Syncer(sources, settings, embedder_factory, stop=stop, quiet=quiet)
    return syncer.run(period, sys.stdout, sys.stderr)
