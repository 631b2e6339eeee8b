"""What is reported (toolkit/errors.py): one Diagnostic for errors, warnings and check findings,
worded in one place, said once wherever it is shown."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path

import click
from click.testing import CliRunner

from toolkit import __version__
from toolkit.build import build
from toolkit.cli.state import NoticeGroup
from toolkit.config import load_config
from toolkit.errors import Diagnostic, ToolkitError, format_text, to_json, unique
from toolkit.preview import PreviewServer

from conftest import make_publication, write_issue


def broken_theme(tmp_path: Path) -> Path:
    """Two issues and a text template that fails for each of them in the same way."""
    root = make_publication(tmp_path / "pub")
    write_issue(root, "one", title="One")
    write_issue(root, "two", title="Two", date="2026-01-06")
    (root / "templates").mkdir()
    (root / "templates" / "email.txt").write_text("line one\n{{ issue.title + 1 }}\n", encoding="utf-8")
    return root


def test_a_finding_reads_like_a_linter_and_an_error_leads_with_its_severity():
    where = Path("issues/a.md").resolve()
    finding = Diagnostic("warning", "no preheader", where, 1, "add one", rule="preheader-missing")
    assert format_text(finding) == "issues/a.md:1: warning: no preheader [preheader-missing]\n  hint: add one"
    error = Diagnostic.of(ToolkitError("bad date", path=where, line=3, hint="write 2026-01-05"))
    assert format_text(error) == "Error: issues/a.md:3: bad date\n  hint: write 2026-01-05"
    assert format_text(Diagnostic("warning", "no lock")) == "Warning: no lock"


def test_json_keeps_check_s_fields_and_counts():
    findings = [
        Diagnostic("error", "gone", None, None, "restore it", rule="record-deleted"),
        Diagnostic("warning", "long", None, 2, "", rule="subject-long"),
    ]
    data = json.loads(to_json(findings))
    assert data == {
        "findings": [
            {
                "rule": "record-deleted",
                "severity": "error",
                "message": "gone",
                "path": None,
                "line": None,
                "hint": "restore it",
            },
            {"rule": "subject-long", "severity": "warning", "message": "long", "path": None, "line": 2, "hint": ""},
        ],
        "errors": 1,
        "warnings": 1,
        "notes": [],
    }
    assert list(data["findings"][0]) == ["rule", "severity", "message", "path", "line", "hint"]


def test_unique_keeps_the_first_of_equal_diagnostics_in_order():
    a, b = Diagnostic("error", "a"), Diagnostic("error", "b")
    assert unique([a, b, Diagnostic("error", "a"), b]) == [a, b]


def test_a_template_failing_every_issue_is_one_error_in_the_build(tmp_path):
    report = build(load_config(broken_theme(tmp_path)), drafts=True)
    assert [(e.path.name, e.line) for e in report.errors] == [("email.txt", 2)]


def test_the_cli_says_a_repeated_error_once(run, tmp_path):
    result = run("-C", str(broken_theme(tmp_path)), "build", "--drafts")
    assert result.exit_code == 1
    assert result.stderr.count("template error: TypeError") == 1


def test_the_preview_shows_a_repeated_error_once(tmp_path):
    server = PreviewServer(broken_theme(tmp_path), port=0)
    server.start()
    try:
        host, port = server.httpd.server_address[:2]
        for path in ("/", "/issue/one"):
            conn = http.client.HTTPConnection(host, port, timeout=10)
            conn.request("GET", path)
            page = conn.getresponse().read().decode("utf-8")
            conn.close()
            errors = re.findall(r'<div class="error">(.*?)</div>', page, re.S)
            assert len(errors) == 1, (path, errors)
            assert "email.txt:2" in errors[0]
    finally:
        server.stop()


# --- bugs are bugs (issue 8) --------------------------------------------------------------------


def test_a_failure_inside_notice_s_own_filter_is_an_internal_error_not_the_author_s(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    write_issue(root, "hello")
    (root / "templates").mkdir()
    # A theme override handing the toolkit's `wrap` filter a width it cannot count with: the
    # exception is raised inside toolkit/wrapping.py, not by the template's expression.
    (root / "templates" / "email.txt").write_text('line one\n{{ "some text"|wrap("x") }}\n', encoding="utf-8")
    result = run("-C", str(root), "build", "--drafts")
    assert result.exit_code == 1
    assert f"Error: internal error in notice {__version__}: TypeError" in result.stderr
    assert "in toolkit/wrapping.py:" in result.stderr and "called from " in result.stderr
    assert "templates/email.txt:2" in result.stderr  # where it was met, for the bug report
    assert "this is a bug in notice, not a mistake in your files: please report it" in result.stderr
    assert "fix the expression on that line" not in result.stderr
    assert "template error" not in result.stderr


def test_the_author_s_own_expression_is_still_the_author_s_error(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    write_issue(root, "hello")
    (root / "templates").mkdir()
    # The same filter given too few arguments fails at the template's own call: the author's.
    (root / "templates" / "email.txt").write_text("line one\n{{ issue.date|format_date }}\n", encoding="utf-8")
    result = run("-C", str(root), "build", "--drafts")
    assert "templates/email.txt:2: template error: TypeError" in result.stderr
    assert "fix the expression on that line" in result.stderr
    assert "internal error" not in result.stderr


def test_an_unexpected_exception_in_a_command_is_reported_as_notice_s_bug():
    @click.group(cls=NoticeGroup)
    def group() -> None:
        """A group like `notice`, with one command that meets a bug."""

    @group.command()
    def broken() -> None:
        {}["missing"]

    result = CliRunner().invoke(group, ["broken"], catch_exceptions=False, env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    last = result.stderr.rstrip("\n").splitlines()[-2:]
    assert last == [
        f"Error: internal error in notice {__version__}: KeyError: 'missing'",
        "  hint: this is a bug in notice, not a mistake in your files: please report it to the notice "
        "project with this message (and the traceback above it, if any) and the command you ran",
    ]
    assert "Traceback (most recent call last)" in result.stderr  # for the report, above the verdict


def test_click_s_own_exits_pass_through_the_bug_handler(run):
    assert run("build", "--no-such-option").exit_code == 2
    assert run("--help").exit_code == 0
