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

#: 4: one file per output folder, ``outputs/<folder's hash>.json`` (issue 13); 3: with the stats
#: of each output file and the snapshots of `toolkit.stale`, in build.json; 2: a sha256 per output
#: file (issue 14); 1 listed the files only.
CACHE_FORMAT = 4
#: Where format 3 kept every output folder: removed by the first save of format 4.
OLD_CACHE_NAME = "build.json"
#: A file changed this close to when its stats were taken may change again without its stats
#: moving (timestamps are as coarse as a clock tick here, 2 s on FAT): its stats are not
#: trusted, it is hashed instead (git's "racily clean" entries, Documentation/technical/racy-git.txt).
RACY_NS = 2_000_000_000


def write_atomic(path: Path, data: bytes, *, compare: bool = True) -> bool:
    """Write *data* to *path* by rename; return False (and touch nothing) if it is unchanged.
    Without *compare*, for a file that is never written twice the same, the old one is not read."""
    # Only a regular file is compared: reading a FIFO left in its place would block forever.
    if compare and file_stats(path) is not None and _holds_bytes(path, data):
        return False
    _publish(path, data, os.replace)
    return True


def write_files(
    out_dir: Path, files: dict[str, bytes], digests: dict[str, str], entry: dict[str, Any] | None
) -> dict[str, Stats]:
    """Write each of *files* (name under *out_dir* -> bytes, sha256 in *digests*) that does not
    hold its bytes already; return the stats of those left as they were, where they are settled.

    *entry* is the cache's entry of the issue from before this build ({"files", "stats"}): a
    file whose stats are still those recorded holds the sha256 recorded, so it is neither read
    to be compared nor, when that is its new sha256, written (git's index, racy-git.txt; issue
    13: reading back each file of a forced build was a twentieth of it). Any other file is
    compared byte for byte, as `write_atomic` does, its stats taken before it is read.
    """
    held, recorded = (entry.get("files", {}), entry.get("stats", {})) if entry else ({}, {})
    now_ns = time.time_ns()
    kept: dict[str, Stats] = {}
    # Every file to write is written under its temporary name first, and only then are they all
    # renamed into place: a failure or Ctrl-C while writing (all but the renames' microseconds)
    # leaves all of the old files, not its new web page beside its old text part (a test
    # campaign found that split); the journal has the next build write it again either way.
    staged: list[tuple[str, Path]] = []
    moved = 0
    try:
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
            staged.append((_write_temporary(path, data), path))
        for temporary, path in staged:
            _move(temporary, path, os.replace)
            moved += 1
    finally:
        for temporary, _ in staged[moved:]:  # those not renamed, after a failure
            Path(temporary).unlink(missing_ok=True)
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
    temporary = _write_temporary(path, data)
    try:
        _move(temporary, path, move)
    finally:  # gone after a rename; still there after a link or a failure
        Path(temporary).unlink(missing_ok=True)


