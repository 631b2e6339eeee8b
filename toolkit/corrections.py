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
from .kinds import KINDS, LEVELS, kind_of
from .labels import format_date, labels_for
from .markup import render_markdown
from .records import Record, Replacement, record_files

#: The title marker each kind calls for; the strength lives in `toolkit.kinds` (LEVELS, strength()).
LEVEL_OF_KIND = {kind.name: kind.level for kind in KINDS if kind.level}
_BLOCK_START = re.compile(r"(#{1,6}\s|[-*+]\s|>|\d+[.)]\s|\|)")
DEL_STYLE = "text-decoration:line-through;color:#4b5563;"  # 7.6:1 on white (WCAG AA, issue 15)
INS_STYLE = "text-decoration:none;background-color:#ecfdf5;color:#065f46;"


class PassageError(ToolkitError):
    """A --replaces text that matches no passage, or more than one."""


@dataclass
class Change:
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

    def replace(self, replacement: Replacement, *, visible: bool, date: dt.datetime,
                locate: Any = None) -> None:
        """Apply one replacement; PassageError unless its text occurs exactly once."""
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
        merged = Change(original="", current=text[low:start] + replacement.corrected + text[end:high],
                        visible=visible, date=date)
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
                merged.original += segment[max(s, low) - s: min(e, high) - s]
            if e > high:
                place()
                out.append(segment[max(high, s) - s:])
        place()
        self.segments = [item for item in out if not isinstance(item, str) or item]

    def markdown(self, lang: str) -> str:
        """The body with each visible change as struck original beside the new text."""
        out = []
        for segment in self.segments:
            if isinstance(segment, str):
                out.append(segment)
            elif not segment.visible:
                out.append(segment.current)
            else:
                when = segment.date.date().isoformat()
                out.append(f'<del datetime="{when}" style="{DEL_STYLE}">{segment.original}</del>')
                if segment.current:
                    out.append(f'<ins datetime="{when}" style="{INS_STYLE}">{segment.current}</ins>')
        return "".join(out)


def find_passage(text: str, replacement: Replacement, locate: Any = None) -> int:
    """The offset of the one occurrence of the passage; PassageError showing where otherwise.

    *locate* turns an offset into ``(path, line)`` so the error can point into the file.
    """
    passage = replacement.original
    where = (lambda offset: locate(offset, text)) if locate else (lambda offset: (None, text.count("\n", 0, offset) + 1))
    if not passage.strip():
        raise PassageError("the text to replace is empty", hint="give the exact wrong passage with --replaces")
    for label, value in (("text to replace", passage), ("corrected text", replacement.corrected)):
        if re.search(r"\n[ \t]*\n", value):
            raise PassageError(f"the {label} spans more than one paragraph",
                               hint="correct one paragraph at a time: give one --replaces/--with pair for each")
    starts = [m.start() for m in re.finditer(f"(?={re.escape(passage)})", text)]
    if not starts:
        path, line = where(_closest(text, passage))
        raise PassageError(f"the text to replace is not in the issue: {_excerpt(passage)}", path=path,
                           line=line, hint=f"the closest line is {line}; copy the passage exactly "
                                           "as it stands in the issue (including punctuation)")
    if len(starts) > 1:
        lines = ", ".join(dict.fromkeys(str(where(s)[1]) for s in starts))
        path, line = where(starts[0])
        raise PassageError(f"the text to replace occurs {len(starts)} times (lines {lines}): {_excerpt(passage)}",
                           path=path, line=line, hint="make --replaces longer so that it matches one passage only")
    start = starts[0]
    if (start == 0 or text[start - 1] == "\n") and _BLOCK_START.match(passage):
        path, line = where(start)
        raise PassageError("the text to replace starts with Markdown block syntax (a heading, list or quote marker)",
                           path=path, line=line, hint="start the passage after the marker, e.g. the item's text")
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
    raise PassageError("the text to replace cuts through Markdown syntax (a link, emphasis or code)",
                       path=path, line=line,
                       hint="replace whole words outside the syntax, or the whole link or emphasis with it, "
                            "e.g. --replaces \"[old](https://a.example/)\"")


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
                raise PassageError(f"this record no longer fits the issue: {error.message}", path=record.path,
                                   line=record.lines.get("replaces"),
                                   hint="the issue's text must stay as published; restore it from "
                                        "version control") from None
    return document


# --- what the templates receive ------------------------------------------------------------

def title_marker(records: list[Record], lang: str, config: Config) -> str:
    """The strongest marker the records call for, in *lang*: retracted > corrected > updated."""
    levels = {LEVEL_OF_KIND[r.kind] for r in records if r.kind in LEVEL_OF_KIND}
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
        entries.append({
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
            "resolved": t["resolved"].format(date=format_date(resolver.date, lang)) if record.pending and resolver else "",
            "replaces": record.replaces,
        })
    return entries


def text_marks(lang: str) -> dict[str, tuple[str, str]]:
    """How struck and new text read in the plain-text part: ``[訂正前] … [訂正後] …``."""
    t = labels_for(lang)
    return {"del": (t["mark_del"], t["mark_end"]), "ins": (t["mark_ins"], t["mark_end"])}


def count_records(config: Config, slug: str) -> int:
    """How many correction records an issue has (the publication lock is not one)."""
    return len(record_files(config.corrections_dir, slug))
