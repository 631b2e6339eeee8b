"""Writing outputs safely, and remembering what was built so unchanged issues are skipped.

Every file is written under a temporary name in its own folder and renamed over the old
one, so a reader (or a crash) never sees half a file. The build cache lives in
``.notice-cache/`` beside notice.toml, never in the output folder, which must hold only
what is published.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: builds rarely save at the same instant; the digests still hold
    fcntl = None  # type: ignore[assignment]

from .errors import ToolkitError

#: 3: with the stats of each output file and the snapshots of `toolkit.stale` (issue 13); 2: a
#: sha256 per output file (issue 14); 1 listed the files only.
CACHE_FORMAT = 3
#: A file changed this close to when its stats were taken may change again without its stats
#: moving (timestamps are as coarse as a clock tick here, 2 s on FAT): its stats are not
#: trusted, it is hashed instead (git's "racily clean" entries, Documentation/technical/racy-git.txt).
RACY_NS = 2_000_000_000


def write_atomic(path: Path, data: bytes, *, compare: bool = True) -> bool:
    """Write *data* to *path* by rename; return False (and touch nothing) if it is unchanged.
    Without *compare*, for a file that is never written twice the same, the old one is not read."""
    if not compare:
        _publish(path, data, os.replace)
        return True
    try:
        # Only a regular file is compared: reading a FIFO left in its place would block forever.
        if stat.S_ISREG(path.lstat().st_mode) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing, or not a file: writing says what is wrong
    _publish(path, data, os.replace)
    return True


def write_files(
    out_dir: Path, files: dict[str, bytes], digests: dict[str, str], known: dict[str, Any] | None
) -> dict[str, Stats]:
    """Write each of *files* (name under *out_dir* -> bytes, sha256 in *digests*) that does not
    hold its bytes already; return the stats of those left as they were, where they are settled.

    *known* is the cache's entry of the issue from before this build ({"files", "stats"}): a
    file whose stats are still those recorded holds the sha256 recorded, so it is neither read
    to be compared nor, when that is its new sha256, written (git's index, racy-git.txt; issue
    13: reading back each file of a forced build was a twentieth of it). Any other file is
    compared byte for byte, as `write_atomic` does, its stats taken before it is read.
    """
    held, recorded = (known.get("files", {}), known.get("stats", {})) if known else ({}, {})
    now_ns = time.time_ns()
    kept: dict[str, Stats] = {}
    for name, data in files.items():
        path = out_dir / name
        now = file_stats(path)
        if now is not None and now == recorded.get(name):
            if held.get(name) == digests[name]:
                kept[name] = now
                continue
        elif now is not None and _holds_bytes(path, data):
            if settled(now, now_ns):
                kept[name] = now
            continue
        _publish(path, data, os.replace)
    return kept


def _holds_bytes(path: Path, data: bytes) -> bool:
    """Whether the regular file *path* holds *data*: read only when its size is that of *data*."""
    try:
        with open(path, "rb") as handle:
            return os.fstat(handle.fileno()).st_size == len(data) and handle.read() == data
    except OSError:
        return False  # gone, or unreadable: writing says what is wrong


def create_exclusive(path: Path, data: bytes) -> None:
    """Create *path* with *data*; FileExistsError if it exists. Never overwrites."""
    _publish(path, data, os.link)  # link() fails if the name exists, unlike replace()


def _publish(path: Path, data: bytes, move: Callable[[str, Path], None]) -> None:
    """Write a temporary file beside *path*, then move it into place with *move*.

    FileExistsError passes through (create_exclusive's answer); any other failure to write
    is the user's to fix (a file where a folder should be, a full disk), so it is a ToolkitError.
    """
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        move(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise ToolkitError(
            f"cannot write {path}: {exc.strerror or exc}",
            path=path,
            hint="check that the folder exists, is a folder and is writable",
        ) from None
    finally:
        if temporary is not None:  # gone after a rename; still there after a link or a failure
            Path(temporary).unlink(missing_ok=True)


#: One output folder's cache: slug -> {"key": inputs key, "files": {file name: sha256 of what was
#: written}, "stats": {file name: `file_stats` of it when it last held that sha256}}.
Entries = dict[str, dict[str, Any]]
#: A regular file's [inode, size, mtime_ns, ctime_ns]: it changes whenever the file is written.
Stats = list[int]


def file_stats(path: Path | str) -> Stats | None:
    """The stats of *path* if it is a regular file (never through a link), else None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return [info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]


def settled(stats: Stats, now_ns: int) -> bool:
    """Whether *stats*, taken at *now_ns*, may stand for the file's content (see RACY_NS)."""
    return max(stats[2], stats[3]) < now_ns - RACY_NS


def holds(path: Path | str, digest: str, known: Stats | None, now_ns: int) -> tuple[bool, Stats | None]:
    """Whether *path* holds the bytes of sha256 *digest*, and the stats to remember for it.

    Stats equal to *known* (which were taken when the file held them) answer without reading
    the file; otherwise it is hashed, and its stats are remembered only once they are settled.
    """
    now = file_stats(path)
    if now is None:
        return False, None
    if known is not None and now == known:
        return True, known
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return False, None
    if hashlib.sha256(data).hexdigest() != digest:
        return False, None
    return True, now if settled(now, now_ns) else None


JOURNAL_NAME = "build.journal"
#: How often a long build saves what it has done, so an interruption costs little work again.
SAVE_EVERY_SECONDS = 2.0
#: ... and at most this share of its time: a save writes and reads back the whole cache under
#: the lock the workers' journal lines wait for (issue 13: at 10,000 issues, 0.2 s every 2 s).
SAVE_SHARE = 0.03


@dataclass
class BuildCache:
    """What each output folder holds: for each issue, the key of its inputs and the sha256 of
    every file the build wrote for it.

    An issue is fresh only when its key matches *and* every file still holds what was written
    (issue 14: an interrupted build had left edited pages that the next build called
    "unchanged" because they existed). Before writing an issue's files the build appends their
    names to ``build.journal``, so an issue that a build which never saved the cache (Ctrl-C,
    SIGKILL, a full disk) was writing is known: it is built again, and the files named are
    removed if it no longer makes them.
    """

    path: Path
    outputs: dict[str, Entries] = field(default_factory=dict)
    #: Per output folder, what `toolkit.stale` remembers of the whole build: the public record's
    #: key, files and stats ("public"), and the snapshot that lets a build with nothing to do
    #: stop early ("snapshot"). A change to the folder's entries drops the snapshot.
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Why the cache on disk was not used (damaged, wrong shape): the build says so.
    note: str | None = None
    touched: set[str] = field(default_factory=set, repr=False)
    #: How much of the journal is already in *outputs* (read at load).
    journal_seen: int = field(default=0, repr=False)
    #: Marks this build's journal lines, which its own save must not count against it.
    token: str = field(default_factory=lambda: os.urandom(8).hex(), repr=False)
    #: The issues this build recorded: its journal lines for the others stay (stopped mid-issue).
    done: set[tuple[str, str]] = field(default_factory=set, repr=False)
    saved_at: float = field(default_factory=time.monotonic, repr=False)
    #: How long the last save took, and the stats of the file it wrote with what it holds.
    save_took: float = field(default=0.0, repr=False)
    saved: tuple[Stats | None, dict[str, Entries], dict[str, dict[str, Any]]] | None = field(default=None, repr=False)
    #: Each output folder's resolved name (resolving is a stat per folder above it, per call).
    resolved: dict[Path, str] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, cache_dir: Path) -> BuildCache:
        path = cache_dir / "build.json"
        check_cache_dir(cache_dir)
        # Its stats before it is read: a save finding them unchanged knows the file holds what
        # was loaded, and does not read and check it again (issue 13: 10 ms of every build).
        stats = file_stats(path)
        outputs, folders, note = _read_outputs(path)
        seen, marked = _apply_journal(outputs, cache_dir / JOURNAL_NAME)
        for out in marked:
            folders.get(out, {}).pop("snapshot", None)
        cache = cls(path, outputs, folders, note, journal_seen=seen)
        cache.saved = (stats, outputs, folders)
        return cache

    def out(self, out_dir: Path) -> str:
        """*out_dir* as the cache names it: resolved."""
        if out_dir not in self.resolved:
            self.resolved[out_dir] = str(out_dir.resolve())
        return self.resolved[out_dir]

    def entries(self, out_dir: Path) -> Entries:
        return self.outputs.setdefault(self.out(out_dir), {})

    def folder(self, out_dir: Path) -> dict[str, Any]:
        """What is remembered of *out_dir* as a whole (see *folders*)."""
        return self.folders.setdefault(self.out(out_dir), {})

    def touch(self, out_dir: Path) -> None:
        """*out_dir*'s entries changed: saved from memory, and its snapshot no longer holds."""
        out = self.out(out_dir)
        self.touched.add(out)
        self.folders.get(out, {}).pop("snapshot", None)

    def is_fresh(self, out_dir: Path, slug: str, key: str) -> bool:
        """True when *slug* was built from inputs *key* and its files still hold, byte for
        byte, what that build wrote: by their stats when they have not moved since they were
        checked, else by their sha256 (a hash of ~8 MB for 200 issues: ~30 ms)."""
        entry = self.entries(out_dir).get(slug)
        if not entry or entry["key"] != key or not entry["files"]:
            return False
        return self.files_hold(out_dir, entry)

    def files_hold(self, out_dir: Path, entry: dict[str, Any]) -> bool:
        """Whether every file of *entry* ({"files", "stats"}) holds its sha256; stats newly
        settled are remembered (a regular file only: a FIFO or a link in its place never holds)."""
        known, now_ns = entry.setdefault("stats", {}), time.time_ns()
        folder = str(out_dir)  # joined as text: a Path per file was a third of a build's check (issue 13)
        for name, digest in entry["files"].items():
            ok, stats = holds(os.path.join(folder, name), digest, known.get(name), now_ns)
            if not ok:
                return False
            if stats != known.get(name):
                if stats is None:
                    known.pop(name, None)
                else:
                    known[name] = stats
                self.touch(out_dir)
        return True

    def journal(self, out_dir: Path, slug: str, names: Iterable[str]) -> None:
        """Say, before writing them, which files of *slug* are about to be written."""
        self.journal_writer().announce(self.out(out_dir), slug, names)

    def journal_writer(self) -> Journal:
        """What announces files in this build's name: worker processes write an issue's files
        themselves (issue 13), and announce them first, as this build would."""
        return Journal(self.path.parent, self.token)

    def record(
        self, out_dir: Path, slug: str, key: str, digests: dict[str, str], stats: dict[str, Stats] | None = None
    ) -> None:
        """*slug* now holds the files of *digests* (name -> sha256 of the bytes written, see
        `digests_of`), built from inputs *key*.

        Stats only for the files of *stats*, which the build left as they were and found
        settled (`write_files`): a file just written is not settled (RACY_NS); the next build
        hashes it.
        """
        kept = {name: value for name, value in sorted((stats or {}).items()) if name in digests}
        self.entries(out_dir)[slug] = {"key": key, "files": dict(sorted(digests.items())), "stats": kept}
        self.touch(out_dir)
        self.done.add((self.out(out_dir), slug))

    def add_files(self, out_dir: Path, slug: str, files: dict[str, bytes]) -> None:
        """Files made from an issue's build after it (message.eml): pruned with the issue, and
        removed when it is rebuilt, so they are never stale."""
        entry = self.entries(out_dir).get(slug)
        if entry is not None:
            entry["files"].update(digests_of(files))
            for name in files:
                entry.setdefault("stats", {}).pop(name, None)
            self.touch(out_dir)
        self.done.add((self.out(out_dir), slug))

    def forget(self, out_dir: Path, slug: str) -> list[str]:
        entry = self.entries(out_dir).pop(slug, None)
        self.touch(out_dir)
        return sorted(entry["files"]) if entry else []

    def save_now_and_then(self) -> None:
        """Save during a long build, every few seconds, so Ctrl-C loses little finished work."""
        if time.monotonic() - self.saved_at >= max(SAVE_EVERY_SECONDS, self.save_took / SAVE_SHARE):
            self.save()

    def save(self) -> None:
        """Write the cache by rename, then empty the journal it now includes.

        Another build may have saved other output folders meanwhile (the preview and `check`
        build into their own): those are taken from the file, ours from memory, and the lines
        other builds added to the journal since this one loaded are applied again, so an issue
        another build is writing is never trusted. A cache that is sound on disk, with nothing
        changed and no journal to fold in, is left as it is.
        """
        if not self.touched and not self.journal_seen and self.note is None and self.path.is_file():
            return
        started = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_gitignore(self.path.parent)
        journal = self.path.parent / JOURNAL_NAME
        with _locked(self.path.parent / "build.lock"):
            # What this build loaded or saved last is what the file holds while its stats stay
            # those seen then (a save is a rename): reading back 10,000 entries took 0.2 s a
            # save. The folders this build did not touch are then taken from memory, with the
            # journal's marks of when it loaded, which are emptied from the journal below.
            saved = self.saved
            if saved is not None and file_stats(self.path) == saved[0]:
                outputs, folders = dict(saved[1]), dict(saved[2])
            else:
                outputs, folders, _ = _read_outputs(self.path)
            outputs.update({out: entries for out, entries in self.outputs.items() if out in self.touched})
            folders.update({out: self.folders.get(out, {}) for out in self.touched})
            for out in _apply_journal(outputs, journal, self.journal_seen, skip=self.token)[1]:
                folders.get(out, {}).pop("snapshot", None)
            # Compact: json's C encoder (indent would use the pure-Python one, 50 ms for 200 issues).
            text = json.dumps(
                {"format": CACHE_FORMAT, "outputs": outputs, "folders": folders}, separators=(",", ":"), sort_keys=True
            )
            # Not compared with the file: reading it back cost as much memory again (issue 13: 8 MB
            # at 10,000 issues, a third of the save's peak), and a save changes it anyway.
            write_atomic(self.path, text.encode("utf-8"), compare=False)
            self.saved = (file_stats(self.path), outputs, folders)
            # The journal's lines are in build.json now, but for the issues this build (or a
            # worker of it) announced and has not recorded (Ctrl-C while writing them): they stay.
            if journal.exists():
                write_atomic(journal, "".join(_own_lines(journal, self.token, self.done)).encode("utf-8"))
        self.saved_at, self.journal_seen = time.monotonic(), 0
        self.save_took = self.saved_at - started


