from __future__ import annotations

import os
import subprocess
import sys

import pytest

from toolkit import __version__
from toolkit.config import load_config

from conftest import REPO, write_issue


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"notice, version {__version__}"


def test_build_reports_and_exits_zero(run, publication):
    result = run("-C", str(publication), "build", "--drafts")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Built 1 issue into ")
    again = run("-C", str(publication), "build", "--drafts")
    assert "Built 0 issues (1 unchanged)" in again.stdout


def test_build_from_a_subfolder_finds_notice_toml(run, publication, monkeypatch):
    monkeypatch.chdir(publication / "issues")
    result = run("build", "--drafts")
    assert result.exit_code == 0, result.output
    assert "../build" in result.stdout  # paths printed relative to where the user stands


def test_quiet_and_verbose(run, publication):
    assert run("-C", str(publication), "-q", "build", "--drafts").stdout == ""
    verbose = run("-C", str(publication), "-v", "build", "--drafts", "--force")
    assert "built " in verbose.stdout and "hello" in verbose.stdout


def test_bad_issue_is_a_clean_error_with_exit_1(run, publication):
    write_issue(publication, "broken", raw="---\ntitle: x\ndate: 2018-02-30\n---\nb\n")
    result = run("-C", str(publication), "build", "--drafts")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Error: " in result.stderr
    assert "broken.md:3: '2018-02-30' is not a real date" in result.stderr
    assert "hint:" in result.stderr
    assert (publication / "build" / "hello" / "email.html").is_file()


def test_unknown_slug_suggests(run, publication):
    result = run("-C", str(publication), "build", "helo")
    assert result.exit_code == 1
    assert "no issue 'helo' in issues/ (did you mean 'hello'?)" in result.stderr


def test_missing_config_is_a_clean_error(run, tmp_path):
    result = run("-C", str(tmp_path), "build", "--drafts")
    assert result.exit_code == 1
    assert "no notice.toml" in result.stderr and "notice init" in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot delete the current folder")
def test_a_deleted_current_folder_is_a_clean_error(run, tmp_path, monkeypatch):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()  # as when another terminal removed the folder this one stands in
    result = run("list")
    assert result.exit_code == 1
    assert "the current folder no longer exists" in result.stderr and "notice -C DIR" in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="Windows cannot delete the current folder")
def test_a_deleted_current_folder_is_no_internal_error_anywhere(run, tmp_path, monkeypatch, publication):
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    result = run("init")
    assert result.exit_code == 1 and "the current folder no longer exists" in result.stderr
    result = run("-C", str(publication), "build", "--drafts")  # absolute -C: builds, paths printed absolute
    assert result.exit_code == 0, result.stderr
    assert str(publication / "build") in result.stdout and "internal error" not in result.stderr


def test_init_creates_a_working_publication(run, tmp_path):
    target = tmp_path / "letter"
    result = run("init", str(target), "--name", "Shop news", "--lang", "ja")
    assert result.exit_code == 0, result.output
    assert (target / "notice.toml").read_text(encoding="utf-8").count('"Shop news"') == 1
    assert "/build/" in (target / ".gitignore").read_text(encoding="utf-8")
    assert ".notice-cache" in (target / ".gitignore").read_text(encoding="utf-8")
    # The theme is used, not copied: templates/ holds only a README on overriding it.
    assert [p.name for p in (target / "templates").iterdir()] == ["README.md"]
    readme = (target / "templates" / "README.md").read_text(encoding="utf-8")
    assert "- email.html" in readme and "--accent" in readme
    assert (target / "corrections").is_dir()
    assert len(list((target / "issues").glob("*.md"))) == 1
    built = run("-C", str(target), "build", "--drafts")
    assert built.exit_code == 0, built.output
    index = (target / "build" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja" dir="ltr">' in index and "創刊号" in index  # the Japanese sample issue, listed
    sample = next((target / "build").glob("*/email.html")).read_text(encoding="utf-8")
    assert "Shop news" in sample and "創刊号" in sample and '<html lang="ja"' in sample


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--lang", "日本"], "Error: --lang: lang '日本' is not a language tag\n"),
        (
            ["--name", 'Shop "news"\nline two'],
            "Error: --name: 'name' contains a line break or another control character\n",
        ),
    ],
)
def test_init_refuses_settings_every_later_command_would_refuse(run, tmp_path, args, expected):
    """Issue 14: init wrote a notice.toml that `build` and every other command then rejected."""
    result = run("init", str(tmp_path / "letter"), *args)
    assert result.exit_code == 1 and result.stderr.startswith(expected), result.output
    assert not (tmp_path / "letter" / "notice.toml").exists()


def test_init_writes_any_name_as_a_valid_toml_string(run, tmp_path):
    name = 'Tom\'s "Shop" \\ news'
    result = run("init", str(tmp_path / "letter"), "--name", name)
    assert result.exit_code == 0, result.output
    assert load_config(tmp_path / "letter").publication.name == name
    title = f"About {name} \x85\x7f"  # controls JSON leaves raw and YAML refuses raw
    assert run("-C", str(tmp_path / "letter"), "new", title).exit_code == 0
    listed = run("-C", str(tmp_path / "letter"), "list")
    assert listed.exit_code == 0 and title in listed.stdout, listed.output


