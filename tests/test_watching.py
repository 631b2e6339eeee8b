"""The preview's watcher: a finished save is reported at once and whole, nothing else is."""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit import watching
from toolkit.watching import relevant, watch_changes

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "pub"
    (root / "issues").mkdir(parents=True)
    (root / "corrections").mkdir()
    (root / "notice.toml").write_text("[publication]\n", encoding="utf-8")
    return root


@contextlib.contextmanager
def watched(root: Path) -> Iterator[queue.Queue[set[str]]]:
    """Watch *root* on a thread, each batch of changes into the queue, and stop on the way out."""
    batches: queue.Queue[set[str]] = queue.Queue()
    ready, stop = threading.Event(), threading.Event()

    def run() -> None:
        for batch in watch_changes(root, stop):
            ready.set()  # the first, empty, batch: watching from here on
            if batch:
                batches.put(batch)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield batches
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


@pytest.fixture
def batches(root: Path):
    with watched(root) as batches:
        yield batches


@pytest.mark.parametrize(
    "path, wanted",
    [
        ("issues/hello.md", True),
        ("corrections/hello/2026-01-01-typo.yaml", True),
        ("templates/email.html", True),
        ("notice.toml", True),
        ("issues/.hello.md.swp", False),
        ("issues/hello.md~", False),
        (".notice-cache/preview/hello/email.html", False),
        ("site/hello/email.html", False),
        ("issues/notice.toml", True),
        ("README.md", False),
    ],
)
def test_only_what_a_build_reads_is_relevant(path, wanted):
    assert relevant(tuple(path.split("/"))) is wanted


@linux_only
def test_a_save_is_reported_once_it_is_written_whole(root, batches):
    (root / "issues" / "hello.md").write_text("---\ntitle: Hello\n---\nBody\n", encoding="utf-8")
    assert batches.get(timeout=10) == {"issues/hello.md"}


@linux_only
def test_a_file_still_open_for_writing_waits_for_its_close(root):
    """A half-written issue is never built (watchfiles reports the first write)."""
    from inotify_simple import INotify

    with INotify() as inotify:
        saves = watching._Saves(inotify, root)
        path = root / "issues" / "hello.md"
        with path.open("w", encoding="utf-8") as handle:
            handle.write("---\ntitle: Hel")
            handle.flush()
            for event in inotify.read(timeout=1000):
                saves.take(event)
            assert saves.pending == {"issues/hello.md": "open"}
            assert saves.wait() == watching.OPEN_MS  # a busy machine may pause a writer for long
            handle.write("lo\n---\n")
        for event in inotify.read(timeout=1000):
            saves.take(event)
        assert saves.pending == {"issues/hello.md": "done"}


@linux_only
def test_an_editor_s_rename_dance_is_complete_only_when_the_new_file_is(root):
    """vim renames the file away, writes a new one and deletes the backup."""
    from inotify_simple import INotify

    path = root / "issues" / "hello.md"
    path.write_text("old\n", encoding="utf-8")
    with INotify() as inotify:
        saves = watching._Saves(inotify, root)
        path.rename(root / "issues" / "hello.md~")
        for event in inotify.read(timeout=1000):
            saves.take(event)
        assert saves.pending == {"issues/hello.md": "gone"}  # maybe for a moment only
        assert saves.wait() == watching.GONE_MS
        path.write_text("new\n", encoding="utf-8")
        (root / "issues" / "hello.md~").unlink()
        for event in inotify.read(timeout=1000):
            saves.take(event)
        assert saves.pending == {"issues/hello.md": "done"}


@linux_only
def test_an_unfinished_change_alone_is_still_reported(root, batches):
    """A deleted issue has no close to wait for: it is reported after a short quiet."""
    path = root / "issues" / "hello.md"
    path.write_text("x\n", encoding="utf-8")
    assert batches.get(timeout=10) == {"issues/hello.md"}
    path.unlink()
    assert batches.get(timeout=10) == {"issues/hello.md"}


def test_swap_files_the_cache_and_the_output_are_not_reported(root, batches):
    for name in ("issues/.hello.md.swp", "issues/hello.md~", ".notice-cache/x.json", "site/index.html"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x", encoding="utf-8")
    (root / "issues" / "later.md").write_text("x", encoding="utf-8")
    seen: set[str] = set()
    while "issues/later.md" not in seen:
        seen |= batches.get(timeout=10)
    assert seen == {"issues/later.md"}


def test_folders_made_after_start_up_are_watched(root, batches):
    (root / "templates").mkdir()
    seen = batches.get(timeout=10)
    while "templates" not in seen:
        seen |= batches.get(timeout=10)
    (root / "templates" / "email.html").write_text("<p>x</p>", encoding="utf-8")
    assert "templates/email.html" in batches.get(timeout=10)
    (root / "corrections" / "hello").mkdir()
    while "corrections/hello" not in batches.get(timeout=10):
        pass
    (root / "corrections" / "hello" / "record.yaml").write_text("x: 1\n", encoding="utf-8")
    assert "corrections/hello/record.yaml" in batches.get(timeout=10)


@linux_only
def test_nothing_is_watched_through_a_link_out_of_the_publication(root, tmp_path, batches):
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "issues" / "linked").symlink_to(outside, target_is_directory=True)
    assert batches.get(timeout=10) == {"issues/linked"}  # the link itself is a change
    (outside / "elsewhere.md").write_text("x", encoding="utf-8")
    (root / "issues" / "hello.md").write_text("x", encoding="utf-8")
    assert batches.get(timeout=10) == {"issues/hello.md"}


def test_watchfiles_watches_where_inotify_is_not_there(root, monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    with watched(root) as batches:
        (root / "issues" / "hello.md").write_text("x", encoding="utf-8")
        assert "issues/hello.md" in batches.get(timeout=10)


@linux_only
def test_the_kernel_s_limit_of_watches_falls_back_to_watchfiles(root, monkeypatch):
    """fs.inotify.max_user_watches reached: the saves are still seen, by watchfiles."""
    import errno

    from inotify_simple import INotify

    def full(self, path, mask):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(INotify, "add_watch", full)
    with watched(root) as batches:
        (root / "issues" / "hello.md").write_text("x", encoding="utf-8")
        assert "issues/hello.md" in batches.get(timeout=10)
