"""A build with nothing to do answers from file stats (toolkit.stale, issue 13), and never
calls something fresh that a whole build would rebuild."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit import output
from toolkit.build import build
from toolkit.config import load_config

from conftest import write_issue

HEAVY = ("jinja2", "markdown", "lxml", "yaml", "babel", "css_inline", "premailer")


@pytest.fixture(params=[False, True], ids=["hashed", "by-stats"])
def settled(request, monkeypatch):
    """Both ways a snapshot is checked: by sha256 (files changed in the last two seconds,
    which in a test is every file) and by stats alone (as if every file had settled)."""
    if request.param:
        monkeypatch.setattr(output, "RACY_NS", -(10**18))
    return request.param


def quick(root: Path, **options):
    """The build `notice build` runs."""
    return build(load_config(root), snapshot=True, **options)


def test_a_build_with_nothing_to_do_imports_no_renderer(publication, run):
    assert run("-C", str(publication), "build", "--drafts").exit_code == 0
    script = (
        "import sys\n"
        "from toolkit.cli import main\n"
        f"sys.argv = ['notice', '-C', {str(publication)!r}, 'build', '--drafts']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "Built 0 issues (1 unchanged)" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"


def test_nothing_to_do_says_what_the_whole_build_says(publication, run):
    write_issue(publication, "second", status="published")
    (publication / "build" / "hello").mkdir(parents=True)  # a draft's pages no build on record wrote
    whole = run("-C", str(publication), "build")
    again = [run("-C", str(publication), "build") for _ in range(2)]
    assert whole.exit_code == 0
    assert "Left out 1 draft (hello)" in whole.stdout and "pages of the draft 'hello'" in whole.stderr
    for result in again:
        assert result.exit_code == 0
        assert result.stdout == whole.stdout.replace("Built 1 issue into", "Built 0 issues (1 unchanged) into")
        assert result.stderr == whole.stderr


def _edit(path: Path, old: bytes, new: bytes, put_back: bool = False) -> None:
    """Change *path* in place, its size kept; with *put_back*, its old modification time too."""
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(old, new))
    if put_back:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _journal(root: Path) -> None:
    line = {"out": str((root / "build").resolve()), "slug": "hello", "files": ["hello/email.html"], "by": "killed"}
    (root / ".notice-cache" / "build.journal").write_text(json.dumps(line) + "\n")


def _template(root: Path) -> None:
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "index.html").write_text("{{ publication.name }}\n")


CHANGES = {
    "issue": lambda root: _edit(root / "issues" / "hello.md", b"Some", b"Same"),
    "issue, its old modification time put back": lambda root: _edit(
        root / "issues" / "hello.md", b"Some", b"Same", True
    ),
    "new issue": lambda root: write_issue(root, "other"),
    "record folder": lambda root: (root / "corrections" / "hello").mkdir(parents=True),
    "template": _template,
    "notice.toml": lambda root: (root / "notice.toml").write_text((root / "notice.toml").read_text() + "\n# more\n"),
    "output": lambda root: _edit(root / "build" / "hello" / "email.html", b"<html", b"<HTML"),
    "output, its old modification time put back": lambda root: _edit(
        root / "build" / "hello" / "email.html", b"<html", b"<HTML", True
    ),
    "index": lambda root: (root / "build" / "index.html").write_text("edited"),
    "deleted output": lambda root: (root / "build" / "hello" / "email.txt").unlink(),
    "left-over temporary file": lambda root: (root / "build" / ".index.html.abcd1234.tmp").write_text("half"),
    "journal": _journal,
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_makes_the_whole_build_run(publication, settled, change):
    out = publication / "build"
    first = quick(publication, drafts=True)
    assert first.built == ["hello"] and first.issues
    assert quick(publication, drafts=True).issues == []  # from the snapshot
    CHANGES[change](publication)
    report = quick(publication, drafts=True)
    assert report.issues, "the whole build ran"
    assert report.ok
    if change.startswith("issue"):
        assert report.built == ["hello"]
    names = ["corrections.html", "hello", "index.html", *(["other"] if change == "new issue" else [])]
    assert sorted(p.name for p in out.iterdir()) == names
    assert (out / "index.html").read_text() != "edited"
    assert b"<HTML" not in (out / "hello" / "email.html").read_bytes() and (out / "hello" / "email.txt").is_file()


def test_the_configured_output_folder_is_no_input_of_a_build_into_another(publication, settled, tmp_path):
    """`build --out X` reads nothing of the configured output folder: its files are not
    hashed into X's snapshot (at 10,000 issues, a build/ left beside them was 50,000 files
    hashed and 50 MB held), and their changes leave X's build with nothing to do."""
    assert quick(publication, drafts=True).built == ["hello"]  # into build/
    other = tmp_path / "elsewhere"
    assert quick(publication, drafts=True, out_dir=other).built == ["hello"]
    assert quick(publication, drafts=True, out_dir=other).issues == []
    _edit(publication / "build" / "hello" / "email.html", b"<html", b"<HTML")
    (publication / "build" / "hello" / "new.txt").write_text("more")
    assert quick(publication, drafts=True, out_dir=other).issues == []


