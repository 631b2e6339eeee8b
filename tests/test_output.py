"""The build cache: a stale output never looks fresh, whatever stopped the build before.

Issue 14: an interrupted build left edited pages that the next build called "unchanged", a
SIGKILLed build left its workers running, and a cache of the wrong shape crashed the build.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import output as output_module
from toolkit.build import build
from toolkit.config import load_config
from toolkit.errors import ToolkitError
from toolkit.output import CACHE_FORMAT, BuildCache, digests_of, folder_hash, remove_leftovers

from conftest import make_publication, write_issue

MARK = "EDITED-AND-UNDONE"


def outputs(root: Path) -> dict[str, bytes]:
    base = root / "build"
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def folder_file(cache_dir: Path, out_dir: Path) -> Path:
    """The cache's file of output folder *out_dir*."""
    return BuildCache.load(cache_dir).folder_file(str(out_dir.resolve()))


def saved_entries(cache_dir: Path, out_dir: Path) -> dict[str, Any]:
    return json.loads(folder_file(cache_dir, out_dir).read_text(encoding="utf-8"))["entries"]


def many_issues(root: Path, count: int) -> list[Path]:
    """Enough issues for the build to use worker processes, each long enough to take a while."""
    make_publication(root)
    body = "\n\n".join(f"Paragraph {n} with *emphasis* and a [link](page-{n}.html)." for n in range(20))
    return [
        write_issue(root, f"issue-{n:02d}", title=f"Issue {n}", date=f"2026-01-{n + 1:02d}", body=body)
        for n in range(count)
    ]


# --- digests: what a file holds, not that it exists ----------------------------------------------


def test_an_output_changed_behind_the_cache_is_rebuilt(publication):
    config = load_config(publication)
    build(config, drafts=True)
    email = publication / "build" / "hello" / "email.txt"
    good = email.read_bytes()
    email.write_bytes(good.replace(b"Hello", b"Stale"))
    report = build(config, drafts=True)
    assert report.built == ["hello"] and email.read_bytes() == good


def opened_outputs(monkeypatch, root: Path) -> list[str]:
    """The output files a build opens to compare with what it made (in this process)."""
    opened: list[str] = []
    compare = output_module._holds_bytes

    def counting(path: Path, data: bytes) -> bool:
        if path.is_relative_to(root / "build"):  # not the cache's own files
            opened.append(str(path.relative_to(root / "build")))
        return compare(path, data)

    monkeypatch.setattr(output_module, "_holds_bytes", counting)
    return opened


def test_a_forced_build_neither_reads_nor_writes_files_whose_stats_say_they_hold_it(publication, monkeypatch):
    """A settled file whose stats are those recorded with its sha256 holds those bytes (git's
    index): a forced build making the same bytes again leaves it unread and untouched."""
    monkeypatch.setattr(output_module, "RACY_NS", -(10**18))  # every file settled at once
    write_issue(publication, "second", title="Second")
    config = load_config(publication)
    build(config, drafts=True)
    build(config, drafts=True, force=True)  # compares each file once, and keeps its stats
    before = {name: os.stat(publication / "build" / name) for name in outputs(publication) if "/" in name}
    opened = opened_outputs(monkeypatch, publication)
    report = build(config, drafts=True, force=True)
    assert report.ok and sorted(report.built) == ["hello", "second"]
    assert opened == []
    for name, info in before.items():
        now = os.stat(publication / "build" / name)
        assert (now.st_ino, now.st_mtime_ns) == (info.st_ino, info.st_mtime_ns), name


def test_a_file_changed_behind_the_cache_is_compared_and_written_again_by_a_forced_build(publication, monkeypatch):
    monkeypatch.setattr(output_module, "RACY_NS", -(10**18))
    config = load_config(publication)
    build(config, drafts=True)
    build(config, drafts=True, force=True)
    email = publication / "build" / "hello" / "email.txt"
    good = email.read_bytes()
    email.write_bytes(good.replace(b"Hello", b"Stale"))  # new stats: no longer what was recorded
    opened = opened_outputs(monkeypatch, publication)
    assert build(config, drafts=True, force=True).ok
    assert email.read_bytes() == good and opened == ["hello/email.txt"]


