"""`notice publish`, `correct`, `history`, `list` and `check`, driven through the CLI, and the
case this workflow grew from, end to end: the LINE@ mail magazine that had to take a claim back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from toolkit.cli import cli

from conftest import write_issue

BODY = "The cat sat on the mat.\n\nA dog barked.\nA dog barked.\n\nIt rained all day."
ISSUE = "---\ntitle: Hello\ndate: 2026-01-05\nstatus: {status}\npreheader: A short preview line.\n---\n\n" + BODY + "\n"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the issues and their records, to show that nothing was written."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for folder in ("issues", "corrections")
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


def line_in(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def records(root: Path, slug: str = "hello") -> list[Path]:
    return sorted(p for p in (root / "corrections" / slug).glob("0*.yml"))


@pytest.fixture
def pub(publication, monkeypatch):
    """An English publication, commands run from inside it; 'hello' is still a draft."""
    monkeypatch.chdir(publication)
    write_issue(publication, "hello", raw=ISSUE.format(status="draft"))
    return publication


@pytest.fixture
def sent(pub, run):
    """'hello' published on 2026-01-05 at 09:00 London time."""
    result = run("publish", "hello", "--date", "2026-01-05 09:00")
    assert result.exit_code == 0, result.output
    return pub


def invoke(*args: str, **env: str | None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"NO_COLOR": "1", **env})


# --- publish ------------------------------------------------------------------------------------


def test_publish_sets_status_and_published_time_in_the_publications_time_zone(pub, run):
    result = run("publish", "hello", "--date", "2026-07-05 09:00")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Published hello on 2026-07-05 09:00 +0100; what readers received is locked in "
        "corrections/hello/published.yml\n"
    )
    assert (pub / "issues" / "hello.md").read_text(encoding="utf-8") == (
        "---\ntitle: Hello\ndate: 2026-01-05\nstatus: published\npreheader: A short preview line.\n"
        "published: 2026-07-05T09:00:00+01:00\n---\n\n" + BODY + "\n"
    )
    lock = yaml.safe_load((pub / "corrections" / "hello" / "published.yml").read_text(encoding="utf-8"))
    assert lock["published"] == "2026-07-05T09:00:00+01:00"
    assert lock["body"] == "\n" + BODY + "\n"


def test_publish_without_a_date_is_now_in_the_publications_time_zone(seed_publication, run):
    slug = "2018-07-13-line-privacy"
    result = run("-C", str(seed_publication), "publish", slug)
    assert result.exit_code == 0, result.output
    text = (seed_publication / "issues" / f"{slug}.md").read_text(encoding="utf-8")
    stamp = re.search(r"^published: (\S+)$", text, re.MULTILINE).group(1)
    assert stamp.endswith("+09:00")
    assert abs(dt.datetime.fromisoformat(stamp) - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=2)


def test_publishing_twice_is_refused(sent, run):
    before = snapshot(sent)
    result = run("publish", "hello", "--date", "2026-02-01")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 'hello' was already published on 2026-01-05 09:00\n"
        "  hint: to change it, use `notice correct hello --kind ...`\n"
    )
    assert snapshot(sent) == before


@pytest.mark.parametrize("problem", ["template", "front-matter"])
def test_a_draft_that_does_not_build_is_not_published(pub, run, problem):
    if problem == "template":
        (pub / "templates").mkdir()
        (pub / "templates" / "web.html").write_text("ok\n{% if %}\n", encoding="utf-8")
        expected = "Error: templates/web.html:2: template syntax error: Expected an expression"
    else:
        write_issue(pub, "hello", raw=ISSUE.format(status="draft").replace("2026-01-05", "2026-02-30"))
        expected = "Error: issues/hello.md:3: '2026-02-30' is not a real date"
    before = snapshot(pub)
    result = run("publish", "hello", "--date", "2026-01-05 09:00")
    assert result.exit_code == 1
    assert result.stderr.startswith(expected)
    assert snapshot(pub) == before
    assert not (pub / "corrections" / "hello").exists()


def test_publishing_a_missing_issue_suggests_the_slug(pub, run):
    result = run("publish", "helo")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no issue 'helo' in issues/ (did you mean 'hello'?)\n")


def test_an_issue_published_by_hand_builds_warns_and_publish_adds_the_lock(pub, run):
    write_issue(pub, "hello", raw=ISSUE.format(status="published"))
    built = run("build")
    assert built.exit_code == 0, built.output
    assert "The cat sat on the mat." in (pub / "build" / "hello" / "web.html").read_text(encoding="utf-8")
    checked = run("check")
    assert checked.exit_code == 0
    assert checked.stdout == (
        "issues/hello.md:1: warning: published without a lock of what readers received "
        "[unlocked]\n  hint: run `notice publish hello` to record it now\n"
        "0 errors, 1 warning\n"
    )
    assert "  (published by hand, without a lock: run `notice publish` to add one)\n" in run("history", "hello").stdout
    published = run("publish", "hello", "--date", "2026-01-05 08:00")
    assert published.exit_code == 0, published.output
    assert run("check").stdout == "0 errors, 0 warnings\n"


def test_a_published_date_without_a_lock_is_an_error_and_publish_can_lock_it(pub, run):
    """`published:` is what `notice publish` writes after the lock: without the lock, it was
    deleted (or the issue was published by hand, with a date). Issue 14: not a mere warning."""
    write_issue(
        pub,
        "hello",
        raw=ISSUE.format(status="published").replace("preheader:", "published: 2026-01-05 08:00\npreheader:"),
    )
    built = run("build")
    assert built.exit_code == 1
    assert not (pub / "build" / "hello").exists()
    assert built.stderr.startswith(
        "Error: corrections/hello/published.yml: the publication lock is missing, but "
        "the issue says it was published on 2026-01-05 08:00\n  hint: the lock records "
        "what readers received: restore it from version control or a backup; if this "
        "issue was published by hand and never locked, `notice publish hello` locks it "
        "now\n"
    )
    checked = run("check", "--format", "json")
    assert checked.exit_code == 1
    assert [(f["rule"], f["severity"]) for f in json.loads(checked.stdout)["findings"]] == [("record-deleted", "error")]
    before = (pub / "issues" / "hello.md").read_text(encoding="utf-8")
    published = run("publish", "hello")
    assert published.exit_code == 0, published.output
    assert published.stdout.startswith("Published hello on 2026-01-05 08:00 +0000;")
    assert (pub / "issues" / "hello.md").read_text(encoding="utf-8") == before  # its own time is kept
    lock = yaml.safe_load((pub / "corrections" / "hello" / "published.yml").read_text(encoding="utf-8"))
    assert lock["published"] == "2026-01-05T08:00:00+00:00"
    assert run("check").stdout == "0 errors, 0 warnings\n"


# --- correct ------------------------------------------------------------------------------------


def test_correct_appends_one_record_and_names_it_in_the_issue_only(sent, run):
    issue = (sent / "issues" / "hello.md").read_bytes()
    result = run(
        "correct",
        "hello",
        "--kind",
        "correction",
        "--replaces",
        "cat",
        "--with",
        "dog",
        "--replaces",
        "rained",
        "--with",
        "snowed",
        "--note",
        "A dog, and snow.",
        "--date",
        "2026-01-06",
    )
    assert result.exit_code == 0, result.output
    [path] = records(sent)
    record_id = path.stem.split("-")[1]
    assert result.stdout == f"Recorded correction {record_id} in corrections/hello/0001-{record_id}.yml\n"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["replaces"] == [{"original": "cat", "corrected": "dog"}, {"original": "rained", "corrected": "snowed"}]
    assert data["note"] == "A dog, and snow." and data["date"] == "2026-01-06T00:00:00+00:00"
    assert data["pending"] is False and data["resolves"] is None
    # The one change to the issue: the line that lets a deleted newest record be noticed.
    assert (sent / "issues" / "hello.md").read_bytes() == issue.replace(
        b"\n---\n", f"\nlast_correction: 0001-{record_id}\n---\n".encode(), 1
    )


@pytest.mark.parametrize("kind", ["correction", "addendum", "supplement", "update", "clarification", "retraction"])
def test_every_kind_can_be_recorded(sent, run, kind):
    result = run("correct", "hello", "--kind", kind, "--note", "Noted.", "--date", "2026-01-06")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Recorded {kind} ")
    assert yaml.safe_load(records(sent)[0].read_text(encoding="utf-8"))["kind"] == kind


def test_a_minor_fix_needs_no_note(sent, run):
    result = run("correct", "hello", "--kind", "minor", "--replaces", "rained", "--with", "poured")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(records(sent)[0].read_text(encoding="utf-8"))["note"] == ""


def bad_input_cases():
    return [
        (
            ["--kind", "corection", "--note", "x"],
            "Error: unknown kind 'corection' (did you mean 'correction'?)\n"
            "  hint: kinds: correction, clarification, addendum, supplement, update, retraction, minor\n",
        ),
        (
            ["--kind", "correction", "--replaces", "cat", "--replaces", "mat", "--with", "dog", "--note", "x"],
            "Error: 2 --replaces but 1 --with: give them in pairs\n"
            '  hint: --replaces "wrong text" --with "right text", once per passage\n',
        ),
        (
            ["--kind", "correction", "--replaces", "The cat sat on a mat.", "--with", "x", "--note", "x"],
            "Error: issues/hello.md:{cat}: the text to replace is not in the issue: “The cat sat on a mat.”\n"
            "  hint: the closest line is {cat}; copy the passage exactly as it stands in the issue (including "
            "punctuation)\n",
        ),
        (
            ["--kind", "correction", "--replaces", "barked", "--with", "howled", "--note", "x"],
            "Error: issues/hello.md:{dog}: the text to replace occurs 2 times (lines {dog}, {dog2}): “barked”\n"
            "  hint: make --replaces longer so that it matches one passage only\n",
        ),
        (
            ["--kind", "correction", "--replaces", "the mat.\n\nA dog", "--with", "x", "--note", "x"],
            "Error: the text to replace spans more than one paragraph\n"
            "  hint: correct one paragraph at a time: give one --replaces/--with pair for each\n",
        ),
        (
            [
                "--kind",
                "correction",
                "--replaces",
                "cat",
                "--with",
                "dog",
                "--replaces",
                "hail",
                "--with",
                "snow",
                "--note",
                "x",
            ],
            "Error: issues/hello.md:{rain}: the text to replace is not in the issue: “hail”\n",
        ),
        (
            ["--kind", "addendum", "--resolves", "abcdef0", "--note", "x"],
            "Error: no record 'abcdef0' to resolve in 'hello'\n"
            "  hint: `notice history hello` lists the records and their ids\n",
        ),
        (["--kind", "minor"], "Error: a minor fix needs --replaces and --with\n"),
        (["--kind", "update", "--note", "  "], "Error: a record needs a note, --replaces/--with pairs, or both\n"),
        (
            ["--kind", "update", "--note", "x", "--note-file", "note.md"],
            "Error: give --note or --note-file, not both\n",
        ),
        (["--kind", "update", "--note", "x", "--date", "2026-13-01"], "Error: --date: '2026-13-01' is not a real date"),
        # issue 14: published 2026-01-05 09:00 London time; a record cannot precede it
        (
            ["--kind", "update", "--note", "x", "--date", "2026-01-05 08:59"],
            "Error: the correction is dated 2026-01-05 08:59 +0000, before 'hello' was published on "
            "2026-01-05 09:00 +0000\n  hint: give --date on or after 2026-01-05 09:00",
        ),
    ]


@pytest.mark.parametrize(("args", "expected"), bad_input_cases())
def test_bad_input_is_refused_and_nothing_is_written(sent, run, args, expected):
    issue = sent / "issues" / "hello.md"
    (sent / "note.md").write_text("A note.\n", encoding="utf-8")
    dog = line_in(issue, "A dog barked")
    expected = expected.format(
        cat=line_in(issue, "The cat sat"), dog=dog, dog2=dog + 1, rain=line_in(issue, "It rained")
    )
    before = snapshot(sent)
    result = run("correct", "hello", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith(expected), result.stderr
    assert result.stdout == ""
    assert snapshot(sent) == before


def test_resolving_a_record_that_is_not_pending_or_already_resolved_is_refused(sent, run):
    plain = run("correct", "hello", "--kind", "update", "--note", "Plain.").stdout.split()[2]
    asked = run("correct", "hello", "--kind", "addendum", "--pending", "--note", "Asked.").stdout.split()[2]
    assert run("correct", "hello", "--kind", "addendum", "--resolves", asked, "--note", "Answered.").exit_code == 0
    before = snapshot(sent)
    not_pending = run("correct", "hello", "--kind", "addendum", "--resolves", plain, "--note", "x")
    assert not_pending.exit_code == 1
    assert not_pending.stderr == (
        f"Error: record {plain} is not pending\n  hint: only a --pending record can be resolved\n"
    )
    again = run("correct", "hello", "--kind", "addendum", "--resolves", asked, "--note", "x")
    assert again.exit_code == 1
    assert again.stderr == f"Error: record {asked} was already resolved\n  hint: see `notice history hello`\n"
    assert snapshot(sent) == before


def test_correcting_a_draft_is_refused(pub, run):
    before = snapshot(pub)
    result = run("correct", "hello", "--kind", "correction", "--replaces", "cat", "--with", "dog", "--note", "x")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: issues/hello.md: 'hello' is a draft: drafts are simply edited, not corrected\n"
        "  hint: edit hello.md; `notice publish hello` once it is sent\n"
    )
    assert snapshot(pub) == before


def test_correcting_a_missing_issue_is_refused(sent, run):
    before = snapshot(sent)
    result = run("correct", "helo", "--kind", "correction", "--note", "x")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no issue 'helo' in issues/ (did you mean 'hello'?)\n  hint: `notice list` shows every issue's slug\n"
    )
    assert snapshot(sent) == before


def test_errors_point_at_the_right_line_after_an_earlier_correction(sent, run):
    """Line numbers are those of the issue file, even when a correction shortened the text above."""
    issue = sent / "issues" / "hello.md"
    assert (
        run(
            "correct",
            "hello",
            "--kind",
            "correction",
            "--replaces",
            "The cat sat on the mat.",
            "--with",
            "Cat.",
            "--note",
            "Shorter.",
        ).exit_code
        == 0
    )
    dog, rain = line_in(issue, "A dog barked"), line_in(issue, "It rained")
    many = run("correct", "hello", "--kind", "correction", "--replaces", "barked", "--with", "x", "--note", "x")
    assert many.stderr.startswith(
        f"Error: issues/hello.md:{dog}: the text to replace occurs 2 times (lines {dog}, {dog + 1}): “barked”\n"
    ), many.stderr
    missing = run(
        "correct", "hello", "--kind", "correction", "--replaces", "It snowed all day.", "--with", "x", "--note", "x"
    )
    assert missing.stderr.startswith(
        f"Error: issues/hello.md:{rain}: the text to replace is not in the issue: "
        f"“It snowed all day.”\n  hint: the closest line is {rain};"
    ), missing.stderr


def test_a_replaced_passage_can_be_corrected_again(sent, run):
    assert (
        run(
            "correct", "hello", "--kind", "correction", "--replaces", "cat", "--with", "dgo", "--note", "Dog."
        ).exit_code
        == 0
    )
    gone = run("correct", "hello", "--kind", "correction", "--replaces", "cat", "--with", "x", "--note", "x")
    assert gone.exit_code == 1 and "the text to replace is not in the issue: “cat”" in gone.stderr
    assert run("correct", "hello", "--kind", "minor", "--replaces", "dgo", "--with", "dog").exit_code == 0
    assert run("build").exit_code == 0
    web = (sent / "build" / "hello" / "web.html").read_text(encoding="utf-8")
    assert re.search(r"<del [^>]*>cat</del><ins [^>]*>dog</ins> sat on the mat", web)


def test_note_from_a_file(sent, run):
    (sent / "note.md").write_text("From a *file*.\n", encoding="utf-8")
    result = run("correct", "hello", "--kind", "update", "--note-file", "note.md")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(records(sent)[0].read_text(encoding="utf-8"))["note"] == "From a *file*."


EDITOR_SCRIPT = """\
import sys
from pathlib import Path

