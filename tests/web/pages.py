"""Reading the lite site's pages as a browser and a validator would.

:func:`parse` walks a page once with the standard library's parser (fast enough for a crawl of
every page in every locale) and keeps what the tests look at: links, forms, text nodes with
their language, scripts, headings and ids. :func:`validate` is a page's first validator:
html5lib's strict WHATWG parser, which raises on every parse error the HTML standard defines
(a stray end tag, a missing doctype, a duplicate attribute, an unclosed element…), plus the
structural rules a parser does not check (unique ids, labels that point at a field, lists
that hold list items, one ``h1``, no skipped heading level, no nested links).
:func:`nu_errors` then runs the W3C's Nu HTML Checker (``vnu.jar``, which ``make test``
fetches from npm into ``.venv``, or ``VNU_JAR``; it runs on Java) over a batch of pages:
content models, attribute values, ARIA, CSS.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import html5lib

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
LABELABLE = {"input", "select", "textarea", "button"}
# Attributes people read or hear, which must be translated like text.
SPOKEN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "label")


@dataclass
class Text:
    value: str
    lang: str  # the language of the element it is in (inherited)


@dataclass
class Page:
    html: str
    lang: str = ""
    dir: str = ""
    links: list[str] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    scripts: int = 0
    event_handlers: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    label_targets: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # id -> tag of labelable elements
    forms: list[dict[str, str]] = field(default_factory=list)
    list_children: list[tuple[str, str]] = field(default_factory=list)  # (list tag, child tag)
    nested_links: int = 0
    landmarks: list[str] = field(default_factory=list)
    stylesheets: int = 0

    @property
    def visible_text(self) -> str:
        return " ".join(text.value for text in self.texts)


class _Reader(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.stack: list[tuple[str, str]] = []  # (tag, lang)

    def _lang(self) -> str:
        return self.stack[-1][1] if self.stack else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        page = self.page
        lang = values.get("lang", self._lang())
        if tag == "html":
            page.lang, page.dir = values.get("lang", ""), values.get("dir", "")
        if tag == "script":
            page.scripts += 1
        if tag == "link" and "stylesheet" in values.get("rel", ""):
            page.stylesheets += 1
        page.event_handlers += [name for name in values if name.startswith("on")]
        if tag == "a" and "href" in values:
            if any(open_tag == "a" for open_tag, _ in self.stack):
                page.nested_links += 1
            page.links.append(values["href"])
        if tag == "form":
            page.forms.append(values)
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            page.headings.append(int(tag[1]))
        if tag in {"header", "nav", "main", "footer"}:
            page.landmarks.append(tag)
        if "id" in values:
            page.ids.append(values["id"])
            if tag in LABELABLE:
                page.fields[values["id"]] = tag
        if tag == "label" and "for" in values:
            page.label_targets.append(values["for"])
        if self.stack and self.stack[-1][0] in {"ul", "ol"}:
            page.list_children.append((self.stack[-1][0], tag))
        for name in SPOKEN_ATTRIBUTES:
            if values.get(name):
                page.texts.append(Text(values[name], lang))
        if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
            page.texts.append(Text(values["value"], lang))
        if tag not in VOID:
            self.stack.append((tag, lang))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if any(tag in {"style", "script"} for tag, _ in self.stack):
            return
        if data.strip():
            self.page.texts.append(Text(" ".join(data.split()), self._lang()))


def parse(html: str) -> Page:
    page = Page(html)
    reader = _Reader(page)
    reader.feed(html)
    reader.close()
    return page


def body_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page as text, decompressing gzip when the response is compressed."""
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def internal_links(page: Page, base: str) -> list[str]:
    """Links to this site (path and query), resolved against the page's address."""
    found = []
    for href in page.links:
        parts = urlsplit(urljoin("http://localhost" + base, href))
        if parts.scheme == "http" and parts.netloc == "localhost":
            found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def validate(html: str) -> list[str]:
    """Everything wrong with the page as HTML; empty when it is valid."""
    problems = []
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        line, column = parser.errors[-1][0] if parser.errors else ("?", "?")
        problems.append(f"parse error at {line}:{column}: {error}")
    page = parse(html)
    duplicates = sorted({i for i in page.ids if page.ids.count(i) > 1})
    if duplicates:
        problems.append(f"duplicate ids {duplicates}")
    for target in page.label_targets:
        if target not in page.fields:
            problems.append(f"label for={target!r} names no form field")
    for list_tag, child in page.list_children:
        if child not in {"li", "script", "template"}:
            problems.append(f"<{child}> directly inside <{list_tag}>")
    if page.headings.count(1) != 1:
        problems.append(f"{page.headings.count(1)} h1 elements")
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        if after > before + 1:
            problems.append(f"heading level skipped: h{before} then h{after}")
    if page.nested_links:
        problems.append("a link inside a link")
    if page.landmarks.count("main") != 1:
        problems.append("not exactly one <main>")
    for form in page.forms:
        if form.get("method", "get").lower() not in {"get", "post"}:
            problems.append(f"form method {form.get('method')!r}")
    return problems


def nu_errors(pages: dict[str, str]) -> list[str]:
    """The Nu HTML Checker's errors on ``pages`` (name → HTML), as "name: message" lines."""
    java = shutil.which("java")
    assert java, "the Nu HTML Checker needs a Java runtime (.ci/run installs one)"
    fetched = sorted(Path(__file__).resolve().parents[2].glob(".venv/vnu-*.jar"))
    jar = os.environ.get("VNU_JAR") or (str(fetched[-1]) if fetched else "")
    assert Path(jar).is_file(), "no vnu.jar: `make test` fetches it (or set VNU_JAR)"
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for number, (name, html) in enumerate(pages.items()):
            path = Path(tmp) / f"page{number}.html"
            path.write_text(html, encoding="utf-8")
            names[path.name] = name
        result = subprocess.run(
            [java, "-jar", jar, "--errors-only", "--format", "json", "--skip-non-html", tmp],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    report = json.loads(result.stderr or result.stdout or "{}")
    assert "messages" in report, result.stderr or result.stdout
    return [
        f"{names.get(m.get('url', '').rsplit('/', 1)[-1])}:{m.get('lastLine', '?')}: {m['message']}"
        for m in report["messages"]
    ]