def test_a_changed_rendering_replaces_a_file_known_by_its_stats_without_reading_it(publication, monkeypatch):
    monkeypatch.setattr(output_module, "RACY_NS", -(10**18))
    config = load_config(publication)
    build(config, drafts=True)
    build(config, drafts=True, force=True)
    write_issue(publication, "hello", title="Hello", body="Another body.")
    opened = opened_outputs(monkeypatch, publication)
    assert build(config, drafts=True).built == ["hello"]
    text = (publication / "build" / "hello" / "email.txt").read_text(encoding="utf-8")
    assert "Another body." in text
    # email.txt, email.html and web.html changed and were known: written unread. line.txt and
    # post.txt (title and link) held the same bytes: also known, so neither read nor written.
    assert opened == []


def test_workers_leave_unchanged_files_untouched_and_report_their_stats(tmp_path, monkeypatch):
    """The same in the worker processes of a large build, which get the cache's entries at
    their start and return the stats of what they left as it was."""
    monkeypatch.setattr(output_module, "RACY_NS", -(10**18))
    root = tmp_path / "pub"
    many_issues(root, 24)
    config = load_config(root)
    build(config, drafts=True, jobs=2)
    build(config, drafts=True, jobs=2, force=True)
    before = {name: os.stat(root / "build" / name).st_mtime_ns for name in outputs(root) if "/" in name}
    assert build(config, drafts=True, jobs=2, force=True).ok
    assert {name: os.stat(root / "build" / name).st_mtime_ns for name in before} == before
    for slug, entry in saved_entries(config.cache_dir, root / "build").items():
        assert sorted(entry["stats"]) == sorted(entry["files"]), slug
        for name, stats in entry["stats"].items():
            assert stats == output_module.file_stats(root / "build" / name)


def journal_lines(cache_dir: Path) -> list[tuple[str, str]]:
    path = cache_dir / "build.journal"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [(item["slug"], item["by"]) for item in map(json.loads, lines)]


