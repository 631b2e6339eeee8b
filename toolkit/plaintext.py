"""The text/plain part: the HTML fragment Python-Markdown made, read back as plain text.

Every email needs a text/plain alternative (spam filters score HTML-only mail worse) and
many Japanese mail-magazine readers read nothing else, so it must read well in a fixed-width
font: wrapped by display width with kinsoku (see ``toolkit.wrapping``), links numbered and
listed at the end, footnotes after the body. The stdlib parser is enough for the HTML that
Python-Markdown writes, and keeps lxml off this path, which runs once per issue; the
regular form nh3 serialises is read by one regular expression first (`parse_fragment`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import quote

from .wrapping import display_width, wrap

# Text put around inline elements. Empty for now; a change that wants corrections shown
# as [-old-]{+new+} sets them here.
INLINE_MARKS: dict[str, tuple[str, str]] = {"del": ("", ""), "ins": ("", "")}

BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section "
    "summary table ul".split()
)
DROPPED_TAGS = frozenset({"script", "style", "head", "title", "template"})
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
HEADING_MARK = "■ "
#: The words the theme's components (issue 11) need, by label key; the issue's language comes
#: from toolkit.labels through *words*.
WORDS = {"box_title_text": "[{title}]", "figure_image": "image"}
BOX_INDENT = "  "
UNDERLINES = {"h1": "=", "h2": "-"}

_BREAK = "\x00"  # stands for <br> until the paragraph is wrapped
_WHITESPACE = re.compile(r"\s")
_SPACES = re.compile(r"[ \t\n\r\f\xa0]+")
# Wide characters on both sides of a source line break: CSS Text 3 drops the break there, so
# a Japanese paragraph hard-wrapped in the Markdown source does not gain stray spaces.
_WIDE = (  # a pattern's text only: each compiled class of these ranges costs ~2 ms (issue 13)
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe6f"
    "\uff00-\uff60\uffe0-\uffe6]"
)
# A whole run of _SPACES with a line break in it, between two wide characters (neither side
# can be a space, so the run is whole).
_WIDE_BREAK = re.compile(rf"(?<={_WIDE})[ \t\r\f\xa0]*\n[ \t\n\r\f\xa0]*(?={_WIDE})")


@dataclass(slots=True)
class _Element:
    """An element of the fragment, as the text part reads it: its tag, attributes and children."""

    tag: str
    attrs: dict[str, str]
    children: list[_Element | str] = field(default_factory=list)

    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def elements(self, *tags: str) -> list[_Element]:
        """Child elements with one of *tags*."""
        return [child for child in self.children if isinstance(child, _Element) and child.tag in tags]

    def start(self) -> int:
        """The number of an ordered list's first item."""
        value = self.attrs.get("start", "")
        return int(value) if value.isdigit() else 1


