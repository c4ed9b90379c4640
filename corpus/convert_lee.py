"""Convert gensim's Lee Background Corpus into one .txt article per file.

Run once (it is not needed at run time; the product does not depend on gensim):

    pip download --no-deps gensim==4.4.0 -d /tmp/gensim
    unzip -o /tmp/gensim/gensim-*.whl 'gensim/test/test_data/lee_background.cor' -d /tmp/gensim
    python corpus/convert_lee.py /tmp/gensim/gensim/test/test_data/lee_background.cor corpus/lee

Each line of the source is one ABC news article with no title or date. The title written
as the file's first line is the article's first sentence, shortened to a dozen words, so
that citations show something readable; the body follows unchanged.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

_MAX_TITLE_WORDS = 12


def make_title(body: str) -> str:
    """A short headline: the first sentence, cut to a dozen words."""
    first = re.split(r"(?<=[.!?])\s+", body.strip(), maxsplit=1)[0].rstrip(".")
    words = first.split()
    title = " ".join(words[:_MAX_TITLE_WORDS])
    return title + ("…" if len(words) > _MAX_TITLE_WORDS else "")


def convert(source: Path, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines()):
        body = " ".join(line.split())
        if not body:
            continue
        path = out_dir / f"lee-{number:03d}.txt"
        path.write_text(f"{make_title(body)}\n\n{body}\n", encoding="utf-8")
        count += 1
    return count


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(f"wrote {convert(Path(sys.argv[1]), Path(sys.argv[2]))} articles")