def test_the_journal_kept_open_follows_a_save_and_a_deleted_cache_folder(tmp_path):
    """A save replaces build.journal by rename and deleting .notice-cache takes the lock with it:
    the next announcement goes to the file of that name, never to the one held open."""
    cache_dir = tmp_path / ".notice-cache"
    cache = BuildCache.load(cache_dir)
    journal = cache.journal_writer()
    journal.announce("/out", "one", ["one/email.html"])
    assert journal_lines(cache_dir) == [("one", cache.token)]
    cache.touch(Path("/out"))
    cache.save()  # keeps this build's unrecorded line, in a new file
    journal.announce("/out", "two", ["two/email.html"])
    assert journal_lines(cache_dir) == [("one", cache.token), ("two", cache.token)]
    shutil.rmtree(cache_dir)
    journal.announce("/out", "three", ["three/email.html"])
    assert journal_lines(cache_dir) == [("three", cache.token)]
    assert (cache_dir / ".gitignore").is_file() and (cache_dir / "build.lock").is_file()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_worker_locks_the_journal_through_its_own_descriptor(tmp_path):
    """flock belongs to the open file: a worker announcing through the build's descriptor would
    hold the build's lock, and neither would wait for the other."""
    cache_dir = tmp_path / ".notice-cache"
    journal = BuildCache.load(cache_dir).journal_writer()
    journal.announce("/out", "parent", [])
    held = output_module._journal_files(cache_dir)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            journal.announce("/out", "child", [])
            mine = output_module._journal_files(cache_dir)
            os.write(write, b"own" if mine is not held and mine.lock != held.lock else b"shared")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"own"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a worker's start closes what it inherited, and leaves the build's open
        try:
            output_module.close_inherited_journals()
            os.write(write, b"closed" if not output_module._JOURNALS else b"kept")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"closed" and output_module._journal_files(cache_dir) is held
    os.fstat(held.lock)  # still open here
    assert [slug for slug, _ in journal_lines(cache_dir)] == ["parent", "child"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_an_output_replaced_by_a_fifo_is_rebuilt_without_reading_it(publication):
    config = load_config(publication)
    build(config, drafts=True)
    email = publication / "build" / "hello" / "email.txt"
    email.unlink()
    os.mkfifo(email)  # reading it would block the build forever
    assert build(config, drafts=True).built == ["hello"] and email.is_file()


def test_files_written_without_a_saved_cache_count_as_stale(publication):
    """What a killed build leaves: the journal names files whose digests were never saved."""
    config = load_config(publication)
    build(config, drafts=True)
    out = (publication / "build").resolve()
    cache = BuildCache.load(config.cache_dir)
    cache.journal(out, "hello", ["hello/email.txt", "hello/extra.html"])
    (out / "hello" / "extra.html").write_text("left by a killed build", encoding="utf-8")
    report = build(config, drafts=True)
    assert report.built == ["hello"]
    assert not (out / "hello" / "extra.html").exists()  # no longer made: removed
    assert (config.cache_dir / "build.journal").read_bytes() == b""
    assert build(config, drafts=True).built == []


def test_a_killed_builds_journal_line_survives_a_build_into_another_folder(publication):
    """The save of a build into another folder (the preview's, `check`'s) writes only that
    folder's file: the line for this folder stays in the journal, so the issue is still rebuilt
    here, and the build here takes it out."""
    config = load_config(publication)
    build(config, drafts=True)
    out = (publication / "build").resolve()
    BuildCache.load(config.cache_dir).journal(out, "hello", ["hello/email.txt", "hello/extra.html"])
    (out / "hello" / "extra.html").write_text("left by a killed build", encoding="utf-8")
    assert build(config, drafts=True, out_dir=publication / "other").built == ["hello"]
    assert [slug for slug, _ in journal_lines(config.cache_dir)] == ["hello"]
    assert build(config, drafts=True).built == ["hello"]
    assert not (out / "hello" / "extra.html").exists()
    assert (config.cache_dir / "build.journal").read_bytes() == b""


def test_a_save_in_the_middle_of_an_issue_keeps_its_journal_line(publication):
    """Ctrl-C while an issue's files are written: the save on the way out keeps that issue stale."""
    config = load_config(publication)
    build(config, drafts=True)
    out = (publication / "build").resolve()
    cache = BuildCache.load(config.cache_dir)
    cache.journal(out, "hello", ["hello/email.txt", "hello/corrections/abc1234/email.txt"])
    (out / "hello" / "corrections" / "abc1234").mkdir(parents=True)
    (out / "hello" / "corrections" / "abc1234" / "email.txt").write_text("half a build", encoding="utf-8")
    cache.save()
    assert build(config, drafts=True).built == ["hello"]
    assert not (out / "hello" / "corrections").exists()


def test_a_line_added_after_another_build_compacted_the_journal_is_still_marked(tmp_path):
    """Another build's save rewrites the journal shorter, and a line added since can take it past
    the length this build read: the line is read all the same, not skipped as read before."""
    site = str((tmp_path / "site").resolve())
    first = json.dumps({"out": str(tmp_path / "old"), "slug": "gone", "files": [], "by": "killed"}) + "\n"
    (tmp_path / "build.journal").write_bytes(first.encode() * 2)
    long = BuildCache.load(tmp_path)
    long.record(tmp_path / "site", "hello", "key-1", {"hello/email.html": "1" * 64})
    # Compacted by another build, then a line for this folder's issue, longer than what was read.
    late = json.dumps({"out": site, "slug": "hello", "files": ["hello/email.html"], "by": "x" * 200}) + "\n"
    assert len(late) > 2 * len(first)
    (tmp_path / "build.journal").write_bytes(late.encode())
    long.save()
    assert saved_entries(tmp_path, tmp_path / "site")["hello"]["key"] == ""  # built again next time


def test_a_save_after_another_builds_save_keeps_both_folders(tmp_path):
    """A long build saves again and again; another build (the preview, `check`) saving its own
    folder between two of them loses nothing of either: each folder has its file."""
    long, other = BuildCache.load(tmp_path), BuildCache.load(tmp_path)
    long.record(tmp_path / "site", "a", "key-a", {"a/email.html": "1" * 64})
    long.save()
    other.record(tmp_path / "preview", "b", "key-b", {"b/email.html": "2" * 64})
    other.save()
    long.record(tmp_path / "site", "c", "key-c", {"c/email.html": "3" * 64})
    long.save()
    assert sorted(saved_entries(tmp_path, tmp_path / "site")) == ["a", "c"]
    assert sorted(saved_entries(tmp_path, tmp_path / "preview")) == ["b"]
    assert sorted(path.name for path in (tmp_path / "outputs").iterdir()) == sorted(
        f"{folder_hash(str((tmp_path / name).resolve()))}.json" for name in ("site", "preview")
    )


def test_a_build_over_a_cache_of_the_earlier_format_rebuilds_and_removes_it(publication):
    """build.json of format 3 held every folder: ignored without a word, and gone after a save."""
    config = load_config(publication)
    config.cache_dir.mkdir()
    old = config.cache_dir / "build.json"
    old.write_text(json.dumps({"format": 3, "outputs": {}, "folders": {}}), encoding="utf-8")
    report = build(config, drafts=True)
    assert report.ok and report.built == ["hello"] and not report.warnings
    assert not old.exists() and build(config, drafts=True).unchanged == ["hello"]


@pytest.mark.parametrize("published", [False, True])
def test_export_names_its_messages_in_the_cache(publication, run, published):
    """Under the folder the export built into: the output folder, or a draft's private one (issue 9)."""
    config = load_config(publication)
    if published:
        assert run("-C", str(publication), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    assert run("-C", str(publication), "export", "hello").exit_code == 0
    out = publication / "build" if published else config.cache_dir / "export"
    assert "hello/message.eml" in saved_entries(config.cache_dir, out)["hello"]["files"]


# --- a damaged cache is a full rebuild with a note ------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
names = st.text(max_size=8)
not_a_mapping = json_values.filter(lambda v: not isinstance(v, dict))
not_an_entry = json_values.filter(
    lambda v: not (isinstance(v, dict) and set(v) in ({"key", "files"}, {"key", "files", "stats"}))
)
#: Of the right format, but not what notice writes: entries that are not a mapping, an entry
#: that is not {"key", "files"}, files that are not a mapping of names.
wrong_shapes = st.one_of(
    not_a_mapping,
    st.dictionaries(names, not_an_entry, min_size=1, max_size=2),
    st.builds(
        lambda slug, files: {slug: {"key": "k", "files": files}},
        names,
        json_values.filter(lambda v: not isinstance(v, dict) or any(not isinstance(d, str) for d in v.values())),
    ),
)


@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)
@given(data=json_values)
def test_any_json_in_the_cache_loads_and_saves_without_a_traceback(tmp_path, data):
    cache_dir = tmp_path / "cache"
    path = folder_file(cache_dir, tmp_path / "out")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    (cache_dir / "build.journal").write_text(json.dumps(data) + '\n{"out": 1\n', encoding="utf-8")
    cache = BuildCache.load(cache_dir)
    assert not cache.is_fresh(tmp_path / "out", "hello", "key")
    cache.record(tmp_path / "out", "hello", "key", digests_of({"hello/email.txt": b"x"}))
    cache.save()
    again = BuildCache.load(cache_dir)  # saved whole: what was recorded, and no damage
    assert again.entries(tmp_path / "out")["hello"]["key"] == "key" and again.note is None


@settings(
    max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)
@given(outputs_value=wrong_shapes)
def test_a_cache_of_the_right_format_but_the_wrong_shape_is_noted_and_ignored(tmp_path, outputs_value):
    cache_dir = tmp_path / "cache"
    path = folder_file(cache_dir, tmp_path / "out")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": CACHE_FORMAT, "entries": outputs_value}), encoding="utf-8")
    cache = BuildCache.load(cache_dir)
    assert cache.entries(tmp_path / "out") == {} and "is damaged" in (cache.note or "")


@settings(
    max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None
)
@given(outputs_value=wrong_shapes)
def test_a_build_over_a_cache_of_the_wrong_shape_rebuilds_all_with_a_note(publication, outputs_value):
    """The whole build, not only the cache: issue 14 item 7 ended in an AttributeError."""
    config = load_config(publication)
    path = folder_file(config.cache_dir, publication / "build")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": CACHE_FORMAT, "entries": outputs_value}), encoding="utf-8")
    report = build(config, drafts=True)
    assert report.ok and report.built == ["hello"]
    assert [(w.message, w.path) for w in report.warnings if "damaged" in w.message] == [
        (
            f"the build cache .notice-cache/outputs/{path.name} is damaged (it is not the shape notice writes): "
            "every issue is rebuilt",
            path,
        )
    ]


@pytest.mark.parametrize(
    "text",
    [
        f'{{"format": {CACHE_FORMAT}, "entries": []}}',
        f'{{"format": {CACHE_FORMAT}, "entries": {{"a": []}}}}',
        f'{{"format": {CACHE_FORMAT}, "entries": {{"a": {{"key": "k", "files": ["a/b"]}}}}}}',
        "[]",
        "{not json",
        "\xff\xfe",
    ],
)
def test_build_with_a_damaged_cache_rebuilds_everything_and_says_so(publication, run, text):
    config = load_config(publication)
    build(config, drafts=True)
    path = folder_file(config.cache_dir, publication / "build")
    path.write_bytes(text.encode("latin-1") if text == "\xff\xfe" else text.encode())
    result = run("-C", str(publication), "build", "--drafts")
    assert result.exit_code == 0, result.output
    assert "Built 1 issue" in result.stdout
    assert f"outputs/{path.name} is damaged" in result.stderr and "every issue is rebuilt" in result.stderr
    assert "Traceback" not in result.output
    assert build(config, drafts=True).unchanged == ["hello"]  # mended by that build


def test_a_cache_cannot_make_a_build_delete_another_issues_files(publication):
    config = load_config(publication)
    write_issue(publication, "other")
    build(config, drafts=True)
    path = folder_file(config.cache_dir, publication / "build")
    data = json.loads(path.read_text())
    data["entries"]["hello"]["files"]["hello/../other/email.html"] = "0"
    path.write_text(json.dumps(data))
    report = build(config, drafts=True)
    assert "is damaged" in report.warnings[0].message
    assert (publication / "build" / "other" / "email.html").is_file()


def fail_at_write(monkeypatch: pytest.MonkeyPatch, n: int, failure: BaseException) -> list[Path]:
    """Make the *n*-th output file a build writes raise *failure* (a full disk, a crash, Ctrl-C);
    the paths it was asked to write, in order."""
    writes: list[Path] = []
    write_temporary = output_module._write_temporary

    def write(path: Path, data: bytes) -> str:
        writes.append(path)
        if len(writes) == n:
            raise failure
        return write_temporary(path, data)

    monkeypatch.setattr(output_module, "_write_temporary", write)
    return writes


@pytest.mark.parametrize(
    "failure", [ToolkitError("cannot write email.html: No space left on device"), RuntimeError("a bug in a renderer")]
)
def test_after_a_build_that_failed_midway_the_next_equals_a_forced_one(tmp_path, monkeypatch, failure):
    """A full disk (or a crash) on the fourth file, the second issue's first: the first issue's
    three files hold the edit, the second's none (never its new web page beside its old text
    part), and the next build mends what the failed one left."""
    root = tmp_path / "pub"
    paths = many_issues(root, 3)
    config = load_config(root)
    build(config, drafts=True)
    originals = {path: path.read_bytes() for path in paths}
    for path in paths:
        path.write_bytes(originals[path] + f"\n{MARK}\n".encode())
    writes = fail_at_write(monkeypatch, 4, failure)
    with pytest.raises(type(failure)):
        build(config, drafts=True)
    monkeypatch.undo()
    assert writes[3].parent != writes[2].parent  # it failed at the second issue's first file
    for path in paths:
        folder = root / "build" / path.stem
        edited = {name: MARK in (folder / name).read_text(encoding="utf-8") for name in ("email.html", "email.txt")}
        assert len(set(edited.values())) == 1, (path.stem, edited)  # all old or all new
    assert not list((root / "build").rglob("*.tmp"))
    assert stale_count(root) == 3
    for path in paths:
        path.write_bytes(originals[path])
    assert build(config, drafts=True).ok and stale_count(root) == 0
    after = outputs(root)
    build(config, drafts=True, force=True)
    assert outputs(root) == after


@pytest.mark.parametrize("failure", [ToolkitError("cannot write: No space left on device"), KeyboardInterrupt()])
def test_an_issue_is_never_left_half_written(publication, monkeypatch, failure):
    """A full disk or Ctrl-C while an issue's files are written: every file of it is written under
    its temporary name before any is renamed, so all of its old files stay (a campaign found a new
    email.html and web.html beside the old email.txt), and no temporary file is left."""
    config = load_config(publication)
    build(config, drafts=True)
    folder = publication / "build" / "hello"
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    issue = publication / "issues" / "hello.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("Some *text*", "Some *new text*"), encoding="utf-8")
    writes = fail_at_write(monkeypatch, 2, failure)
    with pytest.raises(type(failure)):
        build(config, drafts=True)
    monkeypatch.undo()
    assert len(writes) == 2 and writes[0].parent == folder
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert build(config, drafts=True).built == ["hello"]  # and the next build writes it whole
    assert "Some new text" in (folder / "email.txt").read_text(encoding="utf-8")


def test_temporary_files_a_killed_build_left_are_removed_when_it_is_rebuilt(publication):
    config = load_config(publication)
    build(config, drafts=True)
    out = publication / "build"
    left = [out / "hello" / ".email.html.k2_9xq1z.tmp", out / ".index.html.abcdefgh.tmp"]
    mine = publication / "build" / "hello" / ".notes.tmp"  # not one of notice's names
    for path in (*left, mine):
        path.write_text("half", encoding="utf-8")
    cache = BuildCache.load(config.cache_dir)
    cache.journal((publication / "build").resolve(), "hello", ["hello/email.html"])  # what a killed build says
    assert build(config, drafts=True).built == ["hello"]
    assert not any(path.exists() for path in left) and mine.exists()


# --- a real `notice build`, interrupted ------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_removing_leftovers_neither_follows_nor_removes_links(tmp_path):
    folder, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    (folder / "deep" / "deeper").mkdir(parents=True)
    elsewhere.mkdir()
    left = [folder / ".index.html.abcdefgh.tmp", folder / "deep" / "deeper" / ".web.html.k2_9xq1z.tmp"]
    theirs = elsewhere / ".web.html.abcdefgh.tmp"
    for path in (*left, theirs):
        path.write_text("half", encoding="utf-8")
    (folder / ".email.html.abcdefgh.tmp").symlink_to(theirs)
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    remove_leftovers(folder)
    assert not any(path.exists() for path in left)
    assert theirs.exists() and (folder / ".email.html.abcdefgh.tmp").is_symlink()
    remove_leftovers(folder / "missing")  # nothing to do, and no error
    remove_leftovers(theirs)  # a file, not a folder: the same


def group_alive(pgid: int) -> list[int]:
    """Processes of group *pgid* that still run (zombies waiting to be reaped do not)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            alive.append(int(stat.parent.name))
    return alive


def stale_count(root: Path) -> int:
    """Output files that hold the edit, read while a build may be renaming them."""
    count = 0
    for path in (root / "build").rglob("*"):
        try:
            count += MARK.encode() in path.read_bytes()
        except OSError:  # a folder, or a temporary file renamed away meanwhile
            continue
    return count


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc (Linux)")
@pytest.mark.parametrize(("sig", "after"), [(signal.SIGINT, 1), (signal.SIGKILL, 1), (signal.SIGKILL, 12)])
def test_after_an_interrupted_build_the_next_equals_a_forced_one(tmp_path, sig, after):
    """Edit every issue, kill `notice build` once *after* files hold the edit, undo the edit
    byte for byte, build: the outputs must be those of `build --force`, and no worker of the
    killed build may outlive it."""
    root = tmp_path / "pub"
    paths = many_issues(root, 8)  # enough for worker processes (build.PARALLEL_THRESHOLD)
    config = load_config(root)
    assert build(config, drafts=True).ok
    originals = {path: path.read_bytes() for path in paths}
    for path in paths:
        path.write_bytes(originals[path] + f"\n{MARK}\n".encode())
    log = (tmp_path / "build.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "-C", str(root), "build", "--drafts"],
        start_new_session=True,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 300  # a bound against hanging, not a timing: a loaded machine is slow
    while stale_count(root) < after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    if sig == signal.SIGINT:
        os.killpg(process.pid, sig)  # what Ctrl-C in a terminal does: the whole foreground group
    else:
        os.kill(process.pid, sig)  # the build alone: its workers must notice
    process.wait(timeout=60)
    log.close()
    said = (tmp_path / "build.log").read_text(errors="replace")
    assert stale_count(root) >= 1, "not interrupted: " + said
    if sig == signal.SIGINT and process.returncode:  # Ctrl-C says what the output holds, not "Aborted!"
        assert process.returncode == 130 and "Stopped. Each issue written so far is whole" in said, said
        assert "Traceback" not in said
    for path in paths:
        path.write_bytes(originals[path])

    report = build(config, drafts=True)
    assert report.ok and stale_count(root) == 0
    after_build = outputs(root)
    assert build(config, drafts=True, force=True, out_dir=tmp_path / "fresh").ok  # a forced build, and no leftovers
    assert after_build == {
        str(p.relative_to(tmp_path / "fresh")): p.read_bytes()
        for p in sorted((tmp_path / "fresh").rglob("*"))
        if p.is_file()
    }
    deadline = time.monotonic() + 30
    while group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_alive(process.pid) == []


def test_a_process_building_many_publications_keeps_few_journals_open(tmp_path):
    """Two descriptors for each cache folder a process ever built into would run out on a
    system with 256 of them (macOS): only the newest few stay open."""
    journals = [BuildCache.load(tmp_path / f"pub-{n}" / ".notice-cache").journal_writer() for n in range(12)]
    for journal in journals:
        journal.announce("/out", "hello", ["hello/email.html"])
    assert len(output_module._JOURNALS) <= output_module.OPEN_JOURNALS
    assert all(journal_lines(j.cache_dir) == [("hello", j.token)] for j in journals)
    journals[0].announce("/out", "again", [])  # closed and opened again
    assert [slug for slug, _ in journal_lines(journals[0].cache_dir)] == ["hello", "again"]