@dataclass(frozen=True)
class Journal:
    """Appends to ``build.journal`` under the cache's lock, in the name of build *token*."""

    cache_dir: Path
    token: str

    def announce(self, out: str, slug: str, names: Iterable[str]) -> None:
        """Name the files of *slug* in output folder *out* (resolved) about to be written."""
        line = json.dumps({"out": out, "slug": slug, "files": sorted(names), "by": self.token}, ensure_ascii=False)
        try:
            _journal_files(self.cache_dir).append((line + "\n").encode("utf-8"))
        except OSError as exc:
            raise ToolkitError(
                f"cannot write {self.cache_dir / JOURNAL_NAME}: {exc.strerror or exc}",
                path=self.cache_dir,
                hint="check that the disk is not full and the folder is writable",
            ) from None


class _JournalFiles:
    """``build.lock`` and ``build.journal`` of one cache folder, kept open by one process.

    Opening both, and checking the folder and its .gitignore, for every issue was most of an
    announcement (issue 13: 0.12 ms of 0.13). A save replaces the journal by rename, under the
    lock, and a deleted cache folder takes the lock file with it: under the lock, both names
    are checked against the files held open, and opened again when they name others.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self.pid = os.getpid()
        self.lock = self.journal = -1
        self.lock_id = self.journal_id = (0, 0)

    def append(self, data: bytes) -> None:
        self._lock()
        try:
            if _file_id(self.cache_dir / "build.lock") != self.lock_id:  # deleted, or replaced
                self._unlock()
                self.close()
                self._lock()
            path = self.cache_dir / JOURNAL_NAME
            if self.journal < 0 or _file_id(path) != self.journal_id:  # none yet, or a save replaced it
                if self.journal >= 0:
                    os.close(self.journal)
                self.journal = -1
                self.journal = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _BINARY, 0o644)
                self.journal_id = _file_id(self.journal)
            os.write(self.journal, data)
        finally:
            self._unlock()

    def _lock(self) -> None:
        if self.lock < 0:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            _write_gitignore(self.cache_dir)
            self.lock = os.open(self.cache_dir / "build.lock", os.O_RDWR | os.O_CREAT | _BINARY, 0o644)
            self.lock_id = _file_id(self.lock)
        if fcntl is not None:
            fcntl.flock(self.lock, fcntl.LOCK_EX)

    def _unlock(self) -> None:
        if fcntl is not None and self.lock >= 0:
            fcntl.flock(self.lock, fcntl.LOCK_UN)

    def close(self) -> None:
        for fd in (self.lock, self.journal):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.lock = self.journal = -1
        self.lock_id = self.journal_id = (0, 0)


_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _file_id(file: Path | int) -> tuple[int, int]:
    """The device and inode of *file* (a path, or an open descriptor); (0, 0) if there is none."""
    try:
        info = os.fstat(file) if isinstance(file, int) else os.stat(file)
    except OSError:
        return (0, 0)
    return (info.st_dev, info.st_ino)


#: This process's open journals, by cache folder. A worker forked from a build that had one open
#: opens its own: a lock taken through the build's descriptor would be the build's lock too.
_JOURNALS: dict[Path, _JournalFiles] = {}


def _journal_files(cache_dir: Path) -> _JournalFiles:
    files = _JOURNALS.get(cache_dir)
    if files is None or files.pid != os.getpid():
        files = _JOURNALS[cache_dir] = _JournalFiles(cache_dir)
    return files


def _own_lines(journal: Path, token: str, done: set[tuple[str, str]]) -> list[str]:
    """The journal's lines by build *token* for issues it has not recorded."""
    kept = []
    for line in journal.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
            if item.get("by") == token and (item["out"], item["slug"]) not in done:
                kept.append(line + "\n")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            continue  # cut short by a kill: nothing was written after it
    return kept


