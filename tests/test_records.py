"""The lock of what readers received, and the append-only, hash-chained correction records.

Records are made with the real commands on a publication in tmp_path, then damaged the way a
person would damage them (an edited note, a deleted file, a stray file), and `notice check`
must say so.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from toolkit.config import load_config
from toolkit.records import LOCK_NAME, canonical_hash, read_lock, read_records

from conftest import write_issue

BODY = "The cat sat on the mat.\n\nIt rained all day."


def sha256_of(data: dict) -> str:
    """The canonical hash, computed here independently: sorted keys, compact, UTF-8."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def pub(publication, run, monkeypatch):
    """'hello' published on 2026-01-05 09:00 London time; commands run from the publication."""
    monkeypatch.chdir(publication)
    write_issue(
        publication,
        "hello",
        raw="---\ntitle: Hello\ndate: 2026-01-05\nstatus: draft\npreheader: A short preview line.\n"
        "author: Ann\nnumber: 7\nsummary: Cats and rain.\ntags: [cats]\n---\n\n" + BODY + "\n",
    )
    result = run("publish", "hello", "--date", "2026-01-05 09:00")
    assert result.exit_code == 0, result.output
    return publication


def line_of(path: Path, key: str) -> int:
    """The line of a top-level key in a YAML file, as a person would count it."""
    return next(
        n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.startswith(f"{key}:")
    )


def records_of(root: Path) -> list[Path]:
    return sorted(p for p in (root / "corrections" / "hello").iterdir() if p.name != LOCK_NAME)


def make_records(run, count: int = 3) -> list[str]:
    ids = []
    for n in range(1, count + 1):
        result = run(
            "correct", "hello", "--kind", "addendum", "--note", f"Note number {n}.", "--date", f"2026-01-0{5 + n} 10:00"
        )
        assert result.exit_code == 0, result.output
        ids.append(result.stdout.split()[2])
    return ids


# --- the lock -----------------------------------------------------------------------------------


def test_lock_holds_the_reader_visible_fields_and_body_with_their_sha256(pub):
    data = load(pub / "corrections" / "hello" / LOCK_NAME)
    assert data["slug"] == "hello"
    assert data["published"] == "2026-01-05T09:00:00+00:00"
    # As written in the front-matter: the lang the issue did not set stays unset, and the date
    # is not resolved in the publication's time zone, so changing either later is no edit.
    assert data["fields"] == {
        "title": "Hello",
        "date": "2026-01-05",
        "preheader": "A short preview line.",
        "author": "Ann",
        "number": 7,
        "summary": "Cats and rain.",
        "lang": None,
    }
    assert data["body"] == "\n" + BODY + "\n"
    # The hash covers everything in the lock, its own slug and time included.
    assert data["hash"] == sha256_of(
        {"slug": "hello", "published": data["published"], "fields": data["fields"], "body": data["body"]}
    )
    assert set(data) == {"slug", "published", "fields", "body", "hash"}


def test_changing_the_publications_time_zone_or_language_is_not_an_edit(pub, run):
    config = pub / "notice.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("Europe/London", "Asia/Tokyo").replace('lang = "en"', 'lang = "ja"'), encoding="utf-8"
    )
    result = run("check")
    assert result.exit_code == 0, result.output


def test_an_edited_publication_time_in_the_lock_is_an_error(pub, run):
    path = pub / "corrections" / "hello" / LOCK_NAME
    path.write_text(
        path.read_text(encoding="utf-8").replace("2026-01-05T09:00:00", "2026-01-04T09:00:00", 1), encoding="utf-8"
    )
    result = run("check")
    assert result.exit_code == 1
    assert "the publication lock was edited" in result.output


