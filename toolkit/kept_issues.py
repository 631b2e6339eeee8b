"""What each issue file held when a build last read it whole, by the file's stats, so a build
that renders one issue does not read and parse the other 199 again.

Issue 13: a build of one issue of 200 spent ~20 ms of its ~0.29 s reading, decoding and
checking the files of issues it did not render, whose front-matter only the index needs.
A build keeps, in ``.notice-cache/issues.marshal``, for each issue file it read: the file's
[inode, size, mtime, ctime] taken *before* it read it, and what the build needs of an issue
it does not render: the front-matter as written, the sha256 of the file, the line its body
starts on, the images its texts link (`images.image_sources`) and the lock and records those
were found with. The next build takes such an issue as read when the file's stats are the
same and were settled (`output.settled`: git's rule for a racily clean index entry, the one
the build cache trusts for its outputs), when its lock and records are the same ones (so the
published text is still the lock's: the silent-edit check passed on these bytes), and when
its front-matter passes today's checks; otherwise the file is read as always. The issue it
gives has no body (`source.BODY_NOT_KEPT`): an issue the build renders, and the feeds' newest,
are read again by `build.body_of`, which checks the file still has that sha256.

Only a build whose process keeps no bodies uses it (the CLI's, without templates of the
publication's own: those may show any issue's body), and only where no worker reads the
issues as they come (`build.Prefetch`, for a build that renders everything anyway).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from . import __version__
from .config import Config
from .errors import ToolkitError
from .issue_state import IssueState, load_state, record_folders
from .output import file_stats, settled
from .patterns import read_file, write_file
from .source import MAX_CACHE_BYTES, PARSED, Issue, lean_issue

FILE_NAME = "issues.marshal"
#: What the file is, and the notice that wrote it (`patterns.write_file` adds the entries' sha256).
HEADER = ("kept issues", 3, __version__)


def chain_of(state: IssueState) -> list[Any]:
    """What an issue's silent-edit check and image sources were found with: its lock and its
    correction records (deliveries change neither)."""
    return [state.lock.hash if state.lock else "", [record.hash for record in state.records]]


class KeptIssues:
    """The issue files a build read whole, by name; `issue` answers `source.read_issues`."""

    def __init__(self) -> None:
        self._reset(None, False)

    def _reset(self, config: Config | None, serving: bool) -> None:
        self.entries: dict[str, Any] = {}
        self.path: Path | None = None if config is None else config.cache_dir / FILE_NAME
        self.config = config
        #: The stats of each file as this build found them before reading it (None: unsettled).
        self.seen: dict[str, list[int] | None] = {}
        #: The issues taken from the record, by slug: their states and image sources.
        self.states: dict[str, IssueState] = {}
        self.sources: dict[str, list[str]] = {}
        self.serving = serving
        self.changed = False
        self._folders: frozenset[str] | None = None
        self._now_ns = 0

    def load(self, config: Config, serving: bool) -> None:
        """Read the record of *config*'s publication; *serving*: whether this build may take
        issues from it (else it only records what it reads, for the next build)."""
        self._reset(config, serving)
        self._now_ns = time.time_ns()
        entries = read_record(config)
        if entries is not None:
            self.entries = entries
        if serving:
            self._folders = record_folders(config)

    def issue(self, path: Path) -> Issue | None:
        """The issue *path* held when it was recorded, without its body, if it still holds it;
        None when the file must be read (its stats are taken here, before that)."""
        stats = file_stats(path)  # None for anything but a regular file: reading it says why
        stable = stats is not None and settled(stats, self._now_ns)
        self.seen[path.name] = stats if stable else None
        entry = self.entries.get(path.name)
        if not (self.serving and stable and isinstance(entry, dict) and entry.get("stats") == stats and _sound(entry)):
            return None
        config = self.config
        assert config is not None
        front, line, digest, key = entry["front"], entry["body_line"], entry["digest"], entry["front_key"]
        issue = lean_issue(path, front, line, digest, key, config.publication.lang, config.tz)
        if issue is None:
            return None
        try:
            state = load_state(config, issue, self._folders)
        except ToolkitError:
            return None  # read whole, and the build reports it as it does for any issue
        if chain_of(state) != entry["chain"]:
            return None  # a new lock or record: the body is checked against it again
        PARSED.keep(key)
        self.states[issue.slug], self.sources[issue.slug] = state, entry["sources"]
        return issue

    def remember(self, states: dict[str, IssueState], sources: dict[str, list[str]]) -> None:
        """Record each issue of *states* this build read whole and checked (its front-matter,
        its records, no silent edit), with its image *sources*, under the stats taken before
        it was read; keep the entries of those it took from the record; forget the rest."""
        kept: dict[str, Any] = {}
        for state in states.values():
            issue = state.issue
            name, slug = issue.path.name, issue.slug
            stats = self.seen.get(name)
            if stats is None or slug not in sources:
                continue
            if slug in self.states:
                kept[name] = self.entries[name]
                continue
            if not PARSED.holds(issue.front_key):
                continue  # front-matter JSON cannot give back (a date YAML was told to make): read each time
            kept[name] = {
                "stats": stats,
                "digest": issue.digest,
                "front": issue.front,
                "front_key": issue.front_key,
                "body_line": issue.body_line,
                "chain": chain_of(state),
                "sources": sources[slug],
            }
        if kept != self.entries:
            self.entries, self.changed = kept, True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        write_file(self.path, self.entries, HEADER)
        self.changed = False


def _sound(entry: dict[str, Any]) -> bool:
    """Whether *entry* has each field `remember` writes, of its type: a record is checked, not trusted."""
    sources = entry.get("sources")
    return (
        isinstance(entry.get("front"), dict)
        and type(entry.get("body_line")) is int
        and isinstance(entry.get("digest"), str)
        and isinstance(entry.get("front_key"), str)
        and "chain" in entry
        and isinstance(sources, list)
        and all(isinstance(src, str) for src in sources)
    )


def read_record(config: Config) -> dict[str, Any] | None:
    """The entries of *config*'s record; None if there is none, if another notice wrote it, or
    if its bytes are not those whose sha256 it carries (`patterns.read_file`): an entry damaged
    in place (a title, a digest) would be trusted until its file changed, and one wrong digest
    made `build.body_of` refuse that issue on every build."""
    return read_file(config.cache_dir / FILE_NAME, HEADER, MAX_CACHE_BYTES)


#: The one record; `build` loads it before reading the issues and saves it after.
KEPT = KeptIssues()
