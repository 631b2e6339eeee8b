"""What readers are shown of an issue's corrections: struck and new text, markers, errata.

The issue file is never rewritten. At build time the body is cut into plain text and
*changes*; a change shows what readers originally received, struck, beside what is true now.
A later correction that touches an earlier change merges with it, so the struck text is
always the original and the new text always the latest. `notice correct` validates a new
passage with the same code the build renders it with.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .errors import ToolkitError
from .kinds import LEVELS, kind_of
from .labels import format_date, labels_for
from .markup import render_fragment, render_markdown
from .plaintext import html_to_text
from .records import DELIVERY_RE, Record, Replacement, record_files
from .sanitize import ACTIVE, CONTENT_TAGS, TAGS

_BLOCK_START = re.compile(r"(#{1,6}\s|[-*+]\s|>|\d+[.)]\s|\|)")
DEL_STYLE = "text-decoration:line-through;color:#4b5563;"  # 7.6:1 on white (WCAG AA, issue 15)
INS_STYLE = "text-decoration:none;background-color:#ecfdf5;color:#065f46;"


class PassageError(ToolkitError):
    """A --replaces text that matches no passage, or more than one."""


@dataclass
class Change:
    """One corrected passage of a `Body`: both texts, whether readers are shown it, and when."""

    original: str
    current: str
    visible: bool
    date: dt.datetime


@dataclass
class Body:
    """An issue body as plain Markdown and changes, in order."""

    segments: list[str | Change] = field(default_factory=list)

    @property
    def current(self) -> str:
        return "".join(s if isinstance(s, str) else s.current for s in self.segments)

    def replace(  # noqa: C901 - each refusal is one guarded case, in the order a reader checks them
        self, replacement: Replacement, *, visible: bool, date: dt.datetime, locate: Any = None
    ) -> tuple[Change, int]:
        """Apply one replacement; PassageError unless its text occurs exactly once.

        Returns the change that now holds the new text, and where in its current text that starts
        (a change merged with earlier ones holds their text too)."""
        text = self.current
        start = find_passage(text, replacement, locate)
        end = start + len(replacement.original)
        spans, position = [], 0
        for segment in self.segments:
            length = len(segment) if isinstance(segment, str) else len(segment.current)
            spans.append((position, position + length, segment))
            position += length
        low, high = start, end  # widened over every earlier change the passage overlaps
        for s, e, segment in spans:
            if isinstance(segment, Change) and (s < end and e > start or s == e and start < s < end):
                low, high = min(low, s), max(high, e)
        merged = Change(
            original="", current=text[low:start] + replacement.corrected + text[end:high], visible=visible, date=date
        )
        out: list[str | Change] = []

        def place() -> None:
            if not any(item is merged for item in out):
                out.append(merged)

        for s, e, segment in spans:
            if isinstance(segment, Change):
                if (low < s < high) if s == e else (low <= s and e <= high):
                    place()
                    merged.original += segment.original
                    merged.visible |= segment.visible
                    continue
                if s >= high:
                    place()
                out.append(segment)
                continue
            if s < low:
                out.append(segment[: min(e, low) - s])
            if max(s, low) < min(e, high):
                place()
                merged.original += segment[max(s, low) - s : min(e, high) - s]
            if e > high:
                place()
                out.append(segment[max(high, s) - s :])
        place()
        self.segments = [item for item in out if not isinstance(item, str) or item]
        return merged, start - low

    def markdown(self, lang: str) -> str:
        """The body with each visible change as struck original beside the new text."""
        return "".join(piece for piece, _ in self.pieces())

    def pieces(self) -> list[tuple[str, int | None]]:
        """The Markdown of `markdown`, piece by piece, each with its offset in the body readers
        received, or None for what a record wrote (new text and the marks around it)."""
        out: list[tuple[str, int | None]] = []
        position = 0  # in the original body: the text segments and each change's original, in order
        for segment in self.segments:
            if isinstance(segment, str):
                out.append((segment, position))
                position += len(segment)
                continue
            if not segment.visible:
                out.append((segment.current, None))
            else:
                when = segment.date.date().isoformat()
                out.append((f'<del datetime="{when}" style="{DEL_STYLE}">', None))
                out.append((segment.original, position))
                out.append(("</del>", None))
                if segment.current:
                    out.append((f'<ins datetime="{when}" style="{INS_STYLE}">{segment.current}</ins>', None))
            position += len(segment.original)
        return out

    def original_offset(self, offset: int) -> int | None:
        """Where an offset of `markdown` came from in the body readers received; None inside
        what a record wrote."""
        start = 0
        for piece, origin in self.pieces():
            if offset < start + len(piece):
                return None if origin is None else origin + offset - start
            start += len(piece)
        return None


def find_passage(text: str, replacement: Replacement, locate: Any = None) -> int:
    """The offset of the one occurrence of the passage; PassageError showing where otherwise.

    *locate* turns an offset into ``(path, line)`` so the error can point into the file.
    """
    passage = replacement.original
    where = (
        (lambda offset: locate(offset, text)) if locate else (lambda offset: (None, text.count("\n", 0, offset) + 1))
    )
    if not passage.strip():
        raise PassageError("the text to replace is empty", hint="give the exact wrong passage with --replaces")
    for label, value in (("text to replace", passage), ("corrected text", replacement.corrected)):
        if re.search(r"\n[ \t]*\n", value):
            raise PassageError(
                f"the {label} spans more than one paragraph",
                hint="correct one paragraph at a time: give one --replaces/--with pair for each",
            )
    starts = [m.start() for m in re.finditer(f"(?={re.escape(passage)})", text)]
    if not starts:
        path, line = where(_closest(text, passage))
        raise PassageError(
            f"the text to replace is not in the issue: {_excerpt(passage)}",
            path=path,
            line=line,
            hint=f"the closest line is {line}; copy the passage exactly "
            "as it stands in the issue (including punctuation)",
        )
    if len(starts) > 1:
        lines = ", ".join(dict.fromkeys(str(where(s)[1]) for s in starts))
        path, line = where(starts[0])
        raise PassageError(
            f"the text to replace occurs {len(starts)} times (lines {lines}): {_excerpt(passage)}",
            path=path,
            line=line,
            hint="make --replaces longer so that it matches one passage only",
        )
    start = starts[0]
    if (start == 0 or text[start - 1] == "\n") and _BLOCK_START.match(passage):
        path, line = where(start)
        raise PassageError(
            "the text to replace starts with Markdown block syntax (a heading, list or quote marker)",
            path=path,
            line=line,
            hint="start the passage after the marker, e.g. the item's text",
        )
    return start


_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: ordinary text to Markdown


def check_passage_syntax(text: str, replacement: Replacement, locate: Any) -> None:
    """Refuse a passage whose edges cut through Markdown syntax (a link, emphasis, code).

    The build wraps the passage in <del>; if its edges fall inside ``[text](url)`` or a code
    span, every rendering would show broken syntax, and a record can never be taken back.
    The test: mark the edges with characters Markdown treats as text, render, and require
    that the marks changed nothing else and sit in text, outside code.
    """
    start = text.index(replacement.original)
    end = start + len(replacement.original)
    marked = render_markdown(text[:start] + _OPEN + text[start:end] + _CLOSE + text[end:])
    unchanged = marked.replace(_OPEN, "").replace(_CLOSE, "") == render_markdown(text)
    first, last = marked.find(_OPEN), marked.find(_CLOSE)
    if unchanged and _in_text(marked, first) and _in_text(marked, last) and _balanced(marked[first:last]):
        return
    path, line = locate(start, text)
    raise PassageError(
        "the text to replace cuts through Markdown syntax (a link, emphasis or code)",
        path=path,
        line=line,
        hint="replace whole words outside the syntax, or the whole link or emphasis with it, "
        'e.g. --replaces "[old](https://a.example/)"',
    )


def _in_text(html: str, index: int) -> bool:
    """Whether *index* of *html* lies in text: not inside a tag, not inside code."""
    if index < 0 or html.rfind("<", 0, index) > html.rfind(">", 0, index):
        return False
    before = html[:index]
    return before.count("<code") == before.count("</code>")


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
_VOID = {"br", "img", "hr", "wbr", "input", "meta", "link"}


def _balanced(html: str) -> bool:
    """Whether every element opened in *html* closes in it, and none closes that opened before:
    the passage then fits inside one <del> without cutting an element (``*text`` of ``*text*``)."""
    stack: list[str] = []
    for closing, name in _TAG.findall(html):
        name = name.lower()
        if name in _VOID:
            continue
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack


_NEW = "\ue002"  # private use, like _OPEN and _CLOSE: ordinary text to Markdown
NEW_TEXT_HINT = (
    "write the new text as the passage it replaces is written: words, **emphasis**, `code` and "
    "[links](https://...) that open and close inside it, on the same paragraph"
)


def check_new_text(
    body: Body, change: Change, at: int, replacement: Replacement, place: tuple[Any, int | None] = (None, None)
) -> None:
    """Refuse new text (--with) that would not render as itself inside its <ins> (issue 14, item 4).

    A record is append-only: accepted once, every build shows it. So the new text must pass
    what the replaced passage passes, tested the way `check_passage_syntax` tests that: render
    the corrected body with the new text and with one plain character in its place; outside the
    new text the two must be the same HTML (no heading, list or quote begun, no link, emphasis
    or element opened or closed across its edges, no ``</ins>``), the new text's own HTML must
    pair up, and the sanitizer must have nothing to remove from it (no script, no event handler,
    no javascript: URL).
    """
    new = replacement.corrected
    if not new.strip():
        return  # a deletion: nothing new is shown
    saved = change.current
    change.current = saved[:at] + _NEW + saved[at + len(new) :]
    expected = render_fragment(body.markdown(""))
    change.current = saved
    actual = render_fragment(body.markdown(""))
    path, line = place  # the passage it replaces, in the issue file
    removed = _new_removals(expected.removed, actual.removed)
    if removed:
        raise PassageError(
            f"the new text (--with) contains {removed[0].what}, which every build removes",
            path=path,
            line=line,
            hint="no scripts, forms, frames, event handlers (onclick=...) or javascript: links: " + NEW_TEXT_HINT,
        )
    before, marker, after = expected.html.partition(_NEW)
    inside = actual.html[len(before) : len(actual.html) - len(after)]
    if (
        marker
        and actual.html.startswith(before)
        and actual.html.endswith(after)
        and len(actual.html) >= len(before) + len(after)
        and _balanced(inside)
    ):
        return
    alone = render_fragment(new).html.strip()
    if not (alone.startswith("<p>") and alone.endswith("</p>") and alone.count("<p>") == 1) or re.search(
        r"<(h[1-6]|ul|ol|li|blockquote|pre|table|hr|div)\b", alone
    ):
        problem = "starts a block of its own (a paragraph, heading, list, quote, table or rule)"
    elif not _balanced(_html_tags(new)):
        problem = "has HTML tags that do not pair up inside it (a stray </ins>, or <b> without </b>)"
    else:
        problem = "joins Markdown syntax around it (a link, emphasis or code span is opened or closed across its edges)"
    raise PassageError(f"the new text (--with) {problem}", path=path, line=line, hint=NEW_TEXT_HINT)


def _html_tags(text: str) -> str:
    """The HTML tags written in *text*, by their known names: ``<https://x>`` is an autolink."""
    known = TAGS | CONTENT_TAGS | set(ACTIVE)
    return "".join(m[0] for m in _TAG.finditer(text) if m[2].lower() in known)


