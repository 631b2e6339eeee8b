"""premailer's parse of the theme, kept by earlier builds so a process does not parse it again.

Issue 13: cssutils parses the theme once a process, 35-56 ms of a one-issue build's 0.4 s
with premailer (measured after imports), and always to the same plain lists: the rules as
(specificity, selector, declarations) and the pseudo-class rules as (selector, declarations).
`inline`'s premailer takes them from here by the stylesheet's text and place; `build` names
``.notice-cache/premailer.marshal`` and saves what its own process parsed, and each worker of
a many-issue build what its warm-up parsed.

The file is read on premailer's first parse only, so a css-inline build never reads it, and
only under the header it was written with: the versions of notice, Python, premailer and
cssutils and premailer's options (`inline._rules_header`). It carries the sha256 of its
entries (`patterns.write_file`): a damaged file is parsed again and written anew, never
served. A parse holding anything but plain values (a cssutils object, for an ``@media`` rule
the theme's split left in) is never kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ToolkitError
from .patterns import read_file, write_file

#: What premailer's `_parse_style_rules` returns: the rules to inline, and the rules left over.
Parsed = tuple[list[Any], list[Any]]
#: The kept sheets, by (stylesheet text, its place among the document's sheets).
Key = tuple[str, int]
#: At most this many sheets are kept: a theme has one or two, an edited theme a few more.
MAX_KEPT = 8


class KeptRules:
    """The sheets of ``.notice-cache/premailer.marshal``; `get` and `put` by (text, place)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self.header: tuple[str, ...] = ()
        self.entries: dict[Key, Parsed] | None = None  # None: the file is not read yet
        self.new = False

    def load(self, path: Path) -> None:
        """Name the file; it is read on the first `get`."""
        if path != self.path:
            self.path, self.entries, self.new = path, None, False

    def get(self, key: Key, header: tuple[str, ...]) -> Parsed | None:
        """The kept parse of *key* under *header*, as lists of its own; None when none is kept."""
        if self.entries is None or header != self.header:
            self.header, self.entries = header, self._read(header)
        kept = self.entries.get(key)
        return None if kept is None else (list(kept[0]), list(kept[1]))

    def put(self, key: Key, parsed: Parsed) -> None:
        """Keep *parsed*, which premailer made of *key* under the header `get` was given."""
        if self.path is not None and self.entries is not None and is_plain(parsed):
            self.entries.pop(key, None)  # the newest last: the oldest goes first
            self.entries[key] = (list(parsed[0]), list(parsed[1]))
            while len(self.entries) > MAX_KEPT:  # a preview's theme edits, each a new sheet
                del self.entries[next(iter(self.entries))]
            self.new = True

    def save(self) -> None:
        """Write the kept sheets if this process parsed one the file did not hold."""
        if self.path is None or self.entries is None or not self.new:
            return
        try:
            write_file(self.path, self.entries, self.header)
        except (ToolkitError, ValueError):  # only slower next time: never a build's failure
            return
        self.new = False

    def _read(self, header: tuple[str, ...]) -> dict[Key, Parsed]:
        entries = read_file(self.path, header) if self.path is not None else None
        return {
            key: value
            for key, value in (entries or {}).items()
            if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str) and type(key[1]) is int
            if is_plain(value)
        }


def is_plain(parsed: object) -> bool:
    """Whether *parsed* has the shape of premailer's parse, of strings and whole numbers only."""
    if not (isinstance(parsed, tuple) and len(parsed) == 2 and all(isinstance(part, list) for part in parsed)):
        return False
    rules, leftover = parsed
    return all(
        isinstance(rule, tuple)
        and len(rule) == 3
        and isinstance(rule[0], tuple)
        and all(type(n) is int for n in rule[0])
        and isinstance(rule[1], str)
        and isinstance(rule[2], str)
        for rule in rules
    ) and all(isinstance(rule, tuple) and len(rule) == 2 and all(isinstance(t, str) for t in rule) for rule in leftover)


#: The one store of parsed sheets; `build` names its file and saves it.
RULES = KeptRules()