path = Path(sys.argv[1])
path.write_text({note!r} + path.read_text(encoding="utf-8"), encoding="utf-8")
"""


def editor(tmp_path: Path, note: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT.format(note=note), encoding="utf-8")
    return f'"{sys.executable}" "{script}"'


def test_without_a_note_editor_opens_for_it(sent, tmp_path):
    result = invoke(
        "correct",
        "hello",
        "--kind",
        "addendum",
        "--date",
        "2026-01-07",
        EDITOR=editor(tmp_path, "Written in the *editor*.\n"),
        VISUAL=None,
    )
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(records(sent)[0].read_text(encoding="utf-8"))["note"] == "Written in the *editor*."


def test_an_empty_note_from_the_editor_records_nothing(sent, tmp_path):
    before = snapshot(sent)
    result = invoke("correct", "hello", "--kind", "addendum", EDITOR=editor(tmp_path, ""), VISUAL=None)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: the note is empty: nothing was recorded\n  hint: write the note, or pass --note TEXT\n"
    )
    assert snapshot(sent) == before


def test_a_note_typed_in_the_editor_and_then_refused_is_kept_for_the_next_try(sent, tmp_path):
    typed = "LINE社に確認しました。<script>alert(1)</script>\n"
    result = invoke("correct", "hello", "--kind", "addendum", EDITOR=editor(tmp_path, typed), VISUAL=None)
    assert result.exit_code == 1 and records(sent) == []
    assert "your note is kept: --note-file " in result.stderr
    kept = sent / result.stderr.split("--note-file ", 1)[1].split()[0]
    assert kept.read_text(encoding="utf-8") == typed  # every character the author typed


def test_without_a_note_or_an_editor_it_says_what_to_pass(sent):
    result = invoke("correct", "hello", "--kind", "addendum", EDITOR=None, VISUAL=None)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: no note given, and no terminal to open an editor in\n  hint: pass --note TEXT or --note-file FILE\n"
    )
    assert records(sent) == []


BLOCKING_EDITOR = """\
import sys, time
from pathlib import Path