def _new_removals(before: tuple[Any, ...], after: tuple[Any, ...]) -> list[Any]:
    """What the sanitizer removes from *after* and not from *before*: what the new text brings."""
    left = [(r.rule, r.what) for r in before]
    extra = []
    for removal in after:
        key = (removal.rule, removal.what)
        if key in left:
            left.remove(key)
        else:
            extra.append(removal)
    return extra


def check_note(note: str) -> None:
    """Refuse a note with what every build would remove from it: the record keeps it forever."""
    if "\x00" in note:
        raise PassageError("the note holds a NUL character (U+0000), which every build drops", hint="remove it")
    fragment = render_fragment(note)
    try:  # the text part walks the tree, which the build then could never do for this record
        html_to_text(fragment.html)
    except RecursionError:
        raise PassageError(
            "the note's markup is nested too deeply to render (hundreds of elements inside each other)",
            hint="no note needs more than a few levels of emphasis, quotes or lists: remove the nesting",
        ) from None
    removed = fragment.removed
    if removed:
        raise PassageError(
            f"the note contains {removed[0].what}, which every build removes",
            hint="write the note in Markdown, without scripts, forms, frames, event handlers "
            "(onclick=...) or javascript: links",
        )


def _closest(text: str, passage: str) -> int:
    """The offset of the line most like *passage*, for a helpful "not found" message."""
    best, best_offset, offset = 0.0, 0, 0
    for line in text.splitlines(keepends=True):
        ratio = difflib.SequenceMatcher(None, line, passage, autojunk=False).quick_ratio()
        if ratio > best:
            best, best_offset = ratio, offset
        offset += len(line)
    return best_offset


