"""Noticing the saves the preview rebuilds for: issues, records, templates and notice.toml.

On Linux the kernel's inotify(7) tells at once when a file written is closed
(IN_CLOSE_WRITE) or a finished one is renamed into place (IN_MOVED_TO), so a save is seen
complete the moment it is, and its build starts then (issue 13: watchfiles waits for a step
with no new change, which made a save wait 17-22 ms of its 50 with a 10 ms step, and a file
still being written could be read half way). Elsewhere, or when inotify cannot be had (its
per-user limits), watchfiles.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import watchfiles

try:  # a Linux-only dependency (setup.cfg); elsewhere watchfiles watches alone
    import inotify_simple
except ImportError:
    inotify_simple = None

from .root import CONFIG_NAME

#: The folders whose files the builds read (and notice.toml beside them).
WATCHED = frozenset({"issues", "corrections", "templates"})
#: How long a change with no close to wait for (a file deleted or renamed away, which an
#: editor may be about to put back) waits for the rest of the save, in ms of quiet.
GONE_MS = 50
#: How long a file still open for writing may stay quiet before it is built anyway (a
#: writer that never closes it): its close says the save is done, whenever it comes, and a
#: busy machine can hold a writer for more than GONE_MS between two writes.
OPEN_MS = 2000
#: How often a quiet watcher looks at its stop event, in ms.
STOP_MS = 100


def relevant(parts: tuple[str, ...]) -> bool:
    """A path (its parts, from the publication's folder) a build reads: not editors' swap or
    backup files, nor notice's cache."""
    if not parts or any(part.startswith(".") for part in parts) or parts[-1].endswith("~"):
        return False
    return parts == (CONFIG_NAME,) or parts[0] in WATCHED


def watch_changes(root: Path, stop: threading.Event) -> Iterator[set[str]]:
    """Yield an empty set once watching (nothing saved from then on is missed), then the
    changed paths of each save, until *stop* is set."""
    root = root.resolve()
    if sys.platform.startswith("linux") and inotify_simple is not None:
        try:
            inotify = inotify_simple.INotify()
        except OSError:  # the kernel's limit of instances (fs.inotify.max_user_instances)
            pass
        else:
            with inotify:
                try:
                    yield from _inotify_changes(_Saves(inotify, root), stop)
                    return
                except _Limit:  # the kernel's limit of watches: watchfiles (or its polling) instead
                    pass
    yield from _watchfiles_changes(root, stop)


def _inotify_changes(saves: _Saves, stop: threading.Event) -> Iterator[set[str]]:
    yield set()
    while not stop.is_set():
        # A finished save is built at once; an unfinished one waits for the rest.
        events = saves.inotify.read(timeout=saves.wait())
        for event in events:
            saves.take(event)
        if saves.pending and (not events or all(state == DONE for state in saves.pending.values())):
            yield set(saves.pending)
            saves.pending.clear()


#: What the last event said of a changed path: written whole, still open for writing, or gone.
DONE, OPEN, GONE = "done", "open", "gone"


class _Limit(Exception):
    """inotify cannot watch one more folder (fs.inotify.max_user_watches)."""


class _Saves:
    """The folders inotify watches, and the changes it told of since the last build."""

    def __init__(self, inotify: Any, root: Path) -> None:
        flags = inotify_simple.flags
        self.inotify, self.root, self.flags = inotify, root, flags
        self.done = flags.CLOSE_WRITE | flags.MOVED_TO
        self.open = flags.CREATE | flags.MODIFY
        gone = flags.DELETE | flags.MOVED_FROM | flags.DELETE_SELF
        self.mask = self.done | self.open | gone | flags.DONT_FOLLOW | flags.ONLYDIR
        self.folders: dict[int, tuple[str, ...]] = {}
        self.pending: dict[str, str] = {}  # changed path -> DONE, OPEN or GONE
        # The publication's folder itself (notice.toml, and an issues/ made after start-up),
        # then the folders the builds read, with everything in them.
        self.add((), recursive=False)
        for name in sorted(WATCHED):
            self.add((name,))

    def add(self, parts: tuple[str, ...], recursive: bool = True) -> None:
        """Watch a folder and every folder in it (never through a link: never outside)."""
        if parts and self.root.joinpath(*parts).is_symlink():
            return
        for top, dirs, _ in os.walk(self.root.joinpath(*parts)):
            dirs[:] = [d for d in dirs if not d.startswith(".")] if recursive else []
            try:
                self.folders[self.inotify.add_watch(top, self.mask)] = Path(top).relative_to(self.root).parts
            except OSError as error:
                if error.errno in (errno.ENOSPC, errno.ENOMEM):
                    raise _Limit(str(error)) from None
                dirs[:] = []  # gone meanwhile, or a file now: its parent's event says so

    def wait(self) -> int:
        """How long to wait for the next event, in ms."""
        states = set(self.pending.values())
        return OPEN_MS if OPEN in states else GONE_MS if GONE in states else STOP_MS

    def take(self, event: Any) -> None:
        """Note one event: which path changed, and whether it is written completely."""
        flags = self.flags
        if event.mask & flags.Q_OVERFLOW:  # the kernel dropped events: build everything
            self.pending[CONFIG_NAME] = DONE
            return
        folder = self.folders.get(event.wd)
        if folder is None:
            return
        if event.mask & flags.IGNORED:  # the folder is gone
            del self.folders[event.wd]
            return
        parts = (*folder, event.name) if event.name else folder
        if not relevant(parts):
            return
        if event.mask & flags.ISDIR:
            if event.mask & (flags.CREATE | flags.MOVED_TO):
                self.add(parts)  # a new folder (of records, of templates), and what it holds
            self.pending["/".join(parts)] = DONE
        else:
            mask = event.mask
            state = DONE if mask & self.done else OPEN if mask & self.open else GONE
            if mask & self.flags.CREATE and not _regular(self.root.joinpath(*parts)):
                state = DONE  # a link made (or gone already), not a file being written: no close comes
            self.pending["/".join(parts)] = state


def _regular(path: Path) -> bool:
    """A regular file itself, not a link to one."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _watchfiles_changes(root: Path, stop: threading.Event) -> Iterator[set[str]]:
    def parts_of(path: str) -> tuple[str, ...] | None:
        try:
            return Path(path).resolve().relative_to(root).parts
        except ValueError:  # outside the publication (a link pointing away): not ours
            return None

    def wanted(change: Any, path: str) -> bool:
        parts = parts_of(path)
        return parts is not None and relevant(parts)

    # watchfiles yields once a step passes with no new change, so a save waits one to two
    # steps: 30 ms made that 58 ms (median), 10 ms makes it 17 ms. yield_on_timeout: the first
    # empty yield says the watcher is live. The whole folder is watched, so a templates/ made
    # after start-up is seen too.
    for changes in watchfiles.watch(
        root,
        watch_filter=wanted,
        stop_event=stop,
        debounce=400,
        step=10,
        rust_timeout=100,
        yield_on_timeout=True,
        raise_interrupt=False,
    ):
        yield {"/".join(parts_of(path) or ()) for _, path in changes}