def digests_of(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())}


def _write_gitignore(cache_dir: Path) -> None:
    gitignore = cache_dir / ".gitignore"
    if not gitignore.exists():
        write_atomic(gitignore, b"# notice's build cache: safe to delete\n*\n")


def check_cache_dir(cache_dir: Path) -> None:
    """Refuse a file where the cache folder belongs, saying so (rather than "File exists")."""
    if cache_dir.exists() and not cache_dir.is_dir():
        raise ToolkitError(
            f"{cache_dir.name} is a file, where notice keeps its cache folder",
            path=cache_dir,
            hint="delete it: notice makes the folder again (it only holds what builds remember)",
        )


@contextlib.contextmanager
def hold_output(cache_dir: Path, out_dir: Path) -> Iterator[None]:
    """Hold the lock of builds into *out_dir*, waiting for any other build into it to end.

    flock's lock belongs to the open file, which worker processes forked meanwhile share: it
    is released when the last of them has exited, so a build never starts while a killed
    build's workers may still be writing (they exit within a fraction of a second).
    """
    name = hashlib.sha256(str(out_dir.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    check_cache_dir(cache_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle = open(cache_dir / f"out-{name}.lock", "a+b")
    except OSError as exc:
        raise ToolkitError(
            f"cannot write in {cache_dir}: {exc.strerror or exc}",
            path=cache_dir,
            hint="check that the disk is not full and the folder is writable",
        ) from None
    with handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on *path*, so two builds never save the cache at once."""
    with open(path, "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # the lock goes with the file's closing


def _read_outputs(path: Path) -> tuple[dict[str, Entries], dict[str, dict[str, Any]], str | None]:
    """The outputs and folders saved in build.json, and a note when it could not be used.

    A missing cache, or one from another version of notice, means a full rebuild without a
    word; a damaged one (not JSON, or JSON of the wrong shape) a full rebuild with a note, as
    the README promises (issue 14, item 7: a well-formed file of the wrong shape crashed).
    """
    try:
        data = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}, {}, None
    except (OSError, ValueError, RecursionError) as exc:  # ValueError: not JSON, not UTF-8
        return {}, {}, _damaged(path, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    version = data.get("format") if isinstance(data, dict) else None
    if type(version) is int and version != CACHE_FORMAT:
        return {}, {}, None  # another version's cache: its keys never match anyway
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict) or not all(_valid_entries(entries) for entries in outputs.values()):
        return {}, {}, _damaged(path, "it is not the shape notice writes")
    folders = data.get("folders")
    # Only what `toolkit.stale` reads defensively: a folder's record of the wrong shape is dropped.
    folders = (
        {out: value for out, value in folders.items() if isinstance(value, dict)} if isinstance(folders, dict) else {}
    )
    return outputs, folders, None


def _valid_entries(entries: object) -> bool:
    """One output folder's entries, each only naming files inside its own issue's folder.

    Plain loops rather than nested generators: every build checks every entry it loads
    (issue 13: 3.6 ms of four folders of 200 issues, now about half)."""
    if not isinstance(entries, dict):
        return False
    for slug, entry in entries.items():
        if not (isinstance(slug, str) and isinstance(entry, dict) and isinstance(entry.get("key"), str)):
            return False
        files, stats = entry.get("files"), entry.get("stats", {})
        if not (isinstance(files, dict) and len(entry) == 2 + ("stats" in entry) and valid_stats(stats)):
            return False
        prefix = f"{slug}/"
        for name, digest in files.items():  # `_inside`, inlined: a call per file was most of this check
            if not (isinstance(digest, str) and isinstance(name, str) and name.startswith(prefix)):
                return False
            if ".." in name and ".." in name.split("/"):
                return False
    return True


def valid_stats(stats: object) -> bool:
    if not isinstance(stats, dict):
        return False
    for value in stats.values():
        if not (isinstance(value, list) and len(value) == 4):
            return False
        for n in value:
            if type(n) is not int:
                return False
    return True


def _inside(name: object, slug: str) -> bool:
    """A file name the cache may hold for *slug*: inside its folder, so a damaged cache can
    never make a build delete another issue's files (or anything outside the output)."""
    return isinstance(name, str) and name.startswith(f"{slug}/") and ".." not in name.split("/")


def _damaged(path: Path, why: str) -> str:
    return f"the build cache {path.parent.name}/{path.name} is damaged ({why}): every issue is rebuilt"


def _apply_journal(outputs: dict[str, Entries], journal: Path, start: int = 0, skip: str = "") -> tuple[int, set[str]]:
    """Mark each issue that a build announced in the journal (from byte *start* on, lines by
    *skip* left out) as stale, and the files it named with an empty digest, so they are
    removed if the issue no longer makes them; return the journal's length and the output
    folders it marked.

    A build that was stopped after such a line may have written some files, or only left a
    temporary one: either way its issue is built again. A journal shorter than *start* was
    emptied by another build's save: all of it is read again (a needless rebuild at worst).
    """
    marked: set[str] = set()
    try:
        raw = journal.read_bytes()
    except OSError:
        return 0, marked
    lines = raw[start if start <= len(raw) else 0 :].decode("utf-8", errors="replace").splitlines()
    for line in lines:
        try:
            item = json.loads(line)
            out, slug, names, by = item["out"], item["slug"], item["files"], item.get("by")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            continue  # a line cut short by a kill: its build had not written anything yet
        if not (isinstance(out, str) and isinstance(slug, str) and isinstance(names, list)) or (skip and by == skip):
            continue
        entry = outputs.setdefault(out, {}).setdefault(slug, {"key": "", "files": {}})
        entry["key"] = ""
        marked.add(out)
        for name in names:
            if _inside(name, slug):
                entry["files"].setdefault(name, "")
                entry.get("stats", {}).pop(name, None)
    return len(raw), marked


#: The temporary files `_publish` makes (tempfile's names: 8 characters of [a-z0-9_]).
TEMPORARY_RE = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")


def remove_leftovers(folder: Path | str, *, recursive: bool = True) -> None:
    """Delete temporary files that a killed build left half-written before it could rename
    them, so the output folder holds only what is published. Links are neither followed nor
    removed. One listing a folder (issue 13: ``rglob`` took three times as long, per issue)."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:  # missing, or not a folder
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if recursive:
                remove_leftovers(entry.path)
        elif TEMPORARY_RE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)


def remove_outputs(out_dir: Path, files: list[str]) -> None:
    """Delete files notice wrote for an issue that no longer exists, then empty folders."""
    folders: set[Path] = set()
    for name in files:
        target = (out_dir / name).resolve()
        if out_dir.resolve() not in target.parents:
            continue  # never delete outside the output folder, whatever the cache says
        target.unlink(missing_ok=True)
        folders.update(p for p in target.parents if out_dir.resolve() in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty: something of the author's is in it
