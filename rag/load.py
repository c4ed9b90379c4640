"""Read article files (.txt, .md, .html, .jsonl) into clean `Article` values.

Clean text is what offsets and quotes refer to: NFC-normalised, zero-width, tag and
control characters stripped, boilerplate lines ("Must read") dropped, paragraphs
separated by blank lines. Article text is kept as written: a `<script>` in a .txt
article stays as those characters (it is escaped wherever it is shown).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from rag.errors import BadInputError
from rag.types import Article

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".jsonl"}

# Zero-width characters, bidi controls and Unicode tag characters hide text from readers
# (and smuggle instructions past them); they are stripped, not rejected.
_INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOILERPLATE = re.compile(
    r"^(must read|latest articles?|read more|related( articles?| stories)?|advertisement|"
    r"share( this( article)?)?|sign up( for .*newsletter.*)?|subscribe( now)?|"
    r"skip to (main )?content|most popular|recommended( for you)?|more from .{0,40})[.:!]?$"
    # photo captions and credits: "… (Photo: Name/AP)", "Image: Getty"
    r"|^.{0,300}\((photo|image|picture|credit)s?:[^)]{0,80}\)$|^(photo|image|credit)s?:.{0,80}$",
    re.IGNORECASE,
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_LINE = re.compile(
    rf"^(?:(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?,?\s+)?(?:"
    rf"(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\.?,?\s+\d{{4}}|"
    rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[T ][\d:.+\-Z]*)?|"
    rf"\d{{1,2}}/\d{{1,2}}/\d{{4}})$",
    re.IGNORECASE,
)
# "[text](target)" and "![alt](src)", one level of nested brackets and parentheses.
_MD_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_SAFE_URL = re.compile(r"^https?://[^/\s]", re.IGNORECASE)
_BLOCK_TAGS = (
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "td",
    "th",
    "pre",
    "div",
)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one file gave: its articles, and the parts that failed (`path` or `path:LINE`)."""

    articles: list[Article]
    failed: list[tuple[str, str]]


def clean_text(raw: str) -> str:
    """Normalise text so that offsets are stable: NFC, no invisible or control characters."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    return text.replace("\u00a0", " ").replace("\t", " ")


def is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.match(line.strip()))


def parse_date(value: Any) -> str | None:
    """An ISO date (YYYY-MM-DD) from a date, a datetime or a string in a common format."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not re.search(r"\d{4}", text):
        return None
    from dateutil import parser as dateparser

    try:
        parsed: datetime = dateparser.parse(text, fuzzy=False)
    except (ValueError, OverflowError):
        return None
    return parsed.date().isoformat()


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


def join_paragraphs(lines: list[str]) -> str:
    """Non-empty, non-boilerplate lines, one paragraph each, blank line between."""
    paragraphs = [" ".join(line.split()) for line in lines]
    return "\n\n".join(p for p in paragraphs if p and not is_boilerplate(p))