here = Path({folder!r})
(here / "editor-open").touch()
for _ in range(600):  # until the test says the other `notice correct` is done (at most a minute)
    if (here / "release").exists():
        break
    time.sleep(0.1)
path = Path(sys.argv[1])
path.write_text({note!r} + path.read_text(encoding="utf-8"), encoding="utf-8")
"""


def correct_in_editor(root: Path, tmp_path: Path, *args: str) -> subprocess.Popen:
    """`notice correct ARGS` in another process, its $EDITOR open until *tmp_path*/release exists."""
    script = tmp_path / "blocking_editor.py"
    script.write_text(BLOCKING_EDITOR.format(folder=str(tmp_path), note="Written slowly.\n"), encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1", "EDITOR": f'"{sys.executable}" "{script}"'}
    env.pop("VISUAL", None)
    first = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "correct", "hello", *args],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):
        if (tmp_path / "editor-open").exists() or first.poll() is not None:
            break
        time.sleep(0.05)
    assert (tmp_path / "editor-open").exists(), first.communicate()
    return first


def correct_now(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`notice correct ARGS --note ...` while the other one's editor is open. The timeout only
    guards against a deadlock: with the lock held by the editor, this would wait for ever."""
    return subprocess.run(
        [sys.executable, "-m", "toolkit", "correct", "hello", *args],
        cwd=root,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow
def test_an_open_editor_does_not_hold_the_lock_and_both_records_join_the_chain(sent, tmp_path, run):
    first = correct_in_editor(sent, tmp_path, "--kind", "addendum", "--date", "2026-01-07")
    try:
        second = correct_now(sent, "--kind", "update", "--note", "Quick.", "--date", "2026-01-08")
    finally:
        (tmp_path / "release").touch()
        out, err = first.communicate(timeout=60)
    assert second.returncode == 0, second.stderr
    assert first.returncode == 0, err
    notes = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in records(sent)]
    assert [(n["seq"], n["note"]) for n in notes] == [(1, "Quick."), (2, "Written slowly.")]
    assert run("check").stdout == "0 errors, 0 warnings\n"  # one unbroken chain


