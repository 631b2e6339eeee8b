"""Regular expressions compiled by earlier builds, kept so a process does not compile them again.

Issue 13: a build that renders one issue compiled about 200 patterns (notice's, Python-
Markdown's, Jinja's, the standard library's) in 30-47 ms of its 0.4 s, most of it in the
character classes of wide ranges (CJK, emoji: `re` walks every code point of a range to
build its table), and the same ones in every process. A build keeps, in
``.notice-cache/patterns.marshal``, what CPython's regex compiler made of each pattern in
`re`'s own cache, and the next command puts those patterns into that cache as it starts,
before it imports its modules (`toolkit.cli.state.State.load_patterns`): ``re.compile`` then returns them as it returns any pattern it compiled before.

What is kept is what ``re._compiler.compile`` hands to ``_sre.compile`` (the pattern's code,
flags and groups), by the pattern's text and flags; the file is used only by the same Python
build (its version, ``_sre.MAGIC`` and code size), and a pattern is kept only when the one
made from the kept code is equal to the one `re` compiled (CPython's ``Pattern.__eq__``
compares the code itself). The file carries the sha256 of its entries' bytes, so a damaged
byte that turns one literal into another (code ``_sre.compile`` would run) is never served;
``_sre.compile`` refuses code it cannot run, and such an entry is dropped. The file is read only
if it is a regular file inside the publication (`source.read_regular`): a `.notice-cache`
linked elsewhere is not read, and a FIFO in its place cannot hang a command. On an interpreter without these internals nothing is
kept and `re` compiles as always.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import sys
from pathlib import Path
from typing import Any

from .errors import ToolkitError
from .output import write_atomic
from .source import read_regular

try:  # CPython's internals: elsewhere `PATTERNS` does nothing
    import _sre  # type: ignore[import-not-found]
    from re import _compiler, _parser  # type: ignore[attr-defined]

    _CACHE: dict[Any, Any] | None = re._cache  # type: ignore[attr-defined]
    _HEADER: tuple[Any, ...] = (2, sys.version, sys.implementation.cache_tag, _sre.MAGIC, _sre.CODESIZE)
    _COMPILE = _sre.compile
    _PARSE, _CODE = _parser.parse, _compiler._code
except (ImportError, AttributeError):  # pragma: no cover - not CPython
    _CACHE = None
    _HEADER = ()

#: The file, in the publication's ``.notice-cache``.
FILE_NAME = "patterns.marshal"
#: More than any such file holds (about 100 KB for 250 patterns).
_MAX_BYTES = 16 * 1024 * 1024

#: Flags whose patterns `re` does not cache (DEBUG) or warns about (TEMPLATE): never kept.
_SKIP_FLAGS = getattr(re, "DEBUG", 128) | getattr(re, "TEMPLATE", 1)


def _arguments(pattern: str | bytes, flags: int) -> tuple[Any, ...]:
    """What ``re._compiler.compile(pattern, flags)`` passes to ``_sre.compile`` after the pattern."""
    parsed = _PARSE(pattern, flags)
    code = list(map(int, _CODE(parsed, flags)))  # its opcodes are int subclasses marshal refuses
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    return (flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))


class CompiledPatterns:
    """The patterns of ``.notice-cache/patterns.marshal``: `load` puts them into `re`'s cache,
    `save` writes what `re`'s cache holds when it holds patterns the file did not."""

    def __init__(self) -> None:
        self.path: Path | None = None
        #: (pattern, flags) -> the arguments of ``_sre.compile`` after the pattern.
        self.entries: dict[tuple[Any, int], tuple[Any, ...]] = {}

    def load(self, path: Path) -> None:
        """Read *path* (once per process and path) and put its patterns into `re`'s cache."""
        if _CACHE is None or path == self.path:
            return
        self.path, self.entries = path, {}
        entries = read_file(path)
        if entries is None:
            return  # none yet, another Python's, or damaged: compiled as usual, and written again
        cache = _CACHE
        for key, arguments in entries.items():
            try:
                pattern, flags = key
                if not isinstance(pattern, (str, bytes)) or type(flags) is not int:
                    continue  # not what `save` writes
                compiled = _COMPILE(pattern, *arguments)
            except (TypeError, ValueError, RuntimeError, OverflowError):  # RuntimeError: code _sre refuses
                continue
            if len(cache) >= re._MAXCACHE:  # type: ignore[attr-defined]
                break
            cache.setdefault((type(pattern), pattern, flags), compiled)
            self.entries[key] = arguments

    def save(self) -> None:
        """Write the patterns `re`'s cache holds, if it holds one the file did not."""
        if _CACHE is None or self.path is None:
            return
        held = {
            (pattern, flags): compiled
            for (kind, pattern, flags), compiled in dict(_CACHE).items()
            if kind in (str, bytes) and type(flags) is int and not flags & _SKIP_FLAGS
        }
        if not set(held) - set(self.entries):
            return
        entries = {}
        for key, compiled in held.items():
            arguments = self.entries.get(key)
            if arguments is None:
                try:
                    arguments = _arguments(*key)
                    if _COMPILE(key[0], *arguments) != compiled:
                        continue  # not what this Python's `re` makes: never served
                except (re.error, TypeError, ValueError, RuntimeError, OverflowError, RecursionError):
                    continue
            entries[key] = arguments
        try:
            write_file(self.path, entries)
        except (ToolkitError, ValueError):  # only slower next time: never a build's failure
            return
        self.entries = entries


def write_file(path: Path, entries: dict[Any, Any], header: tuple[Any, ...] = _HEADER) -> None:
    """Write *entries* to *path* with this Python's *header*, after the sha256 of their bytes:
    `_sre.compile` refuses code it cannot run, not code changed into other code it can run
    (a damaged byte in a literal would match other text), so the digest is what finds that.
    `parsed_theme.KeptRules` keeps premailer's parsed theme the same way, under a header of its
    own, and `kept_issues.KeptIssues` its record of issue files."""
    payload = marshal.dumps((header, entries))
    write_atomic(path, hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def read_file(path: Path, header: tuple[Any, ...] = _HEADER, limit: int = _MAX_BYTES) -> dict[Any, Any] | None:
    """The entries `write_file` wrote to *path*; None if there are none, if they were written
    under another *header* (another Python), or if their bytes are not the ones whose digest
    was written before them (or are more than *limit*). Only bytes that digest vouches for
    reach `marshal`, which is not made for damaged data: ``[[[[`` in its place took minutes
    and gigabytes to refuse."""
    try:  # a regular file, inside the publication (the folder above .notice-cache), or nothing
        raw = read_regular(path, root=path.parent.parent, limit=limit)
    except ToolkitError:
        return None
    digest, _, payload = raw.partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        return None  # damaged, cut short, or written by an older notice
    try:
        kept, entries = marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None
    return entries if kept == header and isinstance(entries, dict) else None


#: The one set of kept patterns; the CLI loads it as a command starts (`State.load_patterns`),
#: `build` loads it if nobody did and saves it.
PATTERNS = CompiledPatterns()
