"""The methods `dataclasses` writes for notice's classes, compiled once and kept with notice's bytecode.

Issue 13: `dataclasses` writes each class's ``__init__``, ``__repr__``, ``__eq__`` (and for a
frozen class ``__hash__``, ``__setattr__``, ``__delattr__``) as Python text and compiles it with
the built-in `exec`: about 190 compilations of 85 us each, 24-26 ms of every process that
builds (35 classes), the same text in every process. Python keeps the bytecode of a module's
own functions in ``__pycache__``, not of these.

`install` gives the `dataclasses` module a global `exec` (found before the built-in one) that
compiles each text of a notice module's class once: the code is kept in ``__pycache__`` beside
notice's own bytecode (under ``sys.pycache_prefix`` when one is set), read once a process and
written at its exit when it compiled a text the file lacked. The same text compiled with the
same flags is the same code, so each class is the one `dataclasses` makes: only the
compilation is skipped (measured: 24-26 -> 5-8 ms of the class decorators in a build).

As with a ``.pyc``: nothing is written when Python writes no bytecode
(``PYTHONDONTWRITEBYTECODE``), a folder notice cannot write in only means compiling as before,
a file another Python wrote is not used, and neither is one whose bytes fail their CRC-32
(which finds any one damaged byte and any shorter burst, where a wrong literal would make
other code that still runs).
"""

from __future__ import annotations
import __future__

import atexit
import dataclasses
import marshal
import os
import sys
import zlib
from pathlib import Path
from types import CodeType
from typing import Any

#: What a kept file must have been written by: this file's format, and this very Python.
_HEADER = (1, sys.version, sys.implementation.cache_tag)
#: The compiler flags a `from __future__` import in the caller's module passes on to `exec`.
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
#: At most this many texts are kept: notice's classes make about 200, and every process reads the
#: whole file (0.7 ms at 189 texts, 11 ms at 2,048), so older versions' texts give way (`save`).
MAX_ENTRIES = 512

#: (the text, its future flags) -> the code `compile` made of it.
Codes = dict[tuple[str, int], CodeType]


class CompiledMethods:
    """The kept code of the method texts of the classes of modules named *prefix*...: `exec`
    serves it, `save` writes the file when a text was compiled that it did not hold."""

    def __init__(self, path: Path | None, prefix: str) -> None:
        self.path, self.prefix = path, prefix
        self.codes: Codes = read_file(path) if path is not None else {}
        self.added = 0
        self.used: set[tuple[str, int]] = set()  # the kept texts this process's classes asked for

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /, **options: Any) -> None:
        """The built-in `exec`, from kept code when *source* is the text of a method of one of
        our classes (`dataclasses` passes the class's module's globals)."""
        caller = sys._getframe(1)
        if globals is None:  # as the built-in: the caller's namespaces
            globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
        if isinstance(source, str):
            # Compiled here, with the `from __future__` flags the built-in would take from the
            # caller's module, not from this one's (whose annotations would become strings).
            key = (source, caller.f_code.co_flags & _FUTURE_FLAGS)
            code = self.codes.get(key)
            if code is None:
                code = compile(source, "<string>", "exec", flags=key[1], dont_inherit=True)
                if _named(globals, self.prefix):
                    self.codes[key] = code
                    self.added += 1
            if key in self.codes:
                self.used.add(key)
            source = code
        exec(source, globals, locals, **options)

    def save(self) -> None:
        """Write the file if this process compiled a text it lacked; never an error.

        This process's texts go first, then the file's others up to `MAX_ENTRIES`: the texts of
        classes no notice makes any more (an upgrade's, an edited class's) give way to the
        current ones, instead of filling the file so that nothing new is kept (review, issue 13)."""
        if not self.added or self.path is None or sys.dont_write_bytecode:
            return
        kept = {key: code for key, code in self.codes.items() if key in self.used}
        for key, code in self.codes.items():
            if len(kept) >= MAX_ENTRIES:
                break
            kept.setdefault(key, code)
        try:
            write_file(self.path, kept)
        except (OSError, ValueError):  # read-only, full, a file for a folder: only slower next time
            return
        self.added = 0


def _named(globals: Any, prefix: str) -> bool:
    """Whether *globals* are those of a module named *prefix*... (or the package itself)."""
    name = globals.get("__name__") if isinstance(globals, dict) else None
    return isinstance(name, str) and (name == prefix.rstrip(".") or name.startswith(prefix))


def write_file(path: Path, codes: Codes) -> None:
    """Write *codes* to *path* with this Python's header and the CRC-32 of their bytes, by
    rename (a reader sees the old file or the new one). Not `patterns.write_file` (sha256, by
    `output.write_atomic`): this module runs before any other of ours and imports none of them
    (the package imports it first), and `notice --help` imports it, which loads zlib but not
    hashlib (3-4 ms); CRC-32 finds any one damaged byte and any burst of up to 32 bits."""
    payload = marshal.dumps(codes)
    data = marshal.dumps((_HEADER, zlib.crc32(payload), payload))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # one per process: no two share it
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read_file(path: Path) -> Codes:
    """The codes `write_file` wrote to *path*; none if there is no file, if another Python
    wrote it, or if its bytes are not the ones whose CRC-32 was written with them."""
    try:
        header, crc, payload = marshal.loads(path.read_bytes())
        if header != _HEADER or not isinstance(payload, bytes) or zlib.crc32(payload) != crc:
            return {}
        codes = marshal.loads(payload)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(codes, dict):
        return {}
    return {
        key: code
        for key, code in codes.items()
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str) and isinstance(code, CodeType)
    }


def kept_path() -> Path | None:
    """Where this package's bytecode goes (``__pycache__``, or under ``sys.pycache_prefix``);
    None when Python keeps none for it (a zip, a frozen build)."""
    cached = __spec__.cached if __spec__ is not None else None
    if not cached:
        return None
    return Path(cached).parent / f"dataclasses.{sys.implementation.cache_tag}.marshal"


def install() -> CompiledMethods:
    """Serve `dataclasses` the kept code of notice's classes from now on, and keep what this
    process compiles for the next one."""
    methods = CompiledMethods(kept_path(), prefix=__name__.rpartition(".")[0] + ".")
    dataclasses.exec = methods.exec  # type: ignore[attr-defined]  # a module global: found before the built-in
    atexit.register(methods.save)
    return methods