def test_an_edited_lock_is_an_error(pub, run):
    path = pub / "corrections" / "hello" / LOCK_NAME
    path.write_text(path.read_text(encoding="utf-8").replace("The cat sat", "The dog sat"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert (
        f"corrections/hello/published.yml:{line_of(path, 'hash')}: error: the publication lock was edited: "
        "its hash no longer matches its text [record-damaged]"
    ) in result.stderr


# --- records ------------------------------------------------------------------------------------


def test_each_record_is_one_file_named_seq_and_id_chained_to_the_one_before(pub, run):
    ids = make_records(run, 3)
    paths = records_of(pub)
    assert [p.name for p in paths] == [f"000{n}-{i}.yml" for n, i in enumerate(ids, 1)]
    previous = load(pub / "corrections" / "hello" / LOCK_NAME)["hash"]
    for n, path in enumerate(paths, 1):
        data = load(path)
        content = {k: v for k, v in data.items() if k not in ("id", "hash")}
        assert data["seq"] == n and data["issue"] == "hello" and data["kind"] == "addendum"
        assert data["note"] == f"Note number {n}."
        assert data["date"] == f"2026-01-0{5 + n}T10:00:00+00:00"
        assert data["previous"] == previous
        assert data["hash"] == sha256_of(content) == canonical_hash(content)
        assert data["id"] == data["hash"][:7] == ids[n - 1]
        previous = data["hash"]


def test_records_are_never_touched_again(pub, run):
    make_records(run, 1)
    first = records_of(pub)[0]
    before = first.read_bytes(), first.stat().st_mtime_ns
    make_records(run, 2)
    assert (first.read_bytes(), first.stat().st_mtime_ns) == before


def test_two_identical_corrections_in_the_same_second_are_two_files(pub, run):
    for _ in range(2):
        result = run("correct", "hello", "--kind", "update", "--note", "Same.", "--date", "2026-01-06 10:00")
        assert result.exit_code == 0, result.output
    paths = records_of(pub)
    assert [p.name[:5] for p in paths] == ["0001-", "0002-"]
    first, second = (load(p) for p in paths)
    assert first["note"] == second["note"] == "Same." and first["date"] == second["date"]
    assert first["id"] != second["id"] and second["previous"] == first["hash"]
    assert run("check").exit_code == 0


def test_records_without_a_date_made_in_a_row_are_two_files(pub, run):
    for _ in range(2):
        assert run("correct", "hello", "--kind", "update", "--note", "Now.").exit_code == 0
    assert len(records_of(pub)) == 2
    assert run("check").stdout == "0 errors, 0 warnings\n"


def test_read_records_returns_them_in_chain_order(pub, run):
    ids = make_records(run, 3)
    config = load_config(pub)
    records = read_records(config.corrections_dir, "hello", config.tz)
    assert [(r.seq, r.id, r.note) for r in records] == [(n, i, f"Note number {n}.") for n, i in enumerate(ids, 1)]
    assert records[0].previous == read_lock(config.corrections_dir, "hello").hash


# --- damage is noticed --------------------------------------------------------------------------


def test_a_record_whose_note_was_edited_is_an_error(pub, run):
    make_records(run, 2)
    path = records_of(pub)[0]
    path.write_text(path.read_text(encoding="utf-8").replace("Note number 1.", "A better note."), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert (
        f"corrections/hello/{path.name}:{line_of(path, 'hash')}: error: this record was edited after it was "
        "made: its hash no longer matches [record-damaged]"
    ) in result.stderr
    assert result.stdout.endswith("1 error, 0 warnings\n")


def test_a_deleted_middle_record_breaks_the_chain(pub, run):
    make_records(run, 3)
    first, middle, last = records_of(pub)
    middle.unlink()
    result = run("check")
    assert result.exit_code == 1
    assert (
        f"corrections/hello/{last.name}:{line_of(last, 'seq')}: error: record 2 is missing (found record 3 next): "
        "was a record deleted? [record-deleted]"
    ) in result.stderr


def test_a_deleted_first_record_breaks_the_chain(pub, run):
    make_records(run, 2)
    records_of(pub)[0].unlink()
    result = run("check")
    assert result.exit_code == 1
    assert "record 1 is missing (found record 2 next): was a record deleted?" in result.stderr


def test_a_record_rewritten_with_a_fresh_hash_breaks_the_chain(pub, run):
    """Editing a record and recomputing its hash and name does not fool the next record."""
    make_records(run, 2)
    first, second = records_of(pub)
    data = load(first)
    data["note"] = "A rewritten note."
    data["hash"] = canonical_hash({k: v for k, v in data.items() if k not in ("id", "hash")})
    data["id"] = data["hash"][:7]
    first.unlink()
    (first.parent / f"0001-{data['id']}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert (
        f"corrections/hello/{second.name}:{line_of(second, 'previous')}: error: this record does not follow "
        "the one before it: the chain of hashes is broken [record-damaged]"
    ) in result.stderr


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("bad-yaml", "invalid YAML in the record: expected ',' or ']', but got '<stream end>'"),
        ("unknown-kind", "unknown kind 'erratum'"),
        ("wrong-name", "'notes.txt' is not a correction record"),
        ("renamed", "the record's id does not match its hash or its file name"),
        ("empty", "this file is empty"),
    ],
)
def test_a_record_file_that_is_not_valid_is_an_error_for_check_and_build(pub, run, damage, message):
    make_records(run, 1)
    assert run("build").exit_code == 0
    before = (pub / "build" / "hello" / "web.html").read_bytes()
    path = records_of(pub)[0]
    if damage == "bad-yaml":
        path.write_text(path.read_text(encoding="utf-8") + "extra: [unclosed\n", encoding="utf-8")
    elif damage == "unknown-kind":
        path.write_text(path.read_text(encoding="utf-8").replace("kind: addendum", "kind: erratum"), encoding="utf-8")
    elif damage == "wrong-name":
        path = path.parent / "notes.txt"
        path.write_text("my notes\n", encoding="utf-8")
    elif damage == "renamed":
        path = path.rename(path.parent / ("0002" + path.name[4:]))
    else:
        path.write_text("", encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1
    assert f"corrections/hello/{path.name}" in result.stderr and f"error: {message}" in result.stderr
    assert "[record-damaged]" in result.stderr
    built = run("build", "--force")
    assert built.exit_code == 1
    assert f"corrections/hello/{path.name}" in built.stderr and message in built.stderr
    assert (pub / "build" / "hello" / "web.html").read_bytes() == before


def test_hidden_files_in_the_records_folder_are_ignored(pub, run):
    make_records(run, 1)
    (pub / "corrections" / "hello" / ".0001.yml.swp").write_bytes(b"\x00editor swap")
    assert run("check").stdout == "0 errors, 0 warnings\n"


def test_deleting_the_lock_of_a_corrected_issue_is_an_error(pub, run):
    """The lock heads the chain: the first record points at its hash. Without it nothing guards
    the published text, so a silent edit would pass `check` too."""
    make_records(run, 1)
    (pub / "corrections" / "hello" / LOCK_NAME).unlink()
    issue = pub / "issues" / "hello.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("The cat sat", "The dog sat"), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1, result.output
    assert "error:" in result.stderr and "published.yml" in result.stderr


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def commit_all(root: Path) -> None:
    git = [
        "git",
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
    ]
    for args in (["init", "-q", "."], ["add", "-A"], ["commit", "-q", "-m", "records"]):
        subprocess.run([*git, *args], cwd=root, check=True, capture_output=True)


@pytest.mark.slow
@needs_git
def test_in_git_a_committed_record_deleted_from_disk_is_an_error(pub, run):
    make_records(run, 2)
    newest = records_of(pub)[-1]
    commit_all(pub)
    assert run("check").exit_code == 0
    assert run("correct", "hello", "--kind", "update", "--note", "Not committed yet.").exit_code == 0
    assert run("check").stdout == "0 errors, 0 warnings\n"  # a new, uncommitted record is fine
    records_of(pub)[-1].unlink()
    newest.unlink()  # the newest committed record: no later record's chain points at it
    result = run("check")
    assert result.exit_code == 1
    assert (
        f"corrections/hello/{newest.name}: error: a committed correction record was deleted [record-deleted]"
    ) in result.stderr
    assert (
        f"hint: records are append-only: restore it with `git checkout -- corrections/hello/{newest.name}`"
        in result.stderr
    )
    report = json.loads(run("check", "--format", "json").stdout)
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [
        ("record-deleted", f"corrections/hello/{newest.name}"),
        ("record-deleted", "issues/hello.md"),
    ]
    assert report["errors"] == 2  # git names the file; the issue says which records it had


@needs_git
def test_in_git_deleting_the_whole_corrections_folder_is_an_error(pub, run):
    make_records(run, 1)
    commit_all(pub)
    [record] = records_of(pub)
    shutil.rmtree(pub / "corrections")
    result = run("check")
    assert result.exit_code == 1, result.output
    assert (
        f"corrections/hello/{record.name}: error: a committed correction record was deleted [record-deleted]"
        in result.stderr
    )
    assert (
        "corrections/hello/published.yml: error: a committed publication lock was deleted [record-deleted]"
        in result.stderr
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("[" * 20000 + "]" * 20000, "the record is nested too deeply (more than 20 levels of lists or mappings)"),
        ("9" * 5000, "a number of 5000 digits is too long"),
    ],
)
def test_a_record_value_python_cannot_hold_is_a_clean_error_with_its_line(pub, run, value, message):
    """Issue 14: a RecursionError or a ValueError escaped before."""
    make_records(run, 1)
    path = records_of(pub)[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^note: .*$", f"note: {value}", text), encoding="utf-8")
    result = run("check")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"corrections/hello/{path.name}:{line_of(path, 'note')}: error: {message}" in result.stderr


# --- a record's disappearance, without git (issue 14) -------------------------------------------


def outputs(root: Path) -> dict[str, bytes]:
    base = root / "build"
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def test_correct_names_the_newest_record_in_the_issue(pub, run):
    ids = make_records(run, 2)
    text = (pub / "issues" / "hello.md").read_text(encoding="utf-8")
    assert f"\nlast_correction: 0002-{ids[1]}\n---\n" in text
    assert text.count("last_correction:") == 1


@pytest.mark.parametrize("removed", ["newest", "folder"])
def test_a_vanished_newest_record_or_folder_stops_build_and_check(pub, run, removed):
    """`rm corrections/hello/0002-*.yml` or `rm -r corrections/hello`: the chain left behind is
    sound, but the issue says what it had. The build keeps the corrected outputs readers have."""
    ids = make_records(run, 2)
    assert run("build").exit_code == 0
    before = outputs(pub)
    assert b"Note number 2." in before["hello/web.html"]
    if removed == "newest":
        records_of(pub)[-1].unlink()
        where = f"issues/hello.md:{line_of(pub / 'issues' / 'hello.md', 'last_correction')}"
        message = (
            f"the issue's last correction is 0002-{ids[1]}, but corrections/hello/ holds 1 record: record "
            "0002 is missing, and readers would get the text without it (or, for a delivery record, notice "
            "would forget what was sent)"
        )
        hint = f"restore corrections/hello/0002-{ids[1]}.yml and any other missing one"
    else:
        shutil.rmtree(pub / "corrections" / "hello")
        where = "corrections/hello/published.yml"
        message = "the publication lock is missing, but the issue says it was published on 2026-01-05 09:00"
        hint = "restore it from version control or a backup\n"
    built = run("build")
    assert built.exit_code == 1
    assert built.stderr.startswith(f"Error: {where}: {message}\n")
    assert hint in built.stderr
    assert "published by hand" not in built.stderr  # this issue was corrected: no re-locking it
    assert outputs(pub) == before
    checked = run("check")
    assert checked.exit_code == 1
    assert f"{where}: error: {message} [record-deleted]" in checked.stderr
    assert run("correct", "hello", "--kind", "update", "--note", "More.").exit_code == 1
    assert run("publish", "hello").exit_code == 1


def test_a_vanished_lock_of_an_uncorrected_issue_is_an_error_not_a_warning(pub, run):
    (pub / "corrections" / "hello" / LOCK_NAME).unlink()
    checked = run("check")
    assert checked.exit_code == 1
    assert (
        "corrections/hello/published.yml: error: the publication lock is missing, but the issue says it was "
        "published on 2026-01-05 09:00 [record-deleted]"
    ) in checked.stderr
    assert "[unlocked]" not in checked.output


def test_records_without_a_last_correction_line_are_an_error_that_says_the_line(pub, run):
    """A publication made before the line existed, or the line deleted: give the exact line."""
    ids = make_records(run, 2)
    issue = pub / "issues" / "hello.md"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace(f"last_correction: 0002-{ids[1]}\n", ""), encoding="utf-8"
    )
    checked = run("check")
    assert checked.exit_code == 1
    assert (
        "issues/hello.md:1: error: the issue does not say which correction record is its last "
        "('last_correction:'), so a deleted record would go unnoticed [record-deleted]\n"
        "  hint: if corrections/hello/ holds every record (see `notice history hello` and your version "
        f"control), add the line `last_correction: 0002-{ids[1]}` to the front-matter\n"
    ) in checked.stderr


def test_a_record_newer_than_the_last_correction_line_says_how_to_finish(pub, run):
    """What a `notice correct` stopped between the record and the issue leaves behind."""
    ids = make_records(run, 2)
    issue = pub / "issues" / "hello.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(f"0002-{ids[1]}", f"0001-{ids[0]}"), encoding="utf-8")
    built = run("build")
    assert built.exit_code == 1
    assert (
        f"record 0002-{ids[1]} is newer than the issue's last correction (0001-{ids[0]})\n"
        f"  hint: a `notice correct` stopped before it could update the issue: set "
        f"`last_correction: 0002-{ids[1]}` in hello.md\n"
    ) in built.stderr


def test_a_replaced_newest_record_is_an_error(pub, run):
    ids = make_records(run, 2)
    issue = pub / "issues" / "hello.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace(f"0002-{ids[1]}", "0002-abcdef0"), encoding="utf-8")
    checked = run("check")
    assert checked.exit_code == 1
    assert (
        f"error: the issue's last correction is 0002-abcdef0, but record 0002 is 0002-{ids[1]}: the records "
        "were replaced [record-deleted]"
    ) in checked.stderr


@pytest.mark.parametrize("value", ["'4'", "latest", "0002-ABCDEF0"])
def test_a_last_correction_that_names_no_record_is_an_error_with_its_line(pub, run, value):
    make_records(run, 2)
    issue = pub / "issues" / "hello.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(
        text[: text.index("last_correction:")] + f"last_correction: {value}\n---\n" + text.split("\n---\n", 1)[1],
        encoding="utf-8",
    )
    checked = run("check")
    assert checked.exit_code == 1
    assert (
        f"issues/hello.md:{line_of(issue, 'last_correction')}: error: 'last_correction' must name a correction "
        "record such as 0004-530bfbb" in checked.stderr
    )
    assert "Traceback" not in checked.output