@pytest.mark.slow
def test_a_record_is_validated_again_under_the_lock_after_the_editor(sent, tmp_path):
    first = correct_in_editor(sent, tmp_path, "--kind", "correction", "--replaces", "cat", "--with", "dog")
    try:  # meanwhile someone else corrects the same passage
        second = correct_now(sent, "--kind", "correction", "--replaces", "cat", "--with", "bird", "--note", "A bird.")
    finally:
        (tmp_path / "release").touch()
        out, err = first.communicate(timeout=60)
    assert second.returncode == 0, second.stderr
    assert first.returncode == 1
    assert err.startswith("Error: issues/hello.md:") and "not in the issue" in err and "cat" in err
    assert len(records(sent)) == 1  # the refused record wrote nothing


# --- history and list ---------------------------------------------------------------------------


def test_history_is_the_timeline(sent, run):
    lock_hash = yaml.safe_load((sent / "corrections" / "hello" / "published.yml").read_text(encoding="utf-8"))["hash"]
    fixed = run(
        "correct",
        "hello",
        "--kind",
        "correction",
        "--replaces",
        "cat",
        "--with",
        "dog",
        "--date",
        "2026-01-06 10:00",
        "--note",
        "It was a dog.\nSecond line.",
    ).stdout.split()[2]
    asked = run(
        "correct",
        "hello",
        "--kind",
        "addendum",
        "--pending",
        "--date",
        "2026-01-07 11:30",
        "--note",
        "We asked the council about the rain.",
    ).stdout.split()[2]
    typo = run(
        "correct", "hello", "--kind", "minor", "--replaces", "rained", "--with", "poured", "--date", "2026-01-07 12:00"
    ).stdout.split()[2]
    assert run("history", "hello").stdout == (
        "hello: Hello\n"
        f"  2026-01-05 09:00  published      locked {lock_hash[:7]}\n"
        f"  2026-01-06 10:00  correction     {fixed}  It was a dog.\n"
        f"  2026-01-07 11:30  addendum       {asked}  We asked the council about the rain.  PENDING\n"
        f"  2026-01-07 12:00  minor          {typo}  rained → poured\n"
    )
    answer = run(
        "correct",
        "hello",
        "--kind",
        "addendum",
        "--resolves",
        asked,
        "--date",
        "2026-01-09 08:00",
        "--note",
        "The council says it was snow, and here is a long answer to shorten.",
    ).stdout.split()[2]
    lines = run("history", "hello").stdout.splitlines()
    assert lines[3] == (
        f"  2026-01-07 11:30  addendum       {asked}  We asked the council about the rain.  resolved by {answer}"
    )
    assert lines[5].startswith(f"  2026-01-09 08:00  addendum       {answer}  The council says it was snow, and ")
    assert lines[5].endswith(f"…  resolves {asked}")  # a long note is shortened


