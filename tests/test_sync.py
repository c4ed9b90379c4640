"""rag/sync.py: rounds over a sources file, a loop that survives failures and stops on SIGTERM."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import BadInputError
from rag.store import ChromaStore
from rag.sync import Source, Syncer, parse_duration, read_sources
from tests.conftest import ROOT, make_settings, run_rag
from tests.fakes import HashEmbedder
from tests.webserver import FIXTURES, NewsSite, running


@pytest.fixture
def site(tmp_path: Path) -> Iterator[NewsSite]:
    root = tmp_path / "web"
    shutil.copytree(FIXTURES, root)
    with running(root=root) as news:
        news.slow_seconds = 1
        yield news


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "index", fetch_rate=200.0, fetch_timeout=0.5, max_bytes=300_000)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("1h30m", 5400),
        ("90s", 90),
        ("90", 90),
        ("2d", 172800),
        ("0.5s", 0.5),
        (60, 60),
    ],
)
def test_durations_read_as_people_write_them(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "15x", "-5m", "0", "m"])
def test_a_bad_duration_is_bad_input(text: str) -> None:
    with pytest.raises(BadInputError):
        parse_duration(text)


def test_a_toml_sources_file_lists_feeds_and_folders(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "sources.toml"
    path.parent.mkdir()
    path.write_text(
        '[[sources]]\nurl = "https://news.example/feed.xml"\ninterval = "30m"\nprune = true\n\n'
        '[[sources]]\npath = "../corpus"\n'
    )
    assert read_sources(path) == [
        Source("https://news.example/feed.xml", 1800.0, True),
        Source(str(path.parent / "../corpus"), None, False),  # relative to the file
    ]


def test_a_yaml_sources_file_may_list_plain_strings(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n  - https://news.example/sitemap.xml\n  - url: https://b.example/atom\n"
        "    interval: 1h\n  - /srv/news\n"
    )
    assert read_sources(path) == [
        Source("https://news.example/sitemap.xml"),
        Source("https://b.example/atom", 3600.0),
        Source("/srv/news"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("s.toml", "sources = [", "not valid TOML"),
        ("s.toml", "title = 'x'", "list the sources"),
        ("s.yaml", "sources:\n  - {interval: 5m}\n", "needs 'url' or 'path'"),
        ("s.yaml", "sources:\n  - {url: 'https://a.example/', prune: 'yes'}\n", "'prune'"),
        ("s.yaml", "sources:\n  - {url: 'https://a.example/', interval: soon}\n", "duration"),
        ("s.ini", "[x]", "is .toml, .yaml"),
    ],
)
def test_a_bad_sources_file_says_what_is_wrong(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(BadInputError, match=message):
        read_sources(path)


def test_rounds_count_new_changed_unchanged_and_failed(
    site: NewsSite, settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "note.txt").write_text("Harbour notes\n\nThe tide was high at noon on Friday.\n")
    sources = [Source(site.url("/feed.xml")), Source(str(folder))]
    syncer = Syncer(sources, settings, HashEmbedder)
    first = syncer.round()
    assert (first.new, first.changed, first.unchanged, len(first.failed)) == (6, 0, 0, 6)
    second = syncer.round()
    assert (second.new, second.changed, second.unchanged, len(second.failed)) == (0, 0, 6, 6)
    site.version = 2
    third = syncer.round()
    assert (third.new, third.changed, third.unchanged) == (0, 1, 5)
    assert "round 3: 0 new, 1 changed, 5 unchanged, 6 failed" in third.line()
    assert ChromaStore(settings).count_articles() == 6


def test_a_source_with_an_interval_waits_for_it_across_runs(
    site: NewsSite, settings: Settings
) -> None:
    sources = [Source(site.url("/atom.xml"), interval=3600.0), Source(site.url("/sitemap.xml"))]
    Syncer(sources, settings, HashEmbedder).round()
    site.clear_log()
    later = Syncer(sources, settings, HashEmbedder).round()  # a new process, as from cron
    assert later.sources == 1
    assert site.statuses("/atom.xml") == [] and site.statuses("/sitemap.xml") == [304]


def test_the_loop_survives_a_round_where_the_server_is_down(
    site: NewsSite, settings: Settings
) -> None:
    syncer = Syncer([Source(site.url("/atom.xml"))], settings, HashEmbedder)
    out, err = io.StringIO(), io.StringIO()

    def lines() -> list[str]:
        return [line for line in out.getvalue().splitlines() if " round " in line]

    loop = threading.Thread(target=syncer.run, args=(0.3, out, err), daemon=True)
    loop.start()
    wait_for(lambda: len(lines()) >= 1)
    site.down = True
    wait_for(lambda: len(lines()) >= 3)
    site.down = False
    wait_for(lambda: len(lines()) >= 5)
    syncer.stop.set()
    loop.join(timeout=10)
    assert not loop.is_alive()
    rounds = lines()
    assert "2 new" in rounds[0] and "1 failed" in rounds[2]
    assert "cannot connect" in err.getvalue()
    assert "0 failed" in rounds[4] and "2 unchanged" in rounds[4]
    assert ChromaStore(settings).count_articles() == 2


def wait_for(condition: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


SYNC_SCRIPT = """
import sys
from pathlib import Path
from rag.config import load_settings
from rag.sync import main
from tests.fakes import HashEmbedder
settings = load_settings(index_dir=Path(sys.argv[2]), fetch_rate=float(sys.argv[4]))
sys.exit(main(sys.argv[1], settings, HashEmbedder, every=sys.argv[3], quiet=True))
"""


def start_sync(sources: Path, index: Path, every: str, rate: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", SYNC_SCRIPT, str(sources), str(index), every, str(rate)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def test_sigterm_ends_the_loop_cleanly_between_rounds(site: NewsSite, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nurl = "{site.url("/atom.xml")}"\n')
    process = start_sync(sources, tmp_path / "index", "1h", 100.0)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "round 1: 2 new" in first
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0
    assert "Traceback" not in err


def test_sigterm_mid_round_stops_between_articles_and_keeps_them(
    site: NewsSite, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[sources]]\nurl = "{site.url("/feed.xml")}"\n')
    index = tmp_path / "index"
    process = start_sync(sources, index, "15m", 2.0)  # 2 pages a second: a slow round
    try:
        wait_for(lambda: len([p for p in site.statuses("/news/water-rates.html")]) == 1)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "(stopped)" in out and "Traceback" not in err
    fetched = len(site.statuses("/feed.xml")) + len(
        [p for p, _, _ in site.log if p.startswith("/news/")]
    )
    assert fetched < 12  # it did not go on through the feed's eleven items
    articles = ChromaStore(make_settings(index)).count_articles()
    assert 1 <= articles < 5  # what was fetched before the signal was stored


def test_rag_sync_with_a_bad_every_is_a_usage_error(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - https://news.example/feed.xml\n")
    result = run_rag("sync", str(sources), "--every", "often", index=tmp_path / "index")
    assert result.returncode == 2
    assert "not a duration" in result.stderr and "Traceback" not in result.stderr


def test_a_source_that_could_not_be_read_is_due_again_next_round(
    site: NewsSite, settings: Settings
) -> None:
    sources = [Source(site.url("/atom.xml"), interval=3600.0)]
    site.down = True
    failed = Syncer(sources, settings, HashEmbedder).round()
    assert [path for path, _ in failed.failed] == [site.url("/atom.xml")]
    site.down = False
    again = Syncer(sources, settings, HashEmbedder).round()
    assert again.sources == 1 and again.new == 2
