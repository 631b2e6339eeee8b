"""What is stale: whether a build would change anything, told from file stats (issue 13).

A build with nothing to do used to import Markdown, Jinja, Babel and lxml, read and validate
every issue and hash every output only to find that out: 15 times a bare Python start for 200
issues. Now a build without errors leaves a *snapshot* in the cache: every file of the
publication folder (but its dot-folders and the output folders) and of the built-in theme, by
its sha256 and its stats (inode, size, modification and change time, as git's index keeps
them), the names in each of their folders, the options of the build, notice's version, the
output folder's top-level names, and what the build reported. The next build with the same
options compares stats; a file whose stats moved is hashed and compared with its sha256
(touching a file costs a hash, not a rebuild), and one changed too recently for its stats to
be trusted (`output.RACY_NS`) is always hashed. The outputs are checked the same way against
the sha256 the cache holds for each. When all of it holds, the build is over: what it reports
is the snapshot's report, and nothing heavier than this module and `output` was imported.

Whatever is not a regular file or a folder (a link, a FIFO) in those folders means no snapshot:
every build then takes the whole path, which follows links and reports FIFOs as it always has.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .errors import Diagnostic
from .output import BuildCache, settled, valid_stats

#: Bumped when what a snapshot holds changes, so an older one is never trusted.
SNAPSHOT_FORMAT = 1


def theme_dir() -> Path:
    """The built-in theme: ``toolkit/templates`` when installed, the repository's templates/
    when running from a checkout (setup.cfg maps one onto the other; there is one copy)."""
    package = Path(__file__).parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


def build_options(drafts: bool, slugs: list[str]) -> dict[str, Any]:
    """The options a snapshot holds for: the same build asked again (--force aside)."""
    return {"format": SNAPSHOT_FORMAT, "version": __version__, "drafts": drafts, "slugs": sorted(set(slugs))}


class Inputs:
    """Every file a build may read, by path: [sha256, *stats] (stats only when settled), and
    the sorted names of every folder walked; `complete` is False when something in them is
    neither a file nor a folder."""

    def __init__(self, files: dict[str, list[Any]], folders: dict[str, list[str]], complete: bool) -> None:
        self.files, self.folders, self.complete = files, folders, complete

    def as_json(self) -> dict[str, Any]:
        return {"files": self.files, "folders": self.folders}

    def same_as(self, snapshot: dict[str, Any]) -> bool:
        """The same names everywhere, and every file with the same sha256."""
        old_files = snapshot.get("files")
        return (
            self.complete
            and snapshot.get("folders") == self.folders
            and isinstance(old_files, dict)
            and old_files.keys() == self.files.keys()
            and all(
                isinstance(old_files[path], list) and old_files[path][:1] == new[:1] for path, new in self.files.items()
            )
        )


def scan_inputs(config: Config, out_dir: Path, known: dict[str, Any] | None) -> Inputs:
    """The publication's files and the theme's, hashed only where their stats are not in
    *known* (an earlier snapshot's "files")."""
    now_ns = time.time_ns()
    old = known if isinstance(known, dict) else {}
    files: dict[str, list[Any]] = {}
    folders: dict[str, list[str]] = {}
    complete = True
    # Not inputs: the folder built into, the cache, and the configured output folder when the
    # build goes elsewhere (`--out`): an image under it is refused (images._private).
    skip = {str(out_dir.resolve()), str(config.cache_dir.resolve()), str(config.out_dir.resolve())}

    def add_file(path: str, info: os.stat_result) -> None:
        stats = [info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
        before = old.get(path)
        if isinstance(before, list) and len(before) == 5 and before[1:] == stats:
            files[path] = before
            return
        try:
            with open(path, "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            digest = ""  # unreadable: the build says why; an empty digest never matches
        files[path] = [digest, *stats] if digest and settled(stats, now_ns) else [digest]

    def walk(folder: str, top: bool) -> None:
        nonlocal complete
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            folders[folder] = ["?"]  # missing or unreadable: compared as such
            return
        names = []
        for entry in entries:
            if top and (entry.name.startswith(".") or entry.path in skip):
                continue  # .git, .notice-cache, the output folder: not what a build reads
            names.append(entry.name)
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                if entry.path not in skip:
                    walk(entry.path, False)
            elif stat.S_ISREG(info.st_mode):
                add_file(entry.path, info)
            else:
                complete = False  # a link or a FIFO: only the whole build knows what it means
        folders[folder] = names

    root = str(config.root.resolve())
    walk(root, True)
    theme = str(theme_dir().resolve())
    if theme not in folders:  # a checkout whose publication holds the theme has walked it
        walk(theme, False)
    return Inputs(files, folders, complete)


def public_record(cache: BuildCache, out_dir: Path) -> dict[str, Any] | None:
    """What the cache remembers of *out_dir*'s index, feeds and sitemap: {"key" (of the index
    and the corrections log), "feeds" (the key of the rest), "files", "stats", "warnings"};
    None when it is missing or not the shape notice writes."""
    public = cache.folder(out_dir).get("public")
    if not (
        isinstance(public, dict)
        and isinstance(public.get("key"), str)
        and isinstance(public.get("feeds"), str)
        and isinstance(public.get("files"), dict)
        and all(isinstance(name, str) and "/" not in name and isinstance(d, str) for name, d in public["files"].items())
        and valid_stats(public.get("stats"))
        and _valid_warnings(public.get("warnings"))
    ):
        return None
    return public


def outputs_hold(cache: BuildCache, out_dir: Path) -> bool:
    """Every file the cache lists for *out_dir*, the issues' and the public record's, still
    holds its sha256 (stats newly settled are remembered in *cache*)."""
    public = public_record(cache, out_dir)
    entries = list(cache.entries(out_dir).values())
    return (
        public is not None
        and all(entry["key"] and cache.files_hold(out_dir, entry) for entry in entries)
        and cache.files_hold(out_dir, public)
    )


def top_names(out_dir: Path) -> list[str] | None:
    try:
        return sorted(os.listdir(out_dir))
    except OSError:
        return None


def _snapshot(cache: BuildCache, out_dir: Path) -> dict[str, Any]:
    """The snapshot the cache keeps for *out_dir*, or {} when there is none of notice's shape."""
    snapshot = cache.folder(out_dir).get("snapshot")
    return snapshot if isinstance(snapshot, dict) and isinstance(snapshot.get("inputs"), dict) else {}


def scan_for_snapshot(cache: BuildCache, config: Config, out_dir: Path) -> Inputs:
    """The scan of the inputs alone, for the snapshot of a build that renders whatever the
    last one left (--force): `remembered_report`'s test of the outputs hashed every file the
    build is about to write again (issue 13: 53 ms of 200 issues' 1,006 files)."""
    snapshot = _snapshot(cache, out_dir)
    return scan_inputs(config, out_dir, snapshot["inputs"].get("files") if snapshot else None)


def remembered_report(
    cache: BuildCache, config: Config, out_dir: Path, options: dict[str, Any]
) -> tuple[dict[str, Any] | None, Inputs]:
    """What the last build with *options* reported, if it would report the same again and
    write nothing; and the scan of the inputs, for the snapshot of the build that follows."""
    snapshot = _snapshot(cache, out_dir)
    inputs = scan_for_snapshot(cache, config, out_dir)
    report = snapshot.get("report")
    if (
        not snapshot
        or snapshot.get("options") != options
        or not isinstance(report, dict)
        or not all(
            isinstance(report.get(k), list) and all(isinstance(s, str) for s in report[k])
            for k in ("unchanged", "drafts")
        )
        or not _valid_warnings(report.get("warnings"))
        or cache.journal_names(out_dir)
        or snapshot.get("top") != top_names(out_dir)
        or not inputs.same_as(snapshot["inputs"])
        or not outputs_hold(cache, out_dir)
    ):
        return None, inputs
    if inputs.files != snapshot["inputs"]["files"] or cache.touched:  # stats newly settled: keep them
        remember(cache, out_dir, options, inputs, snapshot["report"])
    return snapshot["report"], inputs


def remember(cache: BuildCache, out_dir: Path, options: dict[str, Any], inputs: Inputs, report: dict[str, Any]) -> None:
    """Leave the snapshot of a build without errors; *inputs* were scanned before it read anything,
    so a file changed while it ran differs from the snapshot and makes the next build whole."""
    if not inputs.complete:
        return
    cache.folder(out_dir)["snapshot"] = {
        "options": options,
        "inputs": inputs.as_json(),
        "top": top_names(out_dir),
        "report": report,
    }
    cache.touched.add(cache.out(out_dir))


def report_json(unchanged: list[str], drafts: list[str], warnings: list[Diagnostic]) -> dict[str, Any]:
    """What a build reported, as a snapshot keeps it."""
    return {"unchanged": unchanged, "drafts": drafts, "warnings": warnings_json(warnings)}


def warnings_json(warnings: list[Diagnostic]) -> list[list[Any]]:
    return [[w.severity, w.message, str(w.path) if w.path else None, w.line, w.hint, w.rule] for w in warnings]


def report_warnings(report: dict[str, Any]) -> list[Diagnostic]:
    """The warnings of a `report_json` (or of a public record), as they were."""
    return [
        Diagnostic(severity, message, Path(path) if path else None, line, hint, rule)
        for severity, message, path, line, hint, rule in report["warnings"]
    ]


def _valid_warnings(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(w, list)
        and len(w) == 6
        and all(isinstance(w[i], str) for i in (0, 1, 4, 5))
        and (w[2] is None or isinstance(w[2], str))
        and (w[3] is None or type(w[3]) is int)
        for w in value
    )