def decode_bytes(data: bytes) -> str:
    """Decode text whatever its encoding (UTF-8, UTF-16 with or without BOM, Latin-1)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if len(data) >= 4 and data.count(b"\x00") > len(data) // 4:
        # UTF-16 without a BOM: every other byte of ASCII text is NUL.
        even, odd = data[0::2].count(0), data[1::2].count(0)
        try:
            return data.decode("utf-16-le" if odd > even else "utf-16-be")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF", b"PK\x03\x04", b"\x7fELF")


def looks_binary(data: bytes) -> bool:
    """True for images, archives and other files that are not text."""
    if data.startswith(_BINARY_MAGIC):
        return True
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    stripped = sample.replace(b"\x00", b"") if sample.count(b"\x00") > len(sample) // 4 else sample
    controls = sum(1 for b in stripped if b < 9 or 13 < b < 32)
    return bool(stripped) and controls / len(stripped) > 0.1


def read_text_file(path: Path, max_bytes: int) -> str:
    size = path.stat().st_size
    if size > max_bytes:
        raise BadInputError(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit (--max-bytes)"
        )
    data = path.read_bytes()
    if not data.strip():
        raise BadInputError("file is empty")
    if looks_binary(data):
        raise BadInputError("not a text file (binary content)")
    return clean_text(decode_bytes(data))


def parse_plain(text: str) -> tuple[str, str | None, str]:
    """Title, published date and body of the seed format: [date line], title, body."""
    lines = text.split("\n")
    title, published, index = "", None, 0
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if not line or is_boilerplate(line):
            continue
        if published is None and len(line) < 60 and _DATE_LINE.match(line):
            published = parse_date(line)
            if published:
                continue
        title = " ".join(line.split())
        break
    body_lines = lines[index:]
    # A date line may also follow the title.
    for position, line in enumerate(body_lines):
        if not line.strip():
            continue
        if published is None and len(line.strip()) < 60 and _DATE_LINE.match(line.strip()):
            published = parse_date(line.strip())
            if published:
                body_lines = body_lines[position + 1 :]
        break
    body = join_paragraphs(body_lines)
    return title, published, body


def load_txt(path: Path, article_id: str, root: str, max_bytes: int) -> Article:
    title, published, body = parse_plain(read_text_file(path, max_bytes))
    if not body:  # a one-paragraph file: its only line is the text
        body = title
    source = shown_path(path, article_id, root)
    return make_article(article_id, title, body, published, source, root)


def shown_path(path: Path, article_id: str, root: str) -> str:
    """An article file's source: its path below the folder ingested, led by that folder's
    own name (`corpus/lee/lee-017.txt`), never the server's absolute path.

    `discover` makes a file's article id that path without its extension; with an id of
    its own choosing, a caller gets the folder's name and the file's.
    """
    below = f"{article_id}{path.suffix}"
    if PurePosixPath(below).name != path.name:
        below = path.name
    folder = Path(root).name
    return f"{folder}/{below}" if folder else below


def safe_url(value: Any) -> str | None:
    """`value` if it is an http(s) URL, else None: a `javascript:` or `data:` URL in front
    matter, a JSON Lines record or a page's metadata never becomes an article's source."""
    text = str(value or "").strip()
    if _SAFE_URL.match(text) and not any(ch.isspace() or ch in "<>\"'" for ch in text):
        return text
    return None


def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    class _EveryLinkMarkdownIt(MarkdownIt):
        # Parse every link, whatever its scheme: markdown-it leaves links it does not trust
        # (javascript:, vbscript:, data:) as literal "[text](javascript:…)" text, which a
        # renderer further on could turn back into a link. Parsed, their targets are dropped.
        def validateLink(self, url: str) -> bool:
            return True

    return _EveryLinkMarkdownIt("commonmark")


def _inline_text(children: list[Any]) -> str:
    """The words of a paragraph or heading: link and image targets and inline HTML dropped."""
    parts: list[str] = []
    skipping = False  # inside an autolink to a scheme other than http(s): its text is the URL
    for token in children:
        if token.type == "link_open" and token.info == "auto":
            href = str(token.attrs.get("href") or "")
            skipping = safe_url(href) is None and not href.lower().startswith("mailto:")
        elif token.type == "link_close":
            skipping = False
        elif skipping:
            continue
        elif token.type in ("text", "code_inline"):
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif token.type == "image":
            parts.append(_inline_text(token.children or []))
    text = "".join(parts)
    # Belt and braces: escaped link syntax left as text still loses its target.
    return _MD_LINK.sub(r"\1", text)


def markdown_blocks(content: str) -> list[tuple[str, str]]:
    """(kind, text) for each heading, paragraph and code block of Markdown, in order."""
    blocks: list[tuple[str, str]] = []
    tokens = _markdown_parser().parse(content)
    for index, token in enumerate(tokens):
        if token.type == "inline":
            kind = "heading" if index and tokens[index - 1].type == "heading_open" else "text"
            blocks.append((kind, _inline_text(token.children or [])))
        elif token.type in ("fence", "code_block"):
            blocks.extend(("text", line) for line in token.content.split("\n"))
        elif token.type == "html_block":
            blocks.extend(("text", line) for line in html_visible_text(token.content).split("\n"))
    return [(kind, " ".join(text.split())) for kind, text in blocks if text.strip()]


def load_md(path: Path, article_id: str, root: str, max_bytes: int) -> Article:
    import frontmatter

    raw = read_text_file(path, max_bytes)
    try:
        post = frontmatter.loads(raw)
        meta, content = dict(post.metadata), post.content
    except Exception:  # malformed front matter: treat the whole file as text
        meta, content = {}, raw
    blocks = markdown_blocks(content)
    title = " ".join(_inline_text_of(str(meta.get("title") or "")).split())
    if not title and blocks:
        title, blocks = blocks[0][1], blocks[1:]
    body = join_paragraphs([text for _, text in blocks]) or title
    published = parse_date(meta.get("date") or meta.get("published"))
    source = safe_url(meta.get("url")) or shown_path(path, article_id, root)
    return make_article(article_id, title, body, published, source, root)


def _inline_text_of(markdown: str) -> str:
    """Plain words of one line of Markdown (a front-matter title may carry links)."""
    blocks = markdown_blocks(markdown)
    return " ".join(text for _, text in blocks)


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_STYLE = f"translate(translate(@style,' \t\n',''),'{_UPPER}','{_UPPER.lower()}')"
_HIDDEN_XPATH = (
    "//script|//style|//noscript|//template|//iframe|//object|//embed|//svg|//math|//form"
    "|//nav|//aside|//input|//button|//select|//textarea|//dialog[not(@open)]"
    "|//*[@hidden]"
    f"|//*[translate(@aria-hidden,'{_UPPER}','{_UPPER.lower()}')='true']"
    f"|//*[contains({_STYLE},'display:none')]"
    f"|//*[contains({_STYLE},'visibility:hidden')]"
)


def strip_hidden_html(html: str) -> str:
    """Remove scripts, navigation and hidden elements before main-text extraction."""
    import lxml.html

    try:
        # A whole document always, so even a fragment's first element can be dropped.
        tree = lxml.html.document_fromstring(html)
    except Exception:  # nothing parseable (e.g. only a comment): no visible text either
        return "<html><body></body></html>"
    for element in tree.xpath(_HIDDEN_XPATH):
        if element.getparent() is not None:
            element.drop_tree()
    return str(lxml.html.tostring(tree, encoding="unicode"))


def html_visible_text(html: str) -> str:
    """The text a reader sees in an HTML fragment (hidden, script and style text dropped)."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(strip_hidden_html(html))
    except Exception:
        return ""
    return "\n".join(
        " ".join(block.text_content().split())
        for block in tree.iter(*_BLOCK_TAGS)
        if not any(child.tag in _BLOCK_TAGS for child in block.iterdescendants())
    ) or " ".join(tree.text_content().split())