def test_list_shows_the_number_of_corrections(sent, run):
    write_issue(sent, "other", title="Other", date="2026-02-01")
    for n in range(2):
        assert run("correct", "hello", "--kind", "update", "--note", f"Update {n}.").exit_code == 0
    assert run("list").stdout == (
        "SLUG   DATE        STATUS     CORR  TITLE\n"
        "other  2026-02-01  draft      0     Other\n"
        "hello  2026-01-05  published  2     Hello\n"
    )


# --- silent edits -------------------------------------------------------------------------------


def test_check_finds_a_silent_edit_and_shows_the_difference(sent, run):
    issue = sent / "issues" / "hello.md"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("The cat sat", "The dog sat").replace("title: Hello", "title: Hi"),
        encoding="utf-8",
    )
    result = run("check")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "issues/hello.md:1: error: the published text was changed without a correction "
        "record:\n    --- published\n    +++ now\n"
    )
    assert "\n    -The cat sat on the mat.\n    +The dog sat on the mat.\n" in result.stderr
    assert "\n    -title: Hello\n    +title: Hi\n" in result.stderr
    assert ": None" not in result.stderr  # the fields the issue never wrote are not in the difference
    assert "hint: restore what readers received (`git checkout -- issues/hello.md`)" in result.stderr  # from here
    assert "[silent-edit]" in result.stderr
    assert result.stdout == "1 error, 0 warnings\n"
    # correct refuses too, with the same difference
    refused = run("correct", "hello", "--kind", "update", "--note", "x")
    assert refused.exit_code == 1 and "\n    +The dog sat on the mat.\n" in refused.stderr
    assert records(sent) == []