def test_other_options_are_another_build(publication):
    quick(publication, drafts=True)
    quick(publication, drafts=True)
    assert quick(publication, drafts=True).issues == []
    assert quick(publication, drafts=True, force=True).built == ["hello"]
    assert quick(publication, drafts=True, slugs=["hello"]).issues
    assert quick(publication).drafts == ["hello"]
    assert not (publication / "build" / "hello").exists()  # withdrawn, as the whole build does


def test_a_build_with_errors_leaves_no_snapshot(publication):
    write_issue(publication, "broken", raw="no front-matter\n")
    for _ in range(3):
        report = quick(publication, drafts=True)
        assert report.issues and not report.ok


def test_a_link_among_the_inputs_means_the_whole_build_every_time(publication):
    (publication / "notes.md").write_text("notes")
    (publication / "link.md").symlink_to(publication / "notes.md")
    for _ in range(3):
        assert quick(publication, drafts=True).issues


@pytest.mark.parametrize(
    "folder",
    [
        [],
        1,
        {"snapshot": 1, "public": []},
        {"snapshot": {"options": 1, "inputs": {"files": 1}}, "public": {"key": 1}},
        {"snapshot": {"inputs": {"files": {}, "folders": {}}, "report": {"warnings": [1]}}},
        {"public": {"key": "k", "files": {"index.html": "0"}, "stats": {"index.html": [1]}, "warnings": []}},
    ],
)
def test_a_damaged_snapshot_costs_the_whole_build_and_nothing_else(publication, folder):
    config, out = load_config(publication), str((publication / "build").resolve())
    quick(publication, drafts=True)
    path = output.BuildCache.load(config.cache_dir).folder_file(out)
    data = json.loads(path.read_text())
    data["folder"] = folder
    path.write_text(json.dumps(data))
    report = quick(publication, drafts=True)
    assert report.ok and report.issues and report.unchanged == ["hello"]
    assert (publication / "build" / "index.html").read_text().startswith("<!DOCTYPE html>")


def test_a_forced_build_hashes_no_output_and_leaves_a_snapshot(publication, monkeypatch):
    """--force writes every issue's files again, so its snapshot's scan reads the inputs
    alone: the outputs' test hashed each file the build was about to replace (issue 13: 53 ms
    of 200 issues' 1,006 files). The index and feeds are still tested, as in every build, and
    the snapshot left still answers the next build."""
    quick(publication, drafts=True)
    hashed: list[object] = []
    files_hold = output.BuildCache.files_hold

    def counting(self, out_dir, entry):
        if "feeds" not in entry:  # an issue's entry, not the public record's
            hashed.append(entry)
        return files_hold(self, out_dir, entry)

    monkeypatch.setattr(output.BuildCache, "files_hold", counting)
    assert quick(publication, drafts=True, force=True).built == ["hello"]
    assert hashed == []
    assert quick(publication, drafts=True).issues == []  # from the forced build's snapshot
    assert hashed  # and that answer tested the outputs
