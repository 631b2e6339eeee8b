"""`notice check`: findings (`Diagnostic`s with a rule id) with a severity, a place and a hint.

Two sets of rules. Those here guard the correction workflow: a published issue whose text
changed without a record, a record edited or deleted after it was made, an issue published by
hand without a lock; each is a small function over one issue's state. The email rules
(`toolkit.rules`: size, client support, links and images, the law, subject and preview text,
active content) look at each issue as readers will get it, built privately into
``.notice-cache/check/``. ``[check] disable = [...]`` in notice.toml switches rules off.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from .build import build
from .built_email import BuiltEmail, Sources, read_config_text
from .config import Config, line_of
from .deliveries import combined_id, notice_status, pending_records
from .errors import Diagnostic, ToolkitError, did_you_mean, display_path, unique
from .issue_state import IssueState, load_state, silent_edit, silent_edit_error
from .output import write_atomic
from .records import LOCK_NAME, RecordMissingError
from .render import IssueRenderer
from .rules import RULES as EMAIL_RULES
from .rules_ja import JA_RULES
from .rules_mail import MAIL_RULES
from .social import length_findings
from .source import Issue, check_slug, no_such_issue, numbers_as_read, read_issues

SEVERITIES = ("error", "warning")
#: The correction workflow's rules, and `build` for an issue that fails to render for check.
#: Every rule over a built email: the email's own, then a mail service's (merge tags).
RULES = [*EMAIL_RULES, *MAIL_RULES, *JA_RULES]
#: What a text-only mail magazine ([email] format = "text") is checked for: its readers get no HTML.
TEXT_RULES = ("subject-long", "machine-dependent", "law-footer-ja", "merge-tag-unknown")
WORKFLOW_RULES = (
    "source",
    "record-damaged",
    "silent-edit",
    "unlocked",
    "record-deleted",
    "record-changed",
    "notice-unsent",
    "build",
    "image-missing",  # a local image the build cannot use (toolkit.images): it fails the build too
    "yaml-number",
)
#: Rules over what the build writes beside the emails.
OUTPUT_RULES = ("social-length",)


def check(config: Config, slugs: Iterable[str] = ()) -> list[Diagnostic]:
    """Every finding for the publication (or only *slugs*), errors first, then by file.

    The same finding from several emails (a theme rule, a missing setting) is listed once.
    """
    known = (*WORKFLOW_RULES, *OUTPUT_RULES, *(rule for rule, _ in RULES))
    disabled = set(config.check.disable)
    workflow = check_workflow(config, slugs)
    # The private build meets unreadable issues and silent edits again: said once is enough.
    said = {(f.message, f.path, f.line) for f in workflow}
    emails = [f for f in check_emails(config, slugs, disabled) if (f.message, f.path, f.line) not in said]
    findings = [f for f in workflow + emails if f.rule not in disabled] + check_disable_setting(config, known)
    return sorted(unique(findings), key=lambda f: (SEVERITIES.index(f.severity), str(f.path or ""), f.line or 0))


def check_workflow(config: Config, slugs: Iterable[str]) -> list[Diagnostic]:
    """The correction workflow: sources that do not read, damaged records, silent edits."""
    wanted = {check_slug(slug) for slug in slugs}
    issues, errors = read_issues(config.issues_dir, default_lang=config.publication.lang, tz=config.tz)
    known = {i.slug for i in issues} | {e.path.stem for e in errors if e.path}
    for slug in sorted(wanted - known):
        raise no_such_issue(slug, known)
    findings = [
        from_error("source", error) for error in errors if not wanted or (error.path and error.path.stem in wanted)
    ]
    for issue in issues:
        if wanted and issue.slug not in wanted:
            continue
        try:
            state = load_state(config, issue)
        except RecordMissingError as error:  # the issue names a lock or record that is gone
            findings.append(from_error("record-deleted", error))
            continue
        except ToolkitError as error:
            findings.append(from_error("record-damaged", error))
            continue
        findings.extend(check_silent_edit(state))
        findings.extend(check_numbers(issue, config.root))
        findings.extend(check_unlocked(state))
        findings.extend(check_unsent(state))
    # A deleted lock is seen both from the issue and by git: say it once, with git's hint.
    in_git = check_git_records(config, wanted)
    said = {f.path for f in in_git}
    return [f for f in findings if f.rule != "record-deleted" or f.path not in said] + in_git


def check_emails(config: Config, slugs: Iterable[str], disabled: set[str]) -> list[Diagnostic]:
    """Build each issue privately and run every email rule that is switched on over its
    email.html and its correction notices' (readers get those too)."""
    rules = [
        (rule, function)
        for rule, function in RULES
        if rule not in disabled and (config.email.format != "text" or rule in TEXT_RULES)
    ]
    if not rules and disabled.issuperset(OUTPUT_RULES):
        return []
    report = build(config, slugs=slugs, out_dir=config.cache_dir / "check", drafts=True)
    # A missing image is its own rule (image-missing); any other failure to build is `build`.
    findings = [replace(error, rule=error.rule or "build") for error in report.errors]
    sources = Sources.load(config)
    renderer = IssueRenderer(config)
    for slug in sorted({*report.built, *report.unchanged}):
        state, folder = report.states[slug], report.out_dir / slug
        notices = sorted(folder.glob("corrections/*/email.html"))
        # What the sanitizer removed is gone from the built files: ask the renderer, even for an
        # issue the private build skipped as unchanged.
        removed = tuple(renderer.removed_content(state))
        emails = [
            BuiltEmail.read(config, state, folder / "email.html", sources, removed=removed),
            *(BuiltEmail.read(config, state, path, sources, notice=True) for path in notices),
            *(combined_email(config, state, renderer, sources) if rules else ()),
        ]
        for email in emails:
            for rule, function in rules:
                findings.extend(replace(problem, rule=rule) for problem in function(email))
        findings.extend(length_findings(config, folder))  # line.txt and post.txt (issue 12)
    return findings