def test_fields_readers_do_not_see_are_not_locked(sent, run):
    issue = sent / "issues" / "hello.md"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace("title: Hello", "title: Hello\ntags: [cats]"), encoding="utf-8"
    )
    assert run("check").stdout == "0 errors, 0 warnings\n"


def test_build_refuses_a_silently_edited_issue_and_keeps_its_outputs(sent, run):
    write_issue(sent, "other", title="Other", date="2026-02-01", status="published")
    assert run("build").exit_code == 0
    out = sent / "build" / "hello"
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    issue = sent / "issues" / "hello.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("The cat sat", "The dog sat"), encoding="utf-8")
    write_issue(sent, "other", title="Other, edited", date="2026-02-01", status="published")
    result = run("build")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: issues/hello.md:1: the published text was changed without a correction record:\n"
    )
    assert "\n    -The cat sat on the mat.\n    +The dog sat on the mat.\n" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert "Other, edited" in (sent / "build" / "other" / "web.html").read_text(encoding="utf-8")


# --- the seed case, end to end ------------------------------------------------------------------

SLUG = "2018-07-13-line-privacy"
TITLE = "LINEのトーク内容が自動で収集される？ プライバシーポリシー変更のポイント"
WRONG = "LINE@は公式アカウントとは別のサービスなので、LINE@でのお客様とのトーク内容は収集の対象になりません。"
RIGHT = "LINE@も「公式アカウント」に含まれるため、LINE@でのお客様とのトーク内容も収集の対象になります。"
NOTE = "LINE社の詳細情報に、LINE@も「公式アカウント」に含まれるとありました。お詫びして訂正します。"


def flat(text: str) -> str:
    """Text without its white space: wrapped plain text compares with the sentences it holds."""
    return re.sub(r"\s+", "", text)