def _excerpt(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return f"“{flat[:limit]}…”" if len(flat) > limit else f"“{flat}”"


def corrected_body(body: str, records: list[Record]) -> Body:
    """Apply every record's replacements, oldest first, to the body readers received."""
    document = Body([body])
    for record in records:
        for replacement in record.replaces:
            try:
                document.replace(replacement, visible=record.visible, date=record.date)
            except PassageError as error:
                raise PassageError(
                    f"this record no longer fits the issue: {error.message}",
                    path=record.path,
                    line=record.lines.get("replaces"),
                    hint="the issue's text must stay as published; restore it from version control",
                ) from None
    return document


# --- what the templates receive ------------------------------------------------------------


def title_marker(records: list[Record], lang: str, config: Config) -> str:
    """The strongest marker the records call for, in *lang*: retracted > corrected > updated."""
    levels = {kind_of(r.kind).level for r in records}  # the kinds table says which marker each calls for
    level = next((lvl for lvl in LEVELS if lvl in levels), None)
    if level is None:
        return ""
    custom = config.corrections.markers
    base = lang.split("-")[0]
    for key in (lang, base):
        if level in custom.get(key, {}):
            return custom[key][level]
    return labels_for(lang)[f"marker_{level}"]


def subject_with_marker(title: str, marker: str) -> str:
    if not marker:
        return title
    return f"{marker}{title}" if marker.endswith(("】", "」", "』")) else f"{marker} {title}"


def errata_entries(records: list[Record], lang: str, render_note: Any) -> list[dict[str, Any]]:
    """One entry per visible record, newest first, with its label, date, note and state."""
    t = labels_for(lang)
    resolved_by = {r.resolves: r for r in records if r.resolves}
    entries = []
    for record in sorted((r for r in records if r.visible), key=lambda r: (r.date, r.seq), reverse=True):
        resolver = resolved_by.get(record.id)
        entries.append(
            {
                "record": record,
                "id": record.id,
                "kind": record.kind,
                "label": t[f"kind_{record.kind}"],
                "heading": t["errata_label"].format(label=t[f"kind_{record.kind}"]),
                "date": format_date(record.date, lang),
                "date_iso": record.date.isoformat(),
                "note_html": render_note(record.note) if record.note.strip() else "",
                "note": record.note.strip(),
                "apology": kind_of(record.kind).apology,
                "retracts": kind_of(record.kind).retracts,
                "pending": record.pending and resolver is None,
                "resolved": t["resolved"].format(date=format_date(resolver.date, lang))
                if record.pending and resolver
                else "",
                "replaces": record.replaces,
            }
        )
    return entries


def text_marks(lang: str) -> dict[str, tuple[str, str]]:
    """How struck and new text read in the plain-text part: ``[訂正前] … [訂正後] …``."""
    t = labels_for(lang)
    return {"del": (t["mark_del"], t["mark_end"]), "ins": (t["mark_ins"], t["mark_end"])}


def count_records(config: Config, slug: str) -> int:
    """How many correction records an issue has (the publication lock and deliveries are not)."""
    return sum(not DELIVERY_RE.fullmatch(path.name) for path in record_files(config.corrections_dir, slug))