def combined_email(config: Config, state: IssueState, renderer: IssueRenderer, sources: Sources) -> list[BuiltEmail]:
    """The one notice `notice export --pending-notices` would write now, when it joins two or more
    records (one is its single notice, checked already): readers get it too, and four notes
    together can pass Gmail's clip where none alone does. Written under .notice-cache/, never
    into any output, so a finding names a file the author can open."""
    pending = pending_records(state.records, state.deliveries)
    if len(pending) < 2:
        return []
    folder = f"combined-{combined_id([r.id for r in pending])}"
    rendered = renderer.combined_notice(state, pending, folder)
    path = config.cache_dir / "check-combined" / state.issue.slug / "email.html"  # the newest only
    write_atomic(path, rendered[f"{folder}/email.html"])
    return [BuiltEmail.read(config, state, path, sources, notice=True)]


def check_disable_setting(config: Config, known: tuple[str, ...]) -> list[Diagnostic]:
    """A misspelt id in ``[check] disable`` would silently switch nothing off."""
    line = line_of(read_config_text(config), "check", "disable")
    return [
        Diagnostic(
            "error",
            f"unknown rule '{rule}' in [check] disable{did_you_mean(rule, known)}",
            config.path,
            line,
            f"known rules: {', '.join(known)}",
            rule="check-disable",
        )
        for rule in config.check.disable
        if rule not in known
    ]


# --- the correction workflow's rules -----------------------------------------------------------


def from_error(rule: str, error: ToolkitError) -> Diagnostic:
    return Diagnostic.of(error, rule=rule)


def check_silent_edit(state: IssueState) -> list[Diagnostic]:
    """Published text changed in the issue file instead of through `notice correct`."""
    diff = silent_edit(state)
    if not diff:
        return []
    return [from_error("silent-edit", silent_edit_error(state, diff))]


def check_numbers(issue: Issue, root: Path) -> list[Diagnostic]:
    """A title or number that YAML read as another number than the one typed (``12:30`` is 750)."""
    return [
        Diagnostic(
            "warning",
            f"'{key}: {written}' is read by YAML as the number {value}, so the {key} is '{value}'",
            issue.path,
            line,
            f"readers received '{value}': keep it so, or change it with `notice correct {issue.slug}`"
            if not issue.is_draft
            else f'quote it to keep it as written: {key}: "{written}"'
            if key != "number"
            else "write it in plain digits, without a leading 0, '_' or ':' (number: 42)",
            rule="yaml-number",
        )
        for key, written, value, line in numbers_as_read(issue, root)
    ]


def check_unlocked(state: IssueState) -> list[Diagnostic]:
    """Marked published by hand: what readers received was never recorded."""
    issue = state.issue
    if issue.is_draft or state.lock is not None:
        return []
    return [
        Diagnostic(
            "warning",
            "published without a lock of what readers received",
            issue.path,
            1,
            f"run `notice publish {issue.slug}` to record it now",
            rule="unlocked",
        )
    ]


def check_unsent(state: IssueState) -> list[Diagnostic]:
    """A record readers must hear of whose notice has not gone out on every channel the issue
    went out on (issue 12). Quiet for an issue with no delivery records: it has no channels."""
    slug = state.issue.slug
    findings = []
    for status in notice_status(state.records, state.deliveries):
        if not status.missing:
            continue
        record = status.record
        channels = " ".join(f"--channel {c}" for c in status.missing)
        findings.append(
            Diagnostic(
                "warning",
                f"the notice of {record.kind} {record.id} ({record.date:%Y-%m-%d}) has not gone out on "
                f"{', '.join(status.missing)}, where the issue went out",
                record.path,
                1,
                f"send it (`notice export {slug} --pending-notices` makes one notice of all that are pending), "
                f"then run `notice sent {slug} --notice {record.id} {channels}`",
                rule="notice-unsent",
            )
        )
    return findings


def check_git_records(config: Config, wanted: set[str]) -> list[Diagnostic]:
    """Records that version control knows but that were deleted or changed on disk.

    The hash chain cannot see the newest record vanish; git can, when the folder is tracked.
    """
    findings = []
    for option, what in (("--deleted", "deleted"), ("--modified", "changed")):
        try:
            # From the root, so that a whole corrections/ folder deleted is seen too.
            listed = subprocess.run(
                ["git", "ls-files", option, "-z", "--", "corrections"],
                cwd=config.root,
                capture_output=True,
                text=True,
                timeout=10,
            )
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
            findings.append(
                Diagnostic(
                    "error",
                    f"a committed {kind} was {what}",
                    path,
                    None,
                    f"records are append-only: restore it with `git checkout -- {display_path(path)}`",
                    rule=f"record-{what}",
                )
            )
    return findings