@pytest.mark.slow
def test_the_line_privacy_issue_end_to_end(seed_publication, run, monkeypatch):
    root = seed_publication
    monkeypatch.chdir(root)
    site = root / "site" / SLUG

    # Published by hand, without a lock: it builds, check warns, publish locks it.
    assert run("check").stdout.endswith("0 errors, 1 warning\n")
    published = run("publish", SLUG, "--date", "2018-07-13 10:00")
    assert published.stdout == (
        f"Published {SLUG} on 2018-07-13 10:00 +0900; what readers received is locked "
        f"in corrections/{SLUG}/published.yml\n"
    )
    issue = root / "issues" / f"{SLUG}.md"
    assert "\nstatus: published\n" in issue.read_text(encoding="utf-8")
    assert "\npublished: 2018-07-13T10:00:00+09:00\n---\n" in issue.read_text(encoding="utf-8")
    sent_bytes = issue.read_bytes()

    def correct(*args: str) -> str:
        result = run("correct", SLUG, *args)
        assert result.exit_code == 0, result.output
        return result.stdout.split()[2]

    fixed = correct(
        "--kind", "correction", "--replaces", WRONG, "--with", RIGHT, "--note", NOTE, "--date", "2018-07-14 09:00"
    )
    asked = correct(
        "--kind",
        "addendum",
        "--pending",
        "--note",
        "LINE社に問い合わせ中です。回答が届きしだい追記します。",
        "--date",
        "2018-07-14 10:00",
    )
    assert run("build").exit_code == 0
    web = (site / "web.html").read_text(encoding="utf-8")
    assert (
        '<time class="errata-date" datetime="2018-07-14T10:00:00+09:00">2018年7月14日</time> '
        '<span class="errata-pending">確認中</span>'
    ) in web
    assert "【追記】 2018年7月14日 (確認中)\nLINE社に問い合わせ中です。" in (site / "email.txt").read_text(
        encoding="utf-8"
    )
    assert "確認中" in (site / "corrections" / asked / "email.txt").read_text(encoding="utf-8")
    assert re.search(
        rf"  2018-07-14 10:00  addendum       {asked}  LINE社に問い合わせ中です。\S*  PENDING\n",
        run("history", SLUG).stdout,
    )

    answered = correct(
        "--kind",
        "addendum",
        "--resolves",
        asked,
        "--date",
        "2018-07-20 15:00",
        "--note",
        "LINE社から回答があり、LINE@も対象に含まれると確認しました。",
    )
    added = correct(
        "--kind",
        "supplement",
        "--date",
        "2018-07-21 09:00",
        "--note",
        "**LINE公式アカウント**とLINE@の認定アカウントは別物です。",
    )
    # correct changes one line of the issue: which record is its last.
    assert issue.read_bytes() == sent_bytes.replace(b"\n---\n", f"\nlast_correction: 0004-{added}\n---\n".encode(), 1)

    built = run("build")
    assert built.exit_code == 0, built.output
    assert run("check").stdout == "0 errors, 0 warnings\n"
    visible = [fixed, asked, answered, added]
    assert sorted(p.name for p in (site / "corrections").iterdir()) == sorted(visible)

    # email.html and web.html: marker, struck and new text, errata strongest first (the correction,
    # then the others newest first: issue 15), dated, resolved.
    email, web = ((site / name).read_text(encoding="utf-8") for name in ("email.html", "web.html"))
    assert f"<title>【訂正追記有り】{TITLE}</title>" in email
    assert f"<title>【訂正追記有り】{TITLE} | 小さなお店のWEB活用便り</title>" in web
    for html in (email, web):
        assert re.search(rf'<h1 class="issue-title"[^>]*>【訂正追記有り】{re.escape(TITLE)}</h1>', html)
        struck = re.search(
            rf'<del datetime="2018-07-14" style="([^"]*)">{WRONG}</del>'
            rf'<ins datetime="2018-07-14" style="[^"]*">{re.escape(RIGHT)}</ins>',
            html,
        )
        assert struck and "line-through" in struck.group(1)
        order = [html.index(f'id="correction-{i}"') for i in (fixed, added, answered, asked)]
        assert order == sorted(order)
        assert order[-1] < html.index("いつもお読みいただきありがとうございます。")
        assert "<strong>LINE公式アカウント</strong>とLINE@の認定アカウントは別物です。" in html
        assert "2018年7月20日に解決" in html and "確認中" not in html
        for label, date in (
            ("【補足】", "2018年7月21日"),
            ("【追記】", "2018年7月20日"),
            ("【訂正】", "2018年7月14日"),
        ):
            assert re.search(rf'<strong class="errata-label"[^>]*>{label}</strong> <time[^>]*>{date}</time>', html)

    # email.txt: the same, as plain text.
    text = (site / "email.txt").read_text(encoding="utf-8")
    assert flat(f"2018年7月13日・WEB活用研究会【訂正追記有り】{TITLE}=====") in flat(
        text
    )  # the author, as the HTML shows
    assert f"[訂正前]{WRONG}[訂正後]{RIGHT}" in flat(text)
    entries = [
        "【訂正】 2018年7月14日\n",  # the strongest first, as in the HTML (issue 15)
        "【補足】 2018年7月21日\nLINE公式アカウントとLINE@の認定アカウントは別物です。\n",
        "【追記】 2018年7月20日\nLINE社から回答があり、LINE@も対象に含まれると確認しました。\n",
        "【追記】 2018年7月14日 (2018年7月20日に解決)\nLINE社に問い合わせ中です。",
    ]
    positions = [text.index(entry) for entry in entries]
    assert positions == sorted(positions) and positions[-1] < text.index("いつもお読みいただき")
    assert flat(NOTE) in flat(text) and "確認中" not in text

    # index.html: the corrected title is marked.
    index = (root / "site" / "index.html").read_text(encoding="utf-8")
    assert f'<a href="{SLUG}/web.html">【訂正追記有り】{TITLE}</a>' in index

    # One notice per record for readers who got the original.
    notice_html = (site / "corrections" / fixed / "email.html").read_text(encoding="utf-8")
    assert f"<title>【訂正とお詫び】{TITLE}</title>" in notice_html
    assert (
        "2018年7月13日にお送りした「" in notice_html and "に誤りがありました。お詫びして訂正いたします。" in notice_html
    )
    assert re.search(rf"誤</th><td [^>]*><del[^>]*>{WRONG}</del>", notice_html)
    assert re.search(rf"正</th><td [^>]*><ins[^>]*>{re.escape(RIGHT)}</ins>", notice_html)
    assert NOTE in notice_html
    assert f'href="https://letter.example.jp/{SLUG}/web.html#correction-{fixed}"' in notice_html
    notice_text = (site / "corrections" / fixed / "email.txt").read_text(encoding="utf-8")
    assert flat(f"【訂正とお詫び】{TITLE}") in flat(notice_text)
    assert f"誤:{WRONG}正:{RIGHT}" in flat(notice_text) and flat(NOTE) in flat(notice_text)
    assert f"\nhttps://letter.example.jp/{SLUG}/web.html\n" in notice_text
    for record_id, subject in ((asked, "【追記】"), (answered, "【追記】"), (added, "【補足】")):
        html = (site / "corrections" / record_id / "email.html").read_text(encoding="utf-8")
        assert f"<title>{subject}{TITLE}</title>" in html
        assert flat(f"{subject}{TITLE}") in flat((site / "corrections" / record_id / "email.txt").read_text("utf-8"))

    # history and list.
    lock_hash = yaml.safe_load((root / "corrections" / SLUG / "published.yml").read_text(encoding="utf-8"))["hash"]
    timeline = run("history", SLUG).stdout.splitlines()
    assert timeline[:2] == [f"{SLUG}: {TITLE}", f"  2018-07-13 10:00  published      locked {lock_hash[:7]}"]
    expected = [
        rf"  2018-07-14 09:00  correction     {fixed}  LINE社の詳細情報に、\S+",
        rf"  2018-07-14 10:00  addendum       {asked}  LINE社に問い合わせ中です。\S+  resolved by {answered}",
        rf"  2018-07-20 15:00  addendum       {answered}  LINE社から回答があり、\S+  resolves {asked}",
        rf"  2018-07-21 09:00  supplement     {added}  \*\*LINE公式アカウント\*\*\S+",
    ]
    assert len(timeline) == 6
    for line, pattern in zip(timeline[2:], expected):
        assert re.fullmatch(pattern, line), line
    assert f"{SLUG}  2018-07-13  published  4     {TITLE}\n" in run("list").stdout


