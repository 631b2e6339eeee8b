"""An issue in its state: the issue file with its publication lock and its correction records.

Read once and shared by build, check, history and the preview. The rules that follow from the
state alone live here too: whether published text was edited silently, and the subject readers
see once an issue has been corrected.
"""

from __future__ import annotations

import difflib
import os
import shlex
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .corrections import subject_with_marker, title_marker
from .deliveries import Delivery, read_deliveries
from .errors import SourceError, display_path
from .records import (
    LOCK_NAME,
    Lock,
    Record,
    RecordMissingError,
    chain_problems,
    disappearance_problems,
    locked_content,
    read_lock,
    read_records,
)
from .source import Issue, check_slug, no_such_issue, read_issue


@dataclass(frozen=True)
class IssueState:
    """An issue with its lock and records, read once and shared by build, check and history.

    *records* are the corrections; *deliveries* what `notice sent` recorded. Both are links of
    one chain (`chain`), which `notice correct` and `notice sent` append to."""

    issue: Issue
    lock: Lock | None
    records: list[Record]
    deliveries: list[Delivery] = field(default_factory=list)
    #: A draft's "corrections since the last issue" as if published now (`toolkit.next_issue`);
    #: a published issue's are in its lock.
    carried: tuple[dict, ...] = ()

    @property
    def chain(self) -> list[Any]:
        """Every record, corrections and deliveries alike, in chain order."""
        return sorted([*self.records, *self.deliveries], key=lambda r: (r.seq, r.path.name))


def load_issue(config: Config, slug: str) -> Issue:
    """The issue *slug*, or a ToolkitError that suggests the nearest slug."""
    path = config.issues_dir / f"{check_slug(slug)}.md"
    if not os.path.lexists(path):  # a folder, a link or a FIFO gets read_issue's own error
        raise no_such_issue(slug, [p.stem for p in config.issues_dir.glob("*.md")])
    return read_issue(path, default_lang=config.publication.lang, tz=config.tz, root=config.root)


def record_folders(config: Config) -> frozenset[str] | None:
    """The names in ``corrections/``, casefolded (a folder of the author's spelled otherwise is
    the issue's on a case-insensitive disk), for `load_state` to skip the issues that have none;
    None when the folder cannot be listed (each issue is then looked up as before)."""
    try:
        with os.scandir(config.corrections_dir) as entries:
            return frozenset(entry.name.casefold() for entry in entries)
    except FileNotFoundError:
        return frozenset()
    except OSError:  # not a folder, no permission: read_lock and read_records say what is wrong
        return None


def load_state(config: Config, issue: Issue, folders: frozenset[str] | None = None) -> IssueState:
    """The issue's lock and records; SourceError when a record or the chain is damaged.

    With *folders* (`record_folders`), an issue with no entry in ``corrections/`` is known to
    have neither lock nor records without looking for them (issue 13: three stats an issue,
    6 ms of a build of 200, after imports). What the issue itself says exists is still checked
    (`disappearance_problems`)."""
    if folders is not None and issue.slug.casefold() not in folders:
        lock, records, deliveries = None, [], []
    else:
        lock = read_lock(config.corrections_dir, issue.slug)
        records = read_records(config.corrections_dir, issue.slug, config.tz)
        deliveries = read_deliveries(config.corrections_dir, issue.slug, config.tz)
    chain: list[Any] = sorted([*records, *deliveries], key=lambda r: (r.seq, r.path.name))
    if lock is None and chain:
        raise RecordMissingError(
            "the publication lock is missing, but correction records follow it",
            path=config.corrections_dir / issue.slug / LOCK_NAME,
            hint="the lock records what readers received: restore it from version control",
        )
    # One chain: a delivery edited, or removed from the middle or the end, is caught as a record is.
    problems = chain_problems(lock, chain) or disappearance_problems(issue, lock, chain, config.corrections_dir)
    if problems:
        raise problems[0]
    return IssueState(issue, lock, records, deliveries)


def silent_edit(state: IssueState) -> str | None:
    """A unified diff of published text changed in the issue file since the lock, or None."""
    if state.lock is None:
        return None
    now = locked_content(state.issue)
    if now == {"fields": state.lock.fields, "body": state.lock.body}:
        return None
    before = _as_lines(state.lock.fields, state.lock.body)
    after = _as_lines(now["fields"], now["body"])
    return "".join(difflib.unified_diff(before, after, "published", "now"))


def _as_lines(fields: dict, body: str) -> list[str]:
    """The fields as written (one the author never wrote is left out, not shown as None), the body."""
    written = [f"{key}: {fields[key]}\n" for key in sorted(fields) if fields[key] is not None]
    return written + ["---\n"] + body.splitlines(keepends=True)


def silent_edit_error(state: IssueState, diff: str) -> SourceError:
    return SourceError(
        "the published text was changed without a correction record:\n" + _indent(diff),
        path=state.issue.path,
        line=1,
        hint=f"restore what readers received (`git checkout -- {shlex.quote(display_path(state.issue.path))}`), "
        "then record the "
        f"change with `notice correct {state.issue.slug} --kind correction --replaces OLD --with NEW` "
        "(or --kind minor for a typo)",
    )


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.rstrip("\n").splitlines())


def subject_of(state: IssueState, config: Config) -> str:
    """The title readers see: with 【訂正追記有り】 or [Corrected] once there are records."""
    return subject_with_marker(state.issue.title, title_marker(state.records, state.issue.lang, config))
