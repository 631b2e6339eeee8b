"""What is reported (toolkit/errors.py): one Diagnostic for errors, warnings and check findings,
worded in one place, said once wherever it is shown."""

from __future__ import annotations

import http.client
import json
import re
from pathlib import Path

from conftest import make_publication, write_issue
from toolkit.build import build
from toolkit.config import load_config
from toolkit.errors import Diagnostic, ToolkitError, format_text, to_json, unique
from toolkit.preview import PreviewServer


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
    findings = [Diagnostic("error", "gone", None, None, "restore it", rule="record-deleted"),
                Diagnostic("warning", "long", None, 2, "", rule="subject-long")]
    data = json.loads(to_json(findings))
    assert data == {"findings": [
        {"rule": "record-deleted", "severity": "error", "message": "gone", "path": None, "line": None,
         "hint": "restore it"},
        {"rule": "subject-long", "severity": "warning", "message": "long", "path": None, "line": 2, "hint": ""}],
        "errors": 1, "warnings": 1}
    assert list(data["findings"][0]) == ["rule", "severity", "message", "path", "line", "hint"]


def test_unique_keeps_the_first_of_equal_diagnostics_in_order():
    a, b = Diagnostic("error", "a"), Diagnostic("error", "b")
    assert unique([a, b, Diagnostic("error", "a"), b]) == [a, b]


def test_a_template_failing_every_issue_is_one_error_in_the_build(tmp_path):
    report = build(load_config(broken_theme(tmp_path)))
    assert [(e.path.name, e.line) for e in report.errors] == [("email.txt", 2)]


def test_the_cli_says_a_repeated_error_once(run, tmp_path):
    result = run("-C", str(broken_theme(tmp_path)), "build")
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