class _TreeBuilder(HTMLParser):
    """A forgiving element tree: unmatched end tags are ignored, open ones closed at the end.

    ``<br />`` goes through the default ``handle_startendtag``: start (void, so not opened),
    then an end tag that matches nothing open.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#root", {})
        self._stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, {name: value or "" for name, value in attrs})
        self._stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self._stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        if any(element.tag == tag for element in self._stack[1:]):
            while self._stack.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        self._stack[-1].children.append(data.replace(_BREAK, ""))


def parse_fragment(fragment: str) -> _Element:
    """The element tree of *fragment*, as `_TreeBuilder` builds it.

    The fragments this module reads were serialised by nh3 (html5ever): lowercase tags,
    ``name="value"`` attributes, ``<``, ``&`` and U+00A0 escaped in text, no comments. For
    that regular form one regular expression finds every tag and the text before it in C,
    several times faster than the stdlib parser, which was a tenth of a warm build (issue 13).
    Anything outside it (a ``<`` that is no such tag, an element whose content is raw text)
    goes to `_TreeBuilder`, so the tree is always the one the stdlib parser gives.
    """
    pieces = _PIECE.findall(fragment)
    # Each piece but the last one or two (the text at the end) is a tag with the text before
    # it. A "<" that begins no such tag is skipped by findall, so the counts then differ.
    tags = len(pieces) - 1
    if tags and not (pieces[-2][1] or pieces[-2][3]):
        tags -= 1
    if fragment.count("<") != tags:
        return _parse_slowly(fragment)
    root = _Element("#root", {})
    stack = [root]
    children = root.children
    has_nul = _BREAK in fragment  # else text needs only unescaping, where it has an "&"
    for data, name, attrs, end in pieces:
        if data:
            if has_nul:
                data = _text(data)
            elif "&" in data:
                data = unescape(data)
            children.append(data)
        if name:
            if name in _RAW_TEXT:
                return _parse_slowly(fragment)
            element = _Element(
                name, {key: unescape(value) for key, value in _ATTRIBUTE.findall(attrs)} if attrs else {}
            )
            children.append(element)
            if name not in VOID_TAGS:
                stack.append(element)
                children = element.children
        elif end:
            children = _close(stack, end)
    return root


def _close(stack: list[_Element], name: str) -> list[_Element | str]:
    """An end tag: close the innermost open element named *name*, if any; the children of
    the element open after it."""
    if stack[-1].tag == name:
        stack.pop()
    elif any(element.tag == name for element in stack[1:]):
        while stack.pop().tag != name:
            pass
    return stack[-1].children


# A start tag as html5ever writes it (attributes ``name="value"``, one space before each), or
# an end tag, with the text before it; or the text at the end. html.parser lowercases names;
# these are lowercase already or do not match.
_PIECE = re.compile(r'([^<]*)(?:<(?:([a-z][a-z0-9]*)((?: [a-z][-a-z0-9_:.]*="[^"]*")*)>|/([a-z][a-z0-9]*)>)|\Z)')
_ATTRIBUTE = re.compile(r' ([^=]+)="([^"]*)"')
# Elements whose content html.parser reads as raw text (3.11: script and style; later
# versions more): never in what nh3 keeps, but left to the stdlib parser wherever they are.
_RAW_TEXT = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
)


def _text(data: str) -> str:
    """Text as html.parser hands it over (``convert_charrefs``: html.unescape), without NULs."""
    if "&" in data:
        data = unescape(data)
    return data.replace(_BREAK, "") if _BREAK in data else data


def _parse_slowly(fragment: str) -> _Element:
    parser = _TreeBuilder()
    parser.feed(fragment)
    parser.close()
    return parser.root


def html_to_text(
    fragment: str,
    *,
    width: int = 70,
    ambiguous_width: int = 1,
    marks: dict[str, tuple[str, str]] | None = None,
    links: dict[str, int] | None = None,
    words: dict[str, str] | None = None,
) -> str:
    """The plain-text rendering of *fragment*, ending in one newline ("" if it has no text).

    Pass ``ambiguous_width=2`` for Japanese, Chinese and Korean issues. *marks* overrides
    INLINE_MARKS, e.g. to label a correction's struck and new text in the issue's language.
    With *links*, several fragments of one message share one numbering: each call adds to
    it and the caller prints `link_references` once, at the end. *words* (toolkit.labels)
    titles boxes and names images in figures in the issue's language.
    """
    renderer = _Renderer(ambiguous_width, {**INLINE_MARKS, **(marks or {})}, links, floor=width // 2)
    if words:
        renderer.words = {key: words.get(key, value) for key, value in WORDS.items()}
    blocks = renderer.blocks(parse_fragment(fragment).children, width)
    blocks.append(renderer.footnote_lines(width))
    if links is None:
        blocks.append(link_references(renderer.links))
    return _finish(_join(blocks, blank=True))


def link_references(links: dict[str, int]) -> list[str]:
    """The numbered list of link targets: ``[1] https://...``, never wrapped.

    A URL with spaces in it (Markdown takes ``[a](https://x.jp/(b) and more)`` whole) is
    written with them percent-encoded, as a browser requests the HTML link: one unbroken
    token that a mail client links whole, never a reference line split into words (issue 14).
    `notice check` warns of such a URL (url-space).
    """
    return [f"[{number}] {_WHITESPACE.sub(lambda m: quote(m[0]), url)}" for url, number in links.items()]


class _Renderer:
    """Walks the tree once, in reading order, so link numbers follow the output."""

    def __init__(
        self,
        ambiguous_width: int,
        marks: dict[str, tuple[str, str]],
        links: dict[str, int] | None = None,
        floor: int = 0,
    ) -> None:
        self.ambiguous_width = ambiguous_width
        #: The narrowest a nested block's text may get: deeper lists and quotes are not
        #: indented further, or 35 levels of "- " would push lines past the width (issue 14).
        self.floor = floor
        self.marks = marks
        self.links: dict[str, int] = {} if links is None else links
        self.footnotes: list[_Element] = []
        self.words = WORDS
        self.in_figure = False
        # Marks this renderer writes into the text, which the breaker keeps whole (issue 14:
        # `[訂正` ended one line and `前]` began the next): the correction marks, and each
        # link number and footnote mark as it is made.
        # A frozenset, so that the breaker finds their pattern by the set itself (a new set a
        # paragraph was hashed again for every one).
        self._widths: dict[str, int] = {}
        self.atoms = frozenset(mark.strip() for pair in marks.values() for mark in pair if mark.strip())

    def add_atom(self, atom: str) -> None:
        if atom not in self.atoms:
            self.atoms = self.atoms | {atom}

    def width_of(self, text: str) -> int:
        if text.isascii() and text.isprintable():  # list markers, most table cells
            return len(text)
        width = self._widths.get(text)
        if width is None:  # a table's cells are measured twice, headings' lines once more
            width = self._widths[text] = display_width(text, ambiguous_width=self.ambiguous_width)
        return width

    def blocks(self, nodes: list[_Element | str], width: int) -> list[list[str]]:
        """Block children render as blocks; each run of inline ones is a paragraph."""
        out: list[list[str]] = []
        run: list[_Element | str] = []
        for node in nodes:
            if isinstance(node, str) or node.tag not in BLOCK_TAGS:
                run.append(node)
                continue
            if run:
                # The line breaks between blocks are runs too, and wrap to nothing (most runs).
                if len(run) > 1 or not (isinstance(run[0], str) and run[0].isspace()):
                    self._run_paragraph(run, width, out)
                run = []
            out.extend(self.block(node, width))
        if run:
            self._run_paragraph(run, width, out)
        return [block for block in out if block]

    def _run_paragraph(self, run: list[_Element | str], width: int, out: list[list[str]]) -> None:
        """A run of inline nodes as a paragraph, unless it is only the whitespace between two
        blocks: nearly half of the paragraphs an issue made were those (issue 13)."""
        if any(not isinstance(n, str) or not n.isspace() for n in run):
            out.append(self.paragraph(self.inline(run), width))

    def block(self, element: _Element, width: int) -> list[list[str]]:
        tag = element.tag
        if tag == "div" and "footnote" in element.classes():
            self.footnotes.append(element)  # rendered after the body
            return []
        if tag == "p":
            return [self.paragraph(self.inline(element.children), width)]
        if tag in UNDERLINES:
            lines = self.paragraph(self.inline(element.children), width)
            rule = min(width, max((self.width_of(line) for line in lines), default=0))
            return [lines + [UNDERLINES[tag] * rule]] if lines else []
        if tag in ("h3", "h4", "h5", "h6"):
            indent = " " * self.width_of(HEADING_MARK)
            return [self.paragraph(self.inline(element.children), width, HEADING_MARK, indent)]
        if tag in ("ul", "ol"):
            return [self.list_lines(element, width)]
        if tag == "blockquote":
            if width - 2 < self.floor:  # as deep as indents may go: the quote goes on unmarked
                return [_join(self.blocks(element.children, width), blank=True)]
            inner = _join(self.blocks(element.children, width - 2), blank=True)
            return [[f"> {line}" if line else ">" for line in inner]]
        if tag == "pre":
            return [_code_lines(_text_content(element))]
        if tag == "hr":
            return [["-" * width]]
        if tag == "table":
            return [self.table_lines(element, width)]
        if tag == "figure" or (tag == "aside" and "box" in element.classes()):
            return [self.figure_lines(element, width) if tag == "figure" else self.box_lines(element, width)]
        return self.blocks(element.children, width)

    def box_lines(self, box: _Element, width: int) -> list[str]:
        """A box (issue 11): its title on a line of its own (``【営業時間の変更】``), the text
        under it indented."""
        title = next((p for p in box.elements("p") if "box-title" in p.classes()), None)
        lines: list[str] = []
        if title is not None:
            heading = _collapse(self.inline(title.children)).strip()
            lines = self.paragraph(self.words["box_title_text"].format(title=heading), width)
        indent = BOX_INDENT if width - len(BOX_INDENT) >= self.floor else ""
        body = [child for child in box.children if child is not title]
        inner = _join(self.blocks(body, width - len(indent)), blank=True)
        return lines + [indent + line if line else "" for line in inner]

    def figure_lines(self, figure: _Element, width: int) -> list[str]:
        """A figure (issue 11) as one paragraph: ``[画像: 店内の様子] 改装した店内です。``"""
        captions = figure.elements("figcaption")
        self.in_figure = True
        try:
            image = self.inline([child for child in figure.children if child not in captions])
        finally:
            self.in_figure = False
        caption = " ".join(self.inline(c.children) for c in captions)
        return self.paragraph(f"{image} {caption}", width)

    def inline(self, nodes: list[_Element | str]) -> str:
        return "".join([node if isinstance(node, str) else self.inline_element(node) for node in nodes])

    def inline_element(self, element: _Element) -> str:
        tag = element.tag
        if tag in DROPPED_TAGS:
            return ""
        if tag == "br":
            return _BREAK
        if tag == "img":
            alt = _collapse(element.attrs.get("alt", "")).strip()
            if self.in_figure:
                label = self.words["figure_image"]
                return f"[{label}: {alt}]" if alt else f"[{label}]"
            return f"[{alt or 'image'}]"
        if tag == "a":
            return self.link(element)
        text = self.inline(element.children)
        if tag in self.marks:
            prefix, suffix = self.marks[tag]
            return f"{prefix}{text}{suffix}"
        return f" {text} " if tag in BLOCK_TAGS else text

    def link(self, element: _Element) -> str:
        """``text [n]``, numbered by URL; footnote links are marks, not references."""
        classes = element.classes()
        if "footnote-backref" in classes:
            return ""
        text = self.inline(element.children)
        if "footnote-ref" in classes:
            mark = "*" + _collapse(text).strip()
            self.add_atom(mark)
            return mark
        href = element.attrs.get("href", "").strip()
        shown = _collapse(text).strip()
        if not href or href.startswith("#") or shown in (href, href.removeprefix("mailto:")):
            return text
        if "button" in classes:  # a button (issue 11) reads as its words and where it goes
            url = _WHITESPACE.sub(lambda m: quote(m[0]), href)
            return f"{text}: {url}" if shown else url
        number = self.links.setdefault(href, len(self.links) + 1)
        self.add_atom(f"[{number}]")
        return f"{text} [{number}]" if shown else f"[{number}]"

    def paragraph(self, text: str, width: int, first: str = "", rest: str = "") -> list[str]:
        """Wrap collapsed inline text; a <br> starts a new line, two make a blank one."""
        text = _collapse(text)

        def lines_of(piece: str, indent: str) -> list[str]:
            return wrap(
                piece,
                width,
                ambiguous_width=self.ambiguous_width,
                initial_indent=indent,
                subsequent_indent=rest,
                atoms=self.atoms,
            )

        if _BREAK not in text:  # one piece (most paragraphs): its lines, none of them blank
            return lines_of(text, first)
        lines: list[str] = []
        for piece in text.split(_BREAK):
            wrapped = lines_of(piece, rest if lines else first)
            if wrapped:
                lines += wrapped
            elif lines and lines[-1]:
                lines.append("")
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def list_lines(self, element: _Element, width: int) -> list[str]:
        """``- item`` or ``1. item`` with hanging indents; nested lists sit under the text."""
        items = element.elements("li")
        loose = any(item.elements("p") for item in items)  # Python-Markdown's loose lists
        rendered = [
            self.hanging(f"{number}. " if element.tag == "ol" else "- ", item, width, loose)
            for number, item in enumerate(items, element.start())
        ]
        return _join(rendered, blank=loose)

    def hanging(self, marker: str, item: _Element, width: int, loose: bool) -> list[str]:
        """*item* rendered under its text, *marker* before the first line."""
        indent = " " * self.width_of(marker)
        if width - len(indent) < self.floor:  # as deep as indents may go: the marker leads the text
            return _join(self.blocks(_lead(marker, item.children), width), blank=loose)
        lines = _join(self.blocks(item.children, width - len(indent)), blank=loose) or [""]
        return [(marker + lines[0]).rstrip()] + [indent + line if line else "" for line in lines[1:]]

    def footnote_lines(self, width: int) -> list[str]:
        """``*1 text`` for each footnote, in the order Python-Markdown numbered them."""
        return [
            line
            for div in self.footnotes
            for ol in div.elements("ol")
            for number, item in enumerate(ol.elements("li"), ol.start())
            for line in self.hanging(f"*{number} ", item, width, loose=False)
        ]

    def table_lines(self, table: _Element, width: int) -> list[str]:
        """Aligned columns when they fit in *width*, else one ``header: cell`` line per cell."""
        rows = [(self.cells(tr), header) for tr, header in _table_rows(table)]
        if not rows:
            return []
        columns = max(len(cells) for cells, _ in rows)
        widths = [
            max((self.width_of(cells[i][0]) for cells, _ in rows if i < len(cells)), default=0) for i in range(columns)
        ]
        total = sum(widths) + 3 * (columns - 1)
        if total <= width:
            lines = []
            for cells, header in rows:
                padded = [_align(text, widths[i] - self.width_of(text), how) for i, (text, how) in enumerate(cells)]
                lines.append(" | ".join(padded).rstrip())
                if header:
                    lines.append("-" * total)
            return lines
        return self.table_records(rows, width)

    def table_records(self, rows: list[tuple[list[tuple[str, str]], bool]], width: int) -> list[str]:
        labels = next(([text for text, _ in cells] for cells, header in rows if header), [])
        records = []
        for cells, header in rows:
            if header:
                continue
            record = []
            for i, (text, _) in enumerate(cells):
                label = labels[i] if i < len(labels) else ""
                if text:
                    record += wrap(
                        f"{label}: {text}" if label else text,
                        width,
                        ambiguous_width=self.ambiguous_width,
                        subsequent_indent="  ",
                        atoms=self.atoms,
                    )
            records.append(record)
        return _join(records, blank=True)

    def cells(self, row: _Element) -> list[tuple[str, str]]:
        """Each cell's one-line text and its alignment (left, right or center)."""
        out = []
        for cell in row.elements("th", "td"):
            text = _collapse(self.inline(cell.children).replace(_BREAK, " ")).strip()
            style = f"{cell.attrs.get('style', '')};text-align:{cell.attrs.get('align', '')}"
            how = next((name for name, pattern in _ALIGNS if pattern.search(style)), "left")
            out.append((text, how))
        return out


# A cell's alignment, from its style or its align attribute; right wins over center.
_ALIGNS = [(how, re.compile(rf"text-align:\s*{how}")) for how in ("right", "center")]


def _lead(marker: str, children: list[_Element | str]) -> list[_Element | str]:
    """*children* with *marker* as the first words of their first paragraph."""
    first = children[0] if children else None
    if isinstance(first, _Element) and first.tag == "p":
        return [_Element("p", first.attrs, [marker, *first.children]), *children[1:]]
    return [marker, *children]


def _collapse(text: str) -> str:
    """Collapse whitespace as a browser does; a line break between wide characters goes.

    Two substitutions at C speed (a Python callback per space was a tenth of the text part's
    time, issue 13): first every whole run of spaces holding a line break with a wide
    character on each side, then every other run, to one space.
    """
    if text.isprintable() and "  " not in text:  # no tab, line break, NUL or U+00A0: as it is
        return text
    if "\n" in text:
        text = _WIDE_BREAK.sub("", text)
    return _SPACES.sub(" ", text)


def _code_lines(code: str) -> list[str]:
    """Code indented four spaces, otherwise verbatim (trailing spaces go in ``_finish``)."""
    return ["    " + line if line.strip() else "" for line in code.strip("\n").split("\n")]


def _text_content(element: _Element) -> str:
    return "".join(
        node if isinstance(node, str) else "" if node.tag in DROPPED_TAGS else _text_content(node)
        for node in element.children
    )


def _table_rows(table: _Element) -> list[tuple[_Element, bool]]:
    """Rows with whether each is a header row (in <thead>, or all <th>)."""
    rows = []
    for child in table.elements("thead", "tbody", "tfoot", "tr"):
        for tr in [child] if child.tag == "tr" else child.elements("tr"):
            cells = tr.elements("th", "td")
            rows.append((tr, child.tag == "thead" or (bool(cells) and all(c.tag == "th" for c in cells))))
    return rows


def _align(text: str, pad: int, how: str) -> str:
    if how == "right":
        return " " * pad + text
    if how == "center":
        return " " * (pad // 2) + text + " " * (pad - pad // 2)
    return text + " " * pad


def _join(blocks: list[list[str]], *, blank: bool) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if block:
            lines += ([""] if lines and blank else []) + block
    return lines


def _finish(lines: list[str]) -> str:
    """Trailing spaces off, at most one blank line in a row, exactly one final newline."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""
