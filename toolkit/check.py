"""`notice check`: findings with a rule id, a severity, a place and a hint.

This first set of rules guards the correction workflow: a published issue whose text changed
without a record, a record edited or deleted after it was made, an issue published by hand
without a lock. Each rule is a small function over one issue's state.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import Config
from .errors import ToolkitError, display_path
from .publishing import IssueState, load_state, silent_edit
from .records import LOCK_NAME
from .source import no_such_issue, read_issues

SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message: str
    path: Path | None = None
    line: int | None = None
    hint: str = ""

    def format(self) -> str:
        where = display_path(self.path) + (f":{self.line}" if self.line else "") if self.path else ""
        text = f"{where}: {self.severity}: {self.message} [{self.rule}]" if where else \
            f"{self.severity}: {self.message} [{self.rule}]"
        return text + (f"\n  hint: {self.hint}" if self.hint else "")

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["path"] = display_path(self.path) if self.path else None
        return data


def check(config: Config, slugs: Iterable[str] = ()) -> list[Finding]:
    """Every finding for the publication (or only *slugs*), errors first, then by file."""
    wanted = set(slugs)
    issues, errors = read_issues(config.issues_dir, default_lang=config.publication.lang, tz=config.tz)
    known = {i.slug for i in issues} | {e.path.stem for e in errors if e.path}
    for slug in sorted(wanted - known):
        raise no_such_issue(slug, known)
    findings = [from_error("source", error) for error in errors if not wanted or error.path.stem in wanted]
    for issue in issues:
        if wanted and issue.slug not in wanted:
            continue
        try:
            state = load_state(config, issue)
        except ToolkitError as error:
            findings.append(from_error("record-damaged", error))
            continue
        findings.extend(check_silent_edit(state))
        findings.extend(check_unlocked(state))
    findings.extend(check_git_records(config, wanted))
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), str(f.path or ""), f.line or 0))


def from_error(rule: str, error: ToolkitError) -> Finding:
    return Finding(rule, "error", error.message, error.path, error.line, error.hint or "")


def check_silent_edit(state: IssueState) -> list[Finding]:
    """Published text changed in the issue file instead of through `notice correct`."""
    diff = silent_edit(state)
    if not diff:
        return []
    from .publishing import silent_edit_error

    return [from_error("silent-edit", silent_edit_error(state, diff))]


def check_unlocked(state: IssueState) -> list[Finding]:
    """Marked published by hand: what readers received was never recorded."""
    issue = state.issue
    if issue.is_draft or state.lock is not None:
        return []
    return [Finding("unlocked", "warning", "published without a lock of what readers received",
                    issue.path, 1, f"run `notice publish {issue.slug}` to record it now")]


def check_git_records(config: Config, wanted: set[str]) -> list[Finding]:
    """Records that version control knows but that were deleted or changed on disk.

    The hash chain cannot see the newest record vanish; git can, when the folder is tracked.
    """
    findings = []
    for option, what in (("--deleted", "deleted"), ("--modified", "changed")):
        try:
            # From the root, so that a whole corrections/ folder deleted is seen too.
            listed = subprocess.run(["git", "ls-files", option, "-z", "--", "corrections"], cwd=config.root,
                                    capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return []  # no git: the hash chain is the only guard
        if listed.returncode != 0:
            return []  # not a git work tree
        for name in filter(None, listed.stdout.split("\0")):
            path = config.root / name
            slug = Path(name).parts[1] if len(Path(name).parts) > 1 else ""
            if (wanted and slug not in wanted) or (what == "changed" and not path.exists()):
                continue
            kind = "publication lock" if path.name == LOCK_NAME else "correction record"
            findings.append(Finding(
                f"record-{what}", "error", f"a committed {kind} was {what}", path, None,
                f"records are append-only: restore it with `git checkout -- {display_path(path)}`"))
    return findings


def to_json(findings: list[Finding]) -> str:
    return json.dumps({"findings": [f.as_json() for f in findings],
                       "errors": sum(f.severity == "error" for f in findings),
                       "warnings": sum(f.severity == "warning" for f in findings)},
                      ensure_ascii=False, indent=2)
