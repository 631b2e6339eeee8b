"""Markdown to an HTML fragment, once per issue; every rendering starts from that fragment.

Python-Markdown with the extensions a newsletter needs, plus one small treeprocessor that
makes links and images absolute against the publication's ``base_url``: a relative link
means nothing inside a mail client. The fragment is then sanitized (toolkit.sanitize): raw
HTML an author pastes keeps its tables and inline styles and loses its scripts, and every
rendering (email, web page, plain text, correction notices) starts from that clean fragment.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import HTML_EMPTY, Element, QName

import markdown
from markdown import inlinepatterns, serializers, util
from markdown.blockparser import BlockParser
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from .components import ComponentsExtension
from .sanitize import Removal, locate, sanitize

#: attr_list also gives a link its class: ``[Join](https://...){: .button }`` (issue 11).
EXTENSIONS = ("tables", "footnotes", "attr_list", "fenced_code", "sane_lists")
#: Their settings, by name.
EXTENSION_CONFIGS: dict[str, dict[str, Any]] = {"footnotes": {"UNIQUE_IDS": False}}


def builtin_extensions() -> list[Extension]:
    """`EXTENSIONS` made from Python-Markdown's own modules, with `EXTENSION_CONFIGS`.

    Given a name, Markdown looks it up among every installed package's entry points
    (``importlib.metadata``), which was about 35 ms of each process that renders (issue 13);
    each of its extension modules has a ``makeExtension`` that makes the same extension.
    """
    _import_codehilite_without_pygments()
    return [
        importlib.import_module(f"markdown.extensions.{name}").makeExtension(**EXTENSION_CONFIGS.get(name, {}))
        for name in EXTENSIONS
    ]


#: What codehilite takes from Pygments when it is imported, as (module, name).
PYGMENTS_NAMES = (
    ("pygments", "highlight"),
    ("pygments.lexers", "get_lexer_by_name"),
    ("pygments.lexers", "guess_lexer"),
    ("pygments.formatters", "get_formatter_by_name"),
    ("pygments.util", "ClassNotFound"),
)


def _import_codehilite_without_pygments() -> None:
    """Import Python-Markdown's codehilite with Pygments left for its first highlight.

    fenced_code imports codehilite, and codehilite imports Pygments where it is installed (a
    test or development environment: 5-7 ms of every process that renders, issue 13), though
    notice never highlights code. Its import finds no Pygments; its first `hilite`, if a
    program beside notice asks for one, imports Pygments as the import would have.
    """
    if "markdown.extensions.codehilite" in sys.modules or "pygments" in sys.modules:
        return
    sys.modules["pygments"] = None  # type: ignore[assignment]  # an ImportError for codehilite's `try`
    try:
        from markdown.extensions import codehilite  # lazy: with Pygments kept out
    finally:
        if sys.modules.get("pygments", False) is None:
            del sys.modules["pygments"]
    imported_hilite = codehilite.CodeHilite.hilite

    def hilite(self: codehilite.CodeHilite, shebang: bool = True) -> str:
        codehilite.CodeHilite.hilite = imported_hilite
        try:
            found = {name: getattr(importlib.import_module(module), name) for module, name in PYGMENTS_NAMES}
        except ImportError:  # not installed: codehilite's import found none either
            found = {}
        vars(codehilite).update(found, pygments=bool(found))
        return imported_hilite(self, shebang)

    codehilite.CodeHilite.hilite = hilite


class AbsoluteURLs(Treeprocessor):
    """Resolve ``a[href]`` and ``img[src]`` against base_url; in-page anchors stay as they are."""

    def __init__(self, md: markdown.Markdown, base_url: str) -> None:
        super().__init__(md)
        self.base_url = base_url

    def run(self, root: Element) -> None:
        for tag, attribute in (("a", "href"), ("img", "src")):
            for element in root.iter(tag):
                value = element.get(attribute)
                if value is not None:
                    element.set(attribute, absolute_url(value, self.base_url))


class IssueImages(Protocol):
    """What the treeprocessor asks of `toolkit.images.IssueImages` (not imported: it reads issues)."""

    def resolve(self, src: str) -> Any: ...

    def url(self, image: Any) -> str: ...


class LocalImages(Treeprocessor):
    """``img[src]`` naming a file of the publication -> its published copy (toolkit.images,
    issue 11): the hashed URL under base_url, and width and height from the file.

    An author's ``{: width="300" }`` wins (attr_list runs before): it is the size they chose;
    the height follows the file's proportions unless they gave one too (and a height alone
    gives the width).
    """

    images: IssueImages | None = None  # set for each document by `render_fragment`

    def run(self, root: Element) -> None:
        if self.images is None:
            return
        for element in root.iter("img"):
            image = self.images.resolve(element.get("src") or "")
            if image is None:
                continue
            element.set("src", self.images.url(image))
            if image.size is None:  # an SVG without width, height or viewBox: `image-width` says so
                continue
            width, height = image.size
            given = element.get("width", "").strip().removesuffix("px")
            given_height = element.get("height", "").strip().removesuffix("px")
            if given and not (given.isdigit() and int(given) > 0):
                continue  # width="100%": the author's, and no pixel height follows from it
            if given:
                width, height = int(given), max(1, round(int(given) * height / width))
            elif given_height.isdigit() and int(given_height) > 0:  # only a height: the width follows
                width, height = max(1, round(int(given_height) * width / height)), int(given_height)
            element.set("width", str(width))
            if not element.get("height"):
                element.set("height", str(height))


class AbsoluteURLExtension(Extension):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After the inline patterns (priority 20) have made the <a> and <img> elements, and
        # attr_list (8) has set the author's attributes.
        md.treeprocessors.register(LocalImages(md), "notice_local_images", 6)
        md.treeprocessors.register(AbsoluteURLs(md, self.base_url), "notice_absolute_urls", 5)
        if _QUICK_INLINE:
            md.treeprocessors.register(QuickInlineProcessor(md), "inline", 20)
        if md.output_formats.get("html") is serializers.to_html_string:  # chosen after the extensions
            md.output_formats = {**md.output_formats, "html": serialize_html}
        md.is_block_level = BlockLevel(md).__getitem__
        quick_block_tests(md)  # the last extension registered: every block processor is there
        md.preprocessors.register(DocumentText(md), "notice_document_text", 0)
        md.preprocessors.register(StashMark(md), "notice_stash_mark", 21)  # after fenced_code (25)
        quick_processors(md)


#: Block processors whose test (or, for the two whose test is always true, whose run) cannot
#: succeed on a block holding none of these strings, by class and expression as in
#: Python-Markdown 3.11. A processor not listed, or whose expression changed, is always tested.
BLOCK_NEEDLES: dict[tuple[str, str | None], tuple[str, ...]] = {
    (
        "markdown.blockprocessors.HashHeaderProcessor",
        r"(?:^|\n)(?P<level>#{1,6})(?P<header>(?:\\.|[^\\#]|#+(?=[^#\n]))*?)#*(?:\n|$)",
    ): ("#",),
    # The underline is the second line: `.*?` does not cross a line break, and match anchors it.
    ("markdown.blockprocessors.SetextHeaderProcessor", r"^.*?\n(?:=+|-+)[ ]*(\n|$)"): ("\n=", "\n-"),
    (
        "markdown.blockprocessors.HRProcessor",
        r"^[ ]{0,3}(?=(?P<atomicgroup>(-+[ ]{0,2}){3,}|(_+[ ]{0,2}){3,}|(\*+[ ]{0,2}){3,}))(?P=atomicgroup)[ ]*$",
    ): ("-", "_", "*"),
    ("markdown.blockprocessors.BlockQuoteProcessor", r"(^|\n)[ ]{0,3}>[ ]?(.*)"): (">",),
    # These two test true and search in run, which puts the block back when nothing matched.
    ("markdown.extensions.footnotes.FootnoteBlockProcessor", r"^[ ]{0,3}\[\^([^\]]*)\]:[ ]*(.*)$"): ("[^",),
    (
        "markdown.blockprocessors.ReferenceProcessor",
        r'^[ ]{0,3}\[([^\[\]]*)\]:[ ]*(?:\n[ ]*)?([^\s]+)[ ]*(?:\n[ ]*)?((["\'])(.*)\4[ ]*|\((.*)\)[ ]*)?$',
    ): ("]:",),
    # A table's first row has a pipe, or it is no table (its test sets state only run reads).
    ("markdown.extensions.tables.TableProcessor", None): ("|",),
}


def quick_block_tests(md: markdown.Markdown) -> None:
    """Give each processor of `BLOCK_NEEDLES` a test that first looks for its strings.

    Issue 13: the block parser tries every processor's test on every block, in order, and
    most are a regular-expression search of the whole block that finds nothing; together
    they were a third of the block parser's time. A test skipped here would have returned
    false, so the tree is the same (`tests/test_markup.py` compares both).
    """
    needed: list[tuple[Any, tuple[str, ...] | None]] = []
    for processor in md.parser.blockprocessors:
        expression = getattr(processor, "SEARCH_RE", None) or getattr(processor, "RE", None)
        kind = type(processor)
        needles = BLOCK_NEEDLES.get((f"{kind.__module__}.{kind.__qualname__}", getattr(expression, "pattern", None)))
        if needles:
            processor.test = _needle_test(processor.test, needles)
        needed.append((processor, _in_document(needles or getattr(processor, "document_needles", None))))
    if type(md.parser).parseBlocks is BlockParser.parseBlocks:
        md.parser.parseBlocks = _parse_blocks(md, tuple(needed))


def _parse_blocks(md: markdown.Markdown, needed: tuple[tuple[Any, tuple[str, ...] | None], ...]) -> Any:
    """``BlockParser.parseBlocks`` (Python-Markdown 3.11) over the processors as a tuple: the
    registry made a new list of them for every block (about 40 an issue, issue 13). No
    processor is registered after the converter is built.

    A processor whose strings the whole document (`DocumentText`'s) lacks is left out of the
    tuple for that document: every block the parser is given, nested ones too, is made of
    that text with line prefixes taken off, so its test would have been false on each block.
    The box's test (`components._UntitledMarker`, first of all) looked for ``!!!`` in the
    whole document for every block: 0.1 ms of a 3.8 ms render (issue 13).
    """
    everything = tuple(processor for processor, _ in needed)
    chosen: list[Any] = [None, everything]  # the document's text, and its processors

    def processors_for(text: str | None) -> tuple[Any, ...]:
        if text is None:
            return everything
        if text is not chosen[0]:
            chosen[:] = text, tuple(p for p, needles in needed if needles is None or any(n in text for n in needles))
        return chosen[1]

    def parse_blocks(parent: Element, blocks: list[str]) -> None:
        processors = processors_for(getattr(md, "notice_text", None))
        while blocks:
            for processor in processors:
                if processor.test(parent, blocks[0]):
                    if processor.run(parent, blocks) is not False:
                        break  # run returns True or None

    return parse_blocks


def _in_document(needles: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """What the whole document must hold for a block to hold one of *needles*: a nested block
    loses its lines' prefixes (``> ``, an indent), which joins a line break to what followed
    them, so a needle's line breaks are not looked for in the document."""
    if needles is None:
        return None
    found = tuple(needle.replace("\n", "") for needle in needles)
    return found if all(found) else None


def _needle_test(test: Any, needles: tuple[str, ...]) -> Any:
    def quick(parent: Element, block: str) -> bool:
        for needle in needles:
            if needle in block:
                return test(parent, block)
        return False

    return quick


class DocumentText(Preprocessor):
    """Keeps the text the block parser is given (after the other preprocessors) as
    ``md.notice_text``: what `quick_processors` and `QuickInlineProcessor` look in.

    Every text node, attribute value and footnote the tree gets is made of that text (tabs
    expanded, raw HTML and fenced code already stashed as placeholders, which hold none of
    the needles), so a string absent from it is absent from the whole document.
    """

    def run(self, lines: list[str]) -> list[str]:
        self.md.notice_text = "\n".join(lines)
        return lines


class StashMark(Preprocessor):
    """Counts the raw-HTML stash after fenced code has gone in (``md.notice_fenced``): every
    entry after those is HTML the author wrote (a block, an inline tag, an entity)."""

    def run(self, lines: list[str]) -> list[str]:
        self.md.notice_fenced = len(self.md.htmlStash.rawHtmlBlocks)
        return lines


#: Processors that do nothing to a document without one of these strings, by their class as
#: in Python-Markdown 3.11, and where the strings are looked for: ``lines``, the lines the
#: preprocessor is given; ``text``, `DocumentText`'s. A processor not listed always runs.
PROCESSOR_NEEDLES: dict[str, tuple[str, tuple[str, ...]]] = {
    # Fences open with three backticks or tildes (its FENCED_BLOCK_RE).
    "markdown.extensions.fenced_code.FencedBlockPreprocessor": ("lines", ("```", "~~~")),
    # HTMLParser over text without a tag or a character reference gives its data back whole.
    "markdown.preprocessors.HtmlBlockPreprocessor": ("lines", ("<", "&")),
    # Its expressions all need a brace: ``{: .class }``.
    "markdown.extensions.attr_list.AttrListTreeprocessor": ("text", ("{",)),
    # Its STX-number-ETX marks are made only by the backslash escape pattern.
    "markdown.treeprocessors.UnescapeTreeprocessor": ("text", ("\\",)),
    # No footnote without a definition, and no definition without ``[^``.
    "markdown.extensions.footnotes.FootnoteTreeprocessor": ("text", ("[^",)),
    "markdown.extensions.footnotes.FootnotePostTreeprocessor": ("text", ("[^",)),
}


def quick_processors(md: markdown.Markdown) -> None:
    """Give each pre- and treeprocessor of `PROCESSOR_NEEDLES` a run that first looks for its
    strings in the document, and does nothing when none is there.

    Issue 13: most issues have no fenced code, raw HTML, attribute list, backslash or
    footnote, and these processors still walked every line or element of every one. A run
    skipped here would have changed nothing (`tests/test_markup.py` compares both).
    """
    for registry in (md.preprocessors, md.treeprocessors):
        for processor in registry:
            kind = type(processor)
            where, needles = PROCESSOR_NEEDLES.get(f"{kind.__module__}.{kind.__qualname__}", ("", ()))
            if needles:
                processor.run = _needle_run(md, processor.run, where, needles)


def _needle_run(md: markdown.Markdown, run: Any, where: str, needles: tuple[str, ...]) -> Any:
    if where == "lines":

        def quick_lines(lines: list[str]) -> list[str]:
            text = "\n".join(lines)
            return run(lines) if any(needle in text for needle in needles) else lines

        return quick_lines

    def quick_tree(root: Element) -> Any:
        text = getattr(md, "notice_text", None)
        if text is None or any(needle in text for needle in needles):
            return run(root)
        return None

    return quick_tree


class BlockLevel(dict):
    """tag -> ``Markdown.is_block_level(tag)``, each tag asked once per converter.

    Markdown asks it of nearly every element, several times (the inline processor, the
    prettifier, attr_list, the raw-HTML postprocessor), and answers by lowering the tag and
    scanning a list of 59 names: 0.5-1.4 us a call, 175 calls an issue (issue 13). No
    extension notice loads changes that list after the converter is built.
    """

    def __init__(self, md: markdown.Markdown) -> None:
        super().__init__()
        self.md = md

    def __missing__(self, tag: Any) -> bool:
        level = self[tag] = markdown.Markdown.is_block_level(self.md, tag)
        return level


#: What each of Python-Markdown's own inline patterns cannot match without, by its regular
#: expression: a text holding none of these strings is left alone by that pattern. A pattern
#: not listed here (another extension's, or one whose expression changed) is always tried.
NEEDLES: dict[str, tuple[str, ...]] = {
    inlinepatterns.BACKTICK_RE: ("`",),
    inlinepatterns.ESCAPE_RE: ("\\",),
    r"\[\^([^\]]*)\]": ("[^",),  # footnotes' FOOTNOTE_RE, a local name in its extension
    inlinepatterns.LINK_RE: ("[",),  # also REFERENCE_RE and the short reference
    inlinepatterns.IMAGE_LINK_RE: ("![",),  # also IMAGE_REFERENCE_RE and the short image reference
    inlinepatterns.AUTOLINK_RE: ("<",),
    inlinepatterns.AUTOMAIL_RE: ("<",),
    inlinepatterns.HTML_RE: ("<",),
    inlinepatterns.ENTITY_RE: ("&",),
    inlinepatterns.LINE_BREAK_RE: ("  \n",),
    r"\*|_": ("*", "_"),  # DelimiterProcessor's, for * and _ emphasis (Markdown 3.11)
}


class QuickInlineProcessor(InlineProcessor):
    """Python-Markdown's inline processor, which skips a pattern for a text holding none of
    its `NEEDLES` instead of running its expression.

    Issue 13: the inline patterns were a third of a build's CPU, nearly all of it trying each
    of 15 patterns on every piece of text (and looking each one up in the registry by index)
    to find that most match nothing. Where a pattern's expression cannot match, Markdown's
    own ``__applyPattern`` returns ``(data, False, 0)`` without calling the pattern, so
    skipping it gives the same tree; `tests/test_markup.py` compares both on generated text.
    The loop below is Markdown's ``__handleInline`` (3.5 to 3.11) with that one test added.
    """

    def run(self, tree: Element, ancestors: list[str] | None = None) -> Element:
        new_style = inlinepatterns.InlineProcessor  # an old-style Pattern matches otherwise: always tried
        text = getattr(self.md, "notice_text", None)
        # Each string looked for once in the document: three patterns need "<", and a pattern
        # with one string asked for it twice (issue 13: up to 20 searches of the whole text for
        # its 10 strings; choosing the patterns took 0.033 ms a document, now 0.019).
        found: dict[str, bool] = {}
        quick = []
        for pattern in self.inlinePatterns:
            needles = NEEDLES.get(pattern.compiled_re.pattern) if isinstance(pattern, new_style) else None
            # A pattern whose strings the whole document lacks is left out of the loop for it
            # (one or two strings each: tests/test_markup.py holds NEEDLES to that).
            if needles is not None and text is not None and not any(_found(found, n, text) for n in needles):
                continue
            quick.append((pattern, needles))
        self.quick = quick
        return super().run(tree, ancestors)

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if isinstance(data, util.AtomicString):
            return data
        quick, start = self.quick, 0
        count = len(quick)
        while patternIndex < count:
            pattern, needles = quick[patternIndex]
            # One or two needles each (checked below): no generator for a test made 260,000 times.
            if needles is not None and needles[0] not in data and needles[-1] not in data:
                patternIndex, start = patternIndex + 1, 0
                continue
            data, matched, start = self._InlineProcessor__applyPattern(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data

    def _InlineProcessor__processPlaceholders(  # noqa: N802 (Markdown's name)
        self,
        data: str | None,
        parent: Element,
        isText: bool = True,  # noqa: N803
    ) -> list[tuple[Element, list[str]]]:
        """Markdown's, which for a text without a placeholder (no pattern matched in it: most
        texts) appends it to the parent's text or tail and returns no element, as here."""
        if data and util.INLINE_PLACEHOLDER_PREFIX not in data:
            if isText:
                parent.text = parent.text + data if parent.text else data
            else:
                parent.tail = parent.tail + data if parent.tail else data
            return []
        return _markdowns_placeholders(self, data, parent, isText)


def _found(found: dict[str, bool], needle: str, text: str) -> bool:
    """Whether *needle* is in *text*, asked of the text once (*found* is the document's)."""
    answer = found.get(needle)
    if answer is None:
        answer = found[needle] = needle in text
    return answer


class _Unusual(Exception):
    """An element `serialize_html` leaves to Markdown's own serialiser."""


def serialize_html(root: Element) -> str:
    """``markdown.serializers.to_html_string(root)``, by recursion instead of a queue.

    Issue 13: Markdown's serialiser was the largest part of its time per issue after the
    inline patterns (a deque step, two ``isinstance`` and two ``lower`` calls for each element
    and text). This writes the same text for the trees notice's converters make (elements
    with string tags and attributes); a comment, a processing instruction, a ``QName`` or a
    tree too deep for recursion goes to Markdown's own (`tests/test_markup.py` compares both).
    """
    out: list[str] = []
    try:
        _serialize(out.append, root)
    except (_Unusual, RecursionError):
        return serializers.to_html_string(root)
    return "".join(out)


def _serialize(write: Any, element: Element) -> None:
    tag = element.tag
    kind = _TAG_KINDS.get(tag) if type(tag) is str else None
    if kind is None:
        if not isinstance(tag, str) or isinstance(tag, QName):
            raise _Unusual
        kind = _TAG_KINDS[tag] = (tag.lower() in ("script", "style"), tag.lower() in HTML_EMPTY)
    items = element.items()
    write(_start_tag(tag, items) if items else f"<{tag}>")
    text = element.text
    if text:
        write(text if kind[0] or not ("&" in text or "<" in text or ">" in text) else _escape_cdata(text))
    for child in element:
        _serialize(write, child)
    if not kind[1]:
        write(f"</{tag}>")
    tail = element.tail
    if tail:
        write(_escape_cdata(tail) if "&" in tail or "<" in tail or ">" in tail else tail)


def _start_tag(tag: str, items: Iterable[tuple[str, str | None]]) -> str:
    parts = ["<", tag]
    for name, value in sorted(items):  # in lexical order, as Markdown writes them
        if not isinstance(name, str) or isinstance(name, QName) or isinstance(value, QName):
            raise _Unusual
        if value is None:  # a valueless attribute, written bare
            parts.append(f" {name}")
            continue
        if "&" in value or "<" in value or ">" in value or '"' in value:
            value = _escape_attrib_html(value)
        if name == value and name in _BOOLEAN:
            parts.append(f" {value}")
        else:
            parts.append(f' {name}="{value}"')
    parts.append(">")
    return "".join(parts)


_TAG_KINDS: dict[str, tuple[bool, bool]] = {}  # tag -> (its text is raw, it has no end tag)
_BOOLEAN = serializers.BOOLEAN_ATTRIBUTES["html"]
_escape_cdata = serializers._escape_cdata
_escape_attrib_html = serializers._escape_attrib_html


_markdowns_placeholders: Any = getattr(InlineProcessor, "_InlineProcessor__processPlaceholders", None)

# Only where Markdown's inline processor is built as this module expects; otherwise its own.
_QUICK_INLINE = (
    hasattr(InlineProcessor, "_InlineProcessor__handleInline")
    and hasattr(InlineProcessor, "_InlineProcessor__applyPattern")
    and hasattr(InlineProcessor, "_InlineProcessor__processPlaceholders")
)


@functools.lru_cache(maxsize=4096)
def absolute_url(url: str, base_url: str) -> str:
    """*url* made absolute against *base_url*; anchors, schemes and empty bases pass through.

    Cached: the same links come back issue after issue, and urljoin is slow (issue 13).
    """
    url = url.strip()
    if not base_url or not url or url.startswith("#") or urlsplit(url).scheme:
        return url
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", url)


@dataclass(frozen=True)
class Fragment:
    """An HTML fragment, and what the sanitizer removed from it (offsets in the Markdown)."""

    html: str
    removed: tuple[Removal, ...] = ()


def render_markdown(text: str, *, base_url: str = "", images: IssueImages | None = None) -> str:
    """The sanitized HTML fragment for one issue body, note or passage."""
    return render_fragment(text, base_url=base_url, images=images).html


def render_fragment(text: str, *, base_url: str = "", images: IssueImages | None = None) -> Fragment:
    """The HTML fragment for *text*, active content removed on the parsed tree (toolkit.sanitize),
    and each removal located in *text* through Python-Markdown's raw-HTML stash.

    One converter per base URL and thread, reset before each document: `Markdown.reset`
    clears the per-document state (footnotes, references, the raw-HTML stash), and building
    a converter was a sixth of the Markdown time of a build (issue 13). *images* resolves the
    issue's local images (toolkit.images); without it they are only made absolute.
    """
    converters = _CONVERTERS.__dict__.setdefault("by_base", {})
    converter = converters.get(base_url)
    if converter is None:
        converter = converters[base_url] = markdown.Markdown(
            # Boxes (admonition) and figures: toolkit.components (issue 11).
            extensions=[*builtin_extensions(), ComponentsExtension(), AbsoluteURLExtension(base_url)],
            output_format="html",
        )
    converter.reset()
    local_images = converter.treeprocessors["notice_local_images"]
    local_images.images = images
    try:
        converter.notice_fenced = -1  # convert stops early on blank text
        html = converter.convert(text)
        fenced = converter.notice_fenced
        html, removals = sanitize(html, generated=0 <= fenced == len(converter.htmlStash.rawHtmlBlocks))
    finally:
        local_images.images = None
    if not removals:
        return Fragment(html)
    return Fragment(html, tuple(locate(removals, text, raw_spans(text, converter.htmlStash.rawHtmlBlocks))))


_CONVERTERS = threading.local()


def raw_spans(text: str, blocks: list[Any]) -> list[tuple[int, int]]:
    """Where in *text* the raw HTML that Markdown stashed (blocks and inline tags) was written."""
    spans = []
    for block in {str(b) for b in blocks if str(b).strip()}:
        start = text.find(block)
        while start >= 0:
            spans.append((start, start + len(block)))
            start = text.find(block, start + 1)
    return spans