def _write_temporary(path: Path, data: bytes) -> str:
    """A new temporary file beside *path* holding *data* (`TEMPORARY_RE`'s name), or a ToolkitError."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        return temporary
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise _cannot_write(path, exc) from None
    except BaseException:  # Ctrl-C between creating and filling it
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise


def _move(temporary: str, path: Path, move: Callable[[str, Path], None]) -> None:
    try:
        move(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise _cannot_write(path, exc) from None


def _cannot_write(path: Path, exc: OSError) -> ToolkitError:
    return ToolkitError(
        f"cannot write {path}: {exc.strerror or exc}",
        path=path,
        hint="check that the folder exists, is a folder and is writable",
    )


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

    Each output folder has a file of its own, read when the build first asks for that folder
    and written when it changed: one build.json of every folder was read and written whole by
    every build (issue 13: 40 ms of a one-issue build beside four other folders of 200 issues).
    """

    dir: Path
    #: The output folders read so far: entries by resolved name.
    outputs: dict[str, Entries] = field(default_factory=dict)
    #: Per output folder, what `toolkit.stale` remembers of the whole build: the public record's
    #: key, files and stats ("public"), and the snapshot that lets a build with nothing to do
    #: stop early ("snapshot"). A change to the folder's entries drops the snapshot.
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Why a folder's file was not used (damaged, wrong shape), and that file: the build says so.
    note: str | None = None
    note_path: Path | None = None
    touched: set[str] = field(default_factory=set, repr=False)
    #: How much of the journal is already in *outputs* (read at load), and what it held then.
    journal_seen: int = field(default=0, repr=False)
    journal_text: bytes = field(default=b"", repr=False)
    #: Marks this build's journal lines, which its own save must not count against it.
    token: str = field(default_factory=lambda: os.urandom(8).hex(), repr=False)
    #: The issues this build recorded: its journal lines for the others stay (stopped mid-issue).
    done: set[tuple[str, str]] = field(default_factory=set, repr=False)
    saved_at: float = field(default_factory=time.monotonic, repr=False)
    #: How long the last save took.
    save_took: float = field(default=0.0, repr=False)
    #: Each output folder's resolved name (resolving is a stat per folder above it, per call).
    resolved: dict[Path, str] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, cache_dir: Path) -> BuildCache:
        """The cache of *cache_dir*: the journal now, each output folder when first asked for."""
        check_cache_dir(cache_dir)
        try:
            text = (cache_dir / JOURNAL_NAME).read_bytes()
        except OSError:
            text = b""
        return cls(cache_dir, journal_seen=len(text), journal_text=text)

    def folder_file(self, out: str) -> Path:
        """Where output folder *out* (resolved) is remembered: named by its hash, as its lock is."""
        return self.dir / "outputs" / f"{folder_hash(out)}.json"

    def out(self, out_dir: Path) -> str:
        """*out_dir* as the cache names it: resolved."""
        if out_dir not in self.resolved:
            self.resolved[out_dir] = str(out_dir.resolve())
        return self.resolved[out_dir]

    def _read(self, out: str) -> None:
        """Read output folder *out* from its file, once, and mark what the journal named in it."""
        if out in self.outputs:
            return
        path = self.folder_file(out)
        entries, folder, note = _read_folder(path, out)
        if note and self.note is None:
            self.note, self.note_path = note, path
        marked = _mark_from_journal({out: entries}, self.journal_text)
        if marked or note:  # what the journal marked is kept in the file, and the damage undone
            folder.pop("snapshot", None)
            self.touched.add(out)
        self.outputs[out], self.folders[out] = entries, folder

    def entries(self, out_dir: Path) -> Entries:
        out = self.out(out_dir)
        self._read(out)
        return self.outputs[out]

    def folder(self, out_dir: Path) -> dict[str, Any]:
        """What is remembered of *out_dir* as a whole (see *folders*)."""
        out = self.out(out_dir)
        self._read(out)
        return self.folders[out]

    def touch(self, out_dir: Path) -> None:
        """*out_dir*'s entries changed: saved from memory, and its snapshot no longer holds."""
        self.folder(out_dir).pop("snapshot", None)
        self.touched.add(self.out(out_dir))

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
        return Journal(self.dir, self.token)

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
        """Write each output folder this build changed by rename, then take out of the journal
        the lines those files now include.

        Other builds write into other folders (the preview and `check` build into their own;
        builds into one folder wait for each other, `hold_output`), and their files are left as
        they are. The lines other builds added to the journal since this one loaded are marked
        again in the folders written, so an issue another build is writing is never trusted;
        the journal keeps the lines of every other folder, and this build's own lines for the
        issues it has not recorded (Ctrl-C while writing them).
        """
        if not self.touched:  # what the journal marks in a folder touches it (`_read`)
            return
        started = time.monotonic()
        self.dir.mkdir(parents=True, exist_ok=True)
        _write_gitignore(self.dir)
        journal = self.dir / JOURNAL_NAME
        saved = {out: self.outputs[out] for out in sorted(self.touched) if out in self.outputs}
        with _locked(self.dir / "build.lock"):
            try:
                text = journal.read_bytes()
            except OSError:
                text = b""
            # A journal that no longer begins with what this build read was compacted by another
            # build's save since (and may have grown past that length again): all of it again.
            seen = self.journal_seen
            since = text[seen:] if text[:seen] == self.journal_text[:seen] else text
            for out in _mark_from_journal(saved, since, skip=self.token):
                self.folders[out].pop("snapshot", None)
            if saved:
                (self.dir / "outputs").mkdir(exist_ok=True)
            for out, entries in saved.items():
                # Compact: json's C encoder (indent would use the pure-Python one, 50 ms for 200 issues).
                data = {"format": CACHE_FORMAT, "out": out, "entries": entries, "folder": self.folders[out]}
                # Not compared with the file: reading it back cost as much memory again (issue 13:
                # 8 MB at 10,000 issues, a third of the save's peak), and a save changes it anyway.
                write_atomic(
                    self.folder_file(out),
                    json.dumps(data, separators=(",", ":"), sort_keys=True).encode("utf-8"),
                    compare=False,
                )
            kept = "".join(_journal_lines(text, self.token, self.done, set(saved))).encode("utf-8")
            if text:
                write_atomic(journal, kept)
            (self.dir / OLD_CACHE_NAME).unlink(missing_ok=True)
        self.touched.clear()
        self.saved_at, self.save_took = time.monotonic(), time.monotonic() - started
        # What stays in the journal still marks a folder this build reads later (export's).
        self.journal_seen, self.journal_text = 0, kept

    def journal_names(self, out_dir: Path) -> bool:
        """Whether the journal now names an issue of *out_dir*: a build wrote into it and has
        not recorded what (it runs, or it was stopped)."""
        try:
            text = (self.dir / JOURNAL_NAME).read_bytes()
        except OSError:
            return False
        out = self.out(out_dir)
        return any(item[0] == out for item in _journal_items(text))


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