def test_init_refuses_to_overwrite(run, publication):
    before = (publication / "notice.toml").read_bytes()
    result = run("init", str(publication))
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert (publication / "notice.toml").read_bytes() == before


def test_new_writes_a_draft_with_a_slug_from_the_title(run, publication):
    result = run("-C", str(publication), "new", "Spring News: 2026!", "--date", "2026-03-01")
    assert result.exit_code == 0, result.output
    path = publication / "issues" / "spring-news-2026.md"
    text = path.read_text(encoding="utf-8")
    assert 'title: "Spring News: 2026!"' in text and "date: 2026-03-01" in text and "status: draft" in text
    assert run("-C", str(publication), "build", "--drafts", "spring-news-2026").exit_code == 0


def test_new_japanese_title_gets_date_slugs_and_never_overwrites(run, publication):
    for expected in ("2018-07-13", "2018-07-13-2", "2018-07-13-3"):
        result = run("-C", str(publication), "new", "プライバシーポリシーの変更について", "--date", "2018-07-13")
        assert result.exit_code == 0, result.output
        assert (publication / "issues" / f"{expected}.md").is_file()
    original = (publication / "issues" / "2018-07-13.md").read_bytes()
    clash = run("-C", str(publication), "new", "Other", "--slug", "2018-07-13")
    assert clash.exit_code == 1 and "already exists" in clash.stderr
    assert (publication / "issues" / "2018-07-13.md").read_bytes() == original


@pytest.mark.parametrize(
    "args, message",
    [
        (["new", "x", "--slug", "Bad Slug"], "'Bad Slug' is not a valid slug"),
        (["new", "x", "--date", "2018-13-01"], "--date '2018-13-01' is not a date"),
        (["new", "  "], "the title is empty"),
    ],
)
def test_new_bad_input(run, publication, args, message):
    result = run("-C", str(publication), *args)
    assert result.exit_code == 1 and message in result.stderr


def test_list_shows_issues_newest_first(run, publication):
    write_issue(publication, "older", title="古い号", date="2020-01-01")
    assert run("-C", str(publication), "publish", "older", "--date", "2020-01-01 09:00").exit_code == 0
    assert run("-C", str(publication), "correct", "older", "--kind", "update", "--note", "Later.").exit_code == 0
    result = run("-C", str(publication), "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SLUG", "DATE", "STATUS", "CORR", "TITLE"]
    assert lines[1].split() == ["hello", "2026-01-05", "draft", "0", "Hello"]
    assert lines[2].split() == ["older", "2020-01-01", "published", "1", "古い号"]


def test_no_color_and_pipes_get_no_escape_codes(run, publication):
    write_issue(publication, "broken", raw="---\ntitle: x\n---\nb\n")
    result = run("-C", str(publication), "build", "--drafts")
    assert "\x1b[" not in result.output


def test_every_command_has_help_with_an_example_and_is_in_the_readme(run):
    from toolkit.cli import cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        result = run(name, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.stdout, name
        assert f"notice {name}" in readme, name


def _modules_after(args: list[str]) -> set[str]:
    code = (
        f"import sys, runpy; sys.argv = ['notice', *{args!r}]\n"
        "try:\n    runpy.run_module('toolkit', run_name='__main__')\n"
        "except SystemExit:\n    pass\nprint('MODULES', *sorted(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
    )
    return set(out.stdout.rsplit("MODULES", 1)[1].split())


def test_help_does_not_import_heavy_modules():
    loaded = _modules_after(["--help"])
    assert "click" in loaded
    for heavy in ("premailer", "lxml", "cssutils", "css_inline", "markdown", "babel", "jinja2"):
        assert heavy not in loaded, heavy


def test_python_dash_m_runs_the_command():
    out = subprocess.run(
        [sys.executable, "-m", "toolkit", "--version"], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.strip() == f"notice, version {__version__}"


def test_the_command_as_a_process_prints_everything_and_keeps_its_exit_status(publication):
    """`notice` ends without the collector's last passes (`cli.main`): what it printed still
    arrives whole through a pipe, the files are written, and the exit status is the command's.
    A guard of what the freeze must not break; the time it saves is the benchmarks' to show."""
    for n in range(12):
        write_issue(publication, f"more-{n:02d}", title=f"More {n}", body=f"Issue {n}, *{'long ' * 200}*.")
    env = {**os.environ, "NO_COLOR": "1"}
    command = [sys.executable, "-m", "toolkit", "-C", str(publication)]
    done = subprocess.run([*command, "-v", "build", "--drafts"], capture_output=True, text=True, cwd=REPO, env=env)
    assert done.returncode == 0, done.stderr
    slugs = ["hello", *(f"more-{n:02d}" for n in range(12))]
    lines = done.stdout.splitlines()
    assert [line.split()[-1].rsplit("/", 1)[-1] for line in lines[:-1]] == slugs, done.stdout
    assert lines[-1].startswith("Built 13 issues into "), done.stdout
    for slug in slugs:
        assert (publication / "build" / slug / "email.html").is_file()
    failed = subprocess.run([*command, "build", "no-such-issue"], capture_output=True, text=True, cwd=REPO, env=env)
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: no issue 'no-such-issue'"), failed.stderr