def load_html(path: Path, article_id: str, root: str, max_bytes: int) -> Article:
    import trafilatura

    raw = read_text_file(path, max_bytes)
    visible = strip_hidden_html(raw)
    document = trafilatura.bare_extraction(
        visible,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    text = getattr(document, "text", None) or ""
    if not text.strip():
        import lxml.html

        try:
            text = lxml.html.fromstring(visible).text_content()
        except Exception:
            text = ""
    lines = clean_text(text).split("\n")
    title = clean_text(getattr(document, "title", None) or "").strip()
    if lines and title and lines[0].strip() == title:
        lines = lines[1:]
    body = join_paragraphs(lines)
    if not title and body:
        title = body.split("\n", 1)[0][:100]
    published = parse_date(getattr(document, "date", None))
    source = safe_url(getattr(document, "url", None)) or shown_path(path, article_id, root)
    return make_article(article_id, title, body, published, source, root)


def load_jsonl(path: Path, root: str, max_bytes: int, shown: str = "") -> LoadResult:
    """The records of a JSON Lines file; a record without a URL has `shown:LINE` as its
    source (`shown` is the file's source, see `shown_path`)."""
    raw = read_text_file(path, max_bytes)
    articles: list[Article] = []
    failed: list[tuple[str, str]] = []
    for number, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            failed.append((where, f"not valid JSON ({exc.msg})"))
            continue
        except ValueError:  # e.g. an integer longer than Python converts (4300 digits)
            failed.append((where, "not valid JSON (a number too long to read)"))
            continue
        except RecursionError:
            failed.append((where, "not valid JSON (nested too deeply)"))
            continue
        if not isinstance(record, dict):
            failed.append((where, "a record must be a JSON object"))
            continue
        record_id = record.get("id")
        text = record.get("text")
        if not isinstance(record_id, (str, int)) or str(record_id).strip() == "":
            failed.append((where, "record has no 'id'"))
            continue
        if not isinstance(text, str) or not text.strip():
            failed.append((where, "record has no 'text'"))
            continue
        body = join_paragraphs(clean_text(text).split("\n"))
        title = clean_text(str(record.get("title") or "")).strip() or body[:80]
        published = parse_date(record.get("published") or record.get("date"))
        source = safe_url(record.get("url")) or f"{shown or path}:{number}"
        articles.append(make_article(str(record_id).strip(), title, body, published, source, root))
    if not articles and not failed:
        failed.append((str(path), "no records"))
    return LoadResult(articles, failed)


def make_article(
    article_id: str, title: str, body: str, published: str | None, source: str, root: str
) -> Article:
    if not body.strip():
        raise BadInputError("no article text found")
    title = " ".join(title.split()) or article_id
    return Article(
        article_id=article_id,
        title=title,
        text=body,
        published=published,
        source=source,
        root=root,
        content_hash=content_hash(title, body, published or "", source),
    )


def load_file(path: Path, article_id: str, root: str, max_bytes: int) -> LoadResult:
    """Load one file; expected failures come back in `failed`, never as exceptions."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            return load_jsonl(path, root, max_bytes, shown_path(path, article_id, root))
        loader = {".txt": load_txt, ".md": load_md, ".markdown": load_md}.get(suffix, load_html)
        return LoadResult([loader(path, article_id, root, max_bytes)], [])
    except BadInputError as exc:
        return LoadResult([], [(str(path), str(exc))])
    except OSError as exc:
        return LoadResult([], [(str(path), f"cannot read: {exc.strerror or exc}")])
    except Exception as exc:  # a parser bug must not stop the other files
        return LoadResult([], [(str(path), f"could not parse: {type(exc).__name__}: {exc}")])


def _is_documentation(path: Path) -> bool:
    """README, LICENSE and CHANGELOG files describe a corpus; they are not articles."""
    return path.stem.upper() in {"README", "LICENSE", "LICENCE", "CHANGELOG", "NOTICE"}


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    article_id: str
    root: str


def discover(paths: list[Path]) -> tuple[list[SourceFile], int, list[tuple[str, str]]]:
    """Files to ingest under `paths`, how many were ignored, and paths that do not exist.

    Hidden files and folders and unsupported extensions are ignored. A file's article id is
    its path relative to the folder given, without extension (`lee/lee-017`).
    """
    files: list[SourceFile] = []
    ignored = 0
    missing: list[tuple[str, str]] = []
    for given in paths:
        if not given.exists():
            missing.append((str(given), "no such file or folder"))
            continue
        if given.is_file():
            candidates: Iterator[Path] = iter([given])
            base = given.parent
        else:
            candidates = (p for p in sorted(given.rglob("*")) if p.is_file())
            base = given
        root = str(base.resolve())
        for path in candidates:
            relative = path.relative_to(base)
            if any(part.startswith(".") for part in relative.parts):
                ignored += 1
                continue
            if path.suffix.lower() not in SUPPORTED_SUFFIXES or _is_documentation(path):
                ignored += 1
                continue
            article_id = relative.with_suffix("").as_posix()
            files.append(SourceFile(path, article_id, root))
    return files, ignored, missing