def test_the_line_privacy_issue_refuses_bad_corrections(seed_publication, run, monkeypatch):
    monkeypatch.chdir(seed_publication)
    assert run("publish", SLUG, "--date", "2018-07-13 10:00").exit_code == 0
    issue = seed_publication / "issues" / f"{SLUG}.md"
    before = snapshot(seed_publication)
    typo = run(
        "correct",
        SLUG,
        "--kind",
        "correction",
        "--replaces",
        WRONG.replace("別の", "べつの"),
        "--with",
        RIGHT,
        "--note",
        NOTE,
    )
    line = line_in(issue, WRONG)
    assert typo.exit_code == 1
    assert typo.stderr.startswith(
        f"Error: issues/{SLUG}.md:{line}: the text to replace is not in the issue: "
        f"“LINE@は公式アカウントとはべつのサービスなので、LINE@でのお客様とのトー…”\n"
        f"  hint: the closest line is {line};"
    )
    many = run("correct", SLUG, "--kind", "correction", "--replaces", "対象外", "--with", "対象", "--note", NOTE)
    lines = [n for n, text in enumerate(issue.read_text(encoding="utf-8").splitlines(), 1) if "対象外" in text]
    assert many.exit_code == 1 and len(lines) == 4
    assert many.stderr.startswith(
        f"Error: issues/{SLUG}.md:{lines[0]}: the text to replace occurs 4 times "
        f"(lines {', '.join(map(str, lines))}): “対象外”\n"
    )
    two = run(
        "correct",
        SLUG,
        "--kind",
        "correction",
        "--replaces",
        "だと思います。\n\nLINE@は公式アカウント",
        "--with",
        "x",
        "--note",
        NOTE,
    )
    assert two.exit_code == 1 and "the text to replace spans more than one paragraph" in two.stderr
    assert snapshot(seed_publication) == before