#: At most this many are kept open: a process building many publications (tests, a library's
#: user) would otherwise hold two descriptors for each.
OPEN_JOURNALS = 4


def close_inherited_journals() -> None:
    """In a process just forked: close the journals its parent held open. Its own lock would
    otherwise share the parent's open file, and a parent killed while holding it would leave
    the lock held for as long as the worker lives."""
    for cache_dir, files in list(_JOURNALS.items()):
        if files.pid != os.getpid():
            files.close()
            del _JOURNALS[cache_dir]


def _journal_files(cache_dir: Path) -> _JournalFiles:
    files = _JOURNALS.pop(cache_dir, None)
    if files is None or files.pid != os.getpid():
        files = _JournalFiles(cache_dir)  # a forked worker's inherited ones are left as they are
    _JOURNALS[cache_dir] = files  # the newest last
    while len(_JOURNALS) > OPEN_JOURNALS:
        oldest = _JOURNALS.pop(next(iter(_JOURNALS)))
        if oldest.pid == os.getpid():
            oldest.close()
    return files


def _journal_lines(text: bytes, token: str, done: set[tuple[str, str]], saved: set[str]) -> list[str]:
    """The lines of journal *text* still needed once the folders *saved* are written: this
    build's (*token*) for issues it has not recorded, and other builds' for other folders."""
    kept = []
    for line in text.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
            out, slug = item["out"], item["slug"]
            if item.get("by") == token and (out, slug) not in done or item.get("by") != token and out not in saved:
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
    name = folder_hash(str(out_dir.resolve()))
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


def folder_hash(out: str) -> str:
    """A short name for output folder *out* (resolved): its cache file's and its lock's."""
    return hashlib.sha256(out.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _read_folder(path: Path, out: str) -> tuple[Entries, dict[str, Any], str | None]:
    """The entries and the record of output folder *out* saved in *path*, and a note when
    the file could not be used.

    A missing file, one from another version of notice or one of another folder means a full
    rebuild without a word; a damaged one (not JSON, or JSON of the wrong shape) a full
    rebuild with a note, as the README promises (issue 14, item 7: a well-formed file of the
    wrong shape crashed).
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
    if isinstance(data, dict) and isinstance(data.get("out"), str) and data["out"] != out:
        return {}, {}, None  # another folder's (copied, or its name's hash the same): not ours
    entries = data.get("entries") if isinstance(data, dict) else None
    if not _valid_entries(entries):
        return {}, {}, _damaged(path, "it is not the shape notice writes")
    # Only what `toolkit.stale` reads defensively: a folder's record of the wrong shape is dropped.
    folder = data.get("folder")
    return entries, folder if isinstance(folder, dict) else {}, None  # type: ignore[return-value]


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
    shown = "/".join(path.parts[-3:])  # .notice-cache/outputs/<hash>.json
    return f"the build cache {shown} is damaged ({why}): every issue is rebuilt"


def _journal_items(text: bytes, skip: str = "") -> Iterator[tuple[str, str, list[Any]]]:
    """Each (output folder, slug, file names) the journal *text* announces, lines by build
    *skip* left out; a line cut short by a kill is skipped (its build had written nothing yet)."""
    for line in text.decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(line)
            out, slug, names, by = item["out"], item["slug"], item["files"], item.get("by")
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            continue
        if isinstance(out, str) and isinstance(slug, str) and isinstance(names, list) and not (skip and by == skip):
            yield out, slug, names


def _mark_from_journal(outputs: dict[str, Entries], text: bytes, skip: str = "") -> set[str]:
    """Mark each issue of *outputs* that the journal *text* announces (lines by build *skip*
    left out) as stale, and the files it named with an empty digest, so they are removed if
    the issue no longer makes them; return the output folders it marked.

    A build that was stopped after such a line may have written some files, or only left a
    temporary one: either way its issue is built again.
    """
    marked: set[str] = set()
    if not text:
        return marked
    for out, slug, names in _journal_items(text, skip):
        if out not in outputs:
            continue
        entry = outputs[out].setdefault(slug, {"key": "", "files": {}})
        entry["key"] = ""
        marked.add(out)
        for name in names:
            if _inside(name, slug):
                entry["files"].setdefault(name, "")
                entry.get("stats", {}).pop(name, None)
    return marked


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
