"""A build takes the issues whose files did not change from the record of the builds before it
(toolkit.kept_issues, issue 13): it does not read them, and what it writes is what a build that
reads every file writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from toolkit import build as build_module
from toolkit import output, source
from toolkit.config import load_config
from toolkit.kept_issues import FILE_NAME, HEADER, read_record
from toolkit.patterns import write_file
from toolkit.source import split_front_matter, yaml_key

from conftest import write_issue

LINE = "2018-07-13-line-privacy"


@pytest.fixture
def settled(monkeypatch):
    """Every file as if written more than two seconds ago (`output.settled`): in a test every
    file is new, and a file changed that recently is always read."""
    monkeypatch.setattr(output, "RACY_NS", -(10**18))


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the issue files read, by the reading of issues or again for a body."""
    names: list[str] = []
    for module in (source, build_module):
        real = module.read_regular

        def spy(path, *args, _real=real, **kwargs):
            if path.parent.name == "issues":
                names.append(path.name)
            return _real(path, *args, **kwargs)

        monkeypatch.setattr(module, "read_regular", spy)
    return names


@pytest.fixture
def pub(sample_publication: Path) -> Path:
    """The sample (the LINE issue with its lock and records, and a draft), an issue with a
    local image, and an English one that leaves its language to notice.toml."""
    root = sample_publication
    (root / "issues" / "images").mkdir()
    Image.new("RGB", (300, 200), (200, 40, 40)).save(root / "issues" / "images" / "shop.png")
    write_issue(
        root, "shop-photo", status="published", date="2026-02-01", body="Our shop: ![The shop](images/shop.png)"
    )
    write_issue(root, "spring-news", title="Spring news", status="published", date="2026-03-01")
    return root


def kept(root: Path) -> dict:
    """The record's entries, read as the build reads them (its checksum checked)."""
    entries = read_record(load_config(root))
    assert entries is not None
    return entries


def write_record(root: Path, entries: dict, header: tuple = HEADER) -> None:
    """*entries* as a build writes them, under *header* (its checksum right)."""
    write_file(root / ".notice-cache" / FILE_NAME, entries, header)


def outputs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fresh_copy(root: Path, where: Path) -> Path:
    """*root* without its cache and outputs: a build there reads every file."""
    shutil.copytree(root, where, ignore=shutil.ignore_patterns(".notice-cache", "site", "one"))
    return where


def one_issue(run, root: Path, slug: str) -> None:
    done = run("-C", str(root), "-q", "build", "--drafts", slug, "--force", "--out", str(root / "one"))
    assert done.exit_code == 0, done.output + done.stderr


def test_a_one_issue_build_reads_only_the_file_of_the_issue_it_renders(pub, run, settled, reads):
    one_issue(run, pub, "spring-news")
    assert sorted(set(reads)) == sorted(p.name for p in (pub / "issues").glob("*.md"))
    entries = kept(pub)
    assert sorted(entries) == sorted(p.name for p in (pub / "issues").glob("*.md"))
    assert entries["shop-photo.md"]["sources"] == ["images/shop.png"]
    assert entries[f"{LINE}.md"]["chain"][0]  # found with its lock

    reads.clear()
    one_issue(run, pub, "shop-photo")
    assert reads == ["shop-photo.md"]  # the other three were taken from the record


def test_what_it_writes_is_what_a_build_that_reads_every_file_writes(pub, run, settled, tmp_path):
    one_issue(run, pub, "spring-news")
    # Between the builds: the image replaced, and notice.toml's language changed, which the
    # English issue without a `lang` takes (the record keeps the front-matter, not its values).
    Image.new("RGB", (600, 400), (40, 40, 200)).save(pub / "issues" / "images" / "shop.png")
    config = pub / "notice.toml"
    text = config.read_text(encoding="utf-8")
    assert 'lang = "ja"' in text
    config.write_text(text.replace('lang = "ja"', 'lang = "en"'), encoding="utf-8")
    fresh = fresh_copy(pub, tmp_path / "fresh")
    for slug in ("spring-news", "shop-photo", LINE):
        shutil.rmtree(pub / "one")
        one_issue(run, pub, slug)
        shutil.rmtree(fresh / "one", ignore_errors=True)
        shutil.rmtree(fresh / ".notice-cache", ignore_errors=True)
        one_issue(run, fresh, slug)
        assert outputs(pub / "one") == outputs(fresh / "one"), slug
    assert kept(pub)["spring-news.md"]["front"].get("lang") is None


def test_an_issue_edited_to_the_same_size_and_modification_time_is_read_again(pub, run, settled, reads):
    one_issue(run, pub, "shop-photo")
    path = pub / "issues" / "spring-news.md"
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace("Spring news", "Summer news"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or `rsync -t` leave it
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    reads.clear()
    one_issue(run, pub, "shop-photo")
    assert "spring-news.md" in reads  # its ctime moved
    assert "Summer news" in (pub / "one" / "index.html").read_text(encoding="utf-8")


def test_a_file_changed_too_recently_is_never_taken_from_the_record(pub, run, reads, monkeypatch):
    # Every file changed within the window (`output.settled`: two seconds; here a day, so that a
    # slow machine between writing the files and building cannot let one settle).
    monkeypatch.setattr(output, "RACY_NS", 86_400 * 10**9)
    one_issue(run, pub, "spring-news")
    assert not (pub / ".notice-cache" / FILE_NAME).exists()  # nothing to record
    reads.clear()
    one_issue(run, pub, "spring-news")
    assert sorted(set(reads)) == sorted(p.name for p in (pub / "issues").glob("*.md"))


def test_a_record_gone_from_an_issue_not_built_is_still_found(pub, run, settled):
    one_issue(run, pub, "spring-news")
    records = sorted((pub / "corrections" / LINE).glob("0*.yml"))
    assert records, "the sample's LINE issue has correction records"
    records[-1].unlink()  # the issue file is as it was: only its chain changed
    done = run("-C", str(pub), "build", "--drafts", "spring-news", "--force", "--out", str(pub / "one"))
    assert "index.html was not updated: 1 issue cannot be read" in done.output + done.stderr


def test_a_silent_edit_of_an_issue_not_built_is_still_found(pub, run, settled):
    one_issue(run, pub, "spring-news")
    path = pub / "issues" / f"{LINE}.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA sentence readers never received.\n", encoding="utf-8")
    done = run("-C", str(pub), "build", "--drafts", "spring-news", "--force", "--out", str(pub / "one"))
    assert "index.html was not updated: 1 issue cannot be read" in done.output + done.stderr
    done = run("-C", str(pub), "build", "--drafts", LINE, "--force", "--out", str(pub / "one"))
    assert done.exit_code == 1
    assert "the published text was changed without a correction record" in done.output + done.stderr


def damaged_title(root: Path) -> None:
    """One byte of the record changed in place: a title the index would show."""
    path = root / ".notice-cache" / FILE_NAME
    path.write_bytes(path.read_bytes().replace(b"Spring news", b"Spring newt"))


def wrong_shapes(root: Path) -> None:
    """A record the build wrote (its checksum right), each entry wrong another way."""
    entries = kept(root)
    wrong = [{"front": [], "digest": None}, {"body_line": "9"}, {"sources": [1]}, {"chain": "x"}]
    assert len(entries) == len(wrong)
    for entry, change in zip([entries[name] for name in sorted(entries)], wrong):
        entry.update(change)
    write_record(root, entries)


def written(data: bytes):
    return lambda root: (root / ".notice-cache" / FILE_NAME).write_bytes(data)


@pytest.mark.parametrize(
    "damage",
    [
        written(b"not marshal"),
        lambda root: write_record(root, read_record(load_config(root)), ("kept issues", 3, "0.0.0")),
        written(b"[]"),
        written(b"[" * 100_000 + b"]" * 100_000),
        damaged_title,
        wrong_shapes,
    ],
    ids=["not-marshal", "another-notice", "a-list", "nested-deeply", "a-byte-changed", "wrong-shapes"],
)
def test_a_damaged_record_is_read_past_and_written_again(pub, run, settled, reads, tmp_path, damage):
    one_issue(run, pub, "shop-photo")
    damage(pub)
    shutil.rmtree(pub / "one")
    fresh = fresh_copy(pub, tmp_path / "fresh")
    one_issue(run, pub, "shop-photo")
    one_issue(run, fresh, "shop-photo")
    assert outputs(pub / "one") == outputs(fresh / "one")
    assert b"Spring newt" not in (pub / "one" / "index.html").read_bytes()
    reads.clear()
    one_issue(run, pub, "shop-photo")
    assert reads == ["shop-photo.md"]  # written again whole


@pytest.mark.parametrize("damage", ["a-shape", "nested-deeply"])
def test_a_damaged_parse_memo_is_read_past(pub, run, settled, damage):
    """yaml.json (`source.PARSED`), which the record leans on for what JSON gives back."""
    path = write_issue(pub, "tagged-date", status="published")
    text = path.read_text(encoding="utf-8").replace("date: 2026-01-05", "date: !!timestamp 2026-01-05")
    path.write_text(text, encoding="utf-8")
    one_issue(run, pub, "spring-news")
    memo = pub / ".notice-cache" / "yaml.json"
    if damage == "a-shape":  # the timestamp's front-matter under its key, as no build writes it
        data = json.loads(memo.read_text(encoding="utf-8"))
        data["entries"][yaml_key(split_front_matter(text, path)[0])] = "damaged"
        memo.write_text(json.dumps(data), encoding="utf-8")
    else:
        memo.write_text("[" * 100_000 + "]" * 100_000)
    one_issue(run, pub, "spring-news")
    one_issue(run, pub, "spring-news")
    assert "tagged-date.md" not in kept(pub)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_in_place_of_the_memos_does_not_hang_the_build(pub, tmp_path):
    cache = pub / ".notice-cache"
    cache.mkdir()
    for name in ("yaml.json", FILE_NAME):
        os.mkfifo(cache / name)
    command = [sys.executable, "-m", "toolkit", "-C", str(pub), "-q", "build", "--drafts"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert "internal error" not in done.stderr
    assert (pub / "site" / "index.html").is_file()


def test_a_linked_issue_file_is_always_read(pub, run, settled, reads, tmp_path):
    target = pub / "drafts-folder" / "linked.md"
    target.parent.mkdir()
    shutil.move(write_issue(pub, "linked", status="published"), target)
    (pub / "issues" / "linked.md").symlink_to(target)
    one_issue(run, pub, "spring-news")
    reads.clear()
    one_issue(run, pub, "spring-news")
    assert sorted(reads) == ["linked.md", "spring-news.md"]


def test_front_matter_json_cannot_give_back_is_read_each_time(pub, run, settled, reads):
    path = write_issue(pub, "tagged-date", status="published")
    path.write_text(path.read_text(encoding="utf-8").replace("date: 2026-01-05", "date: !!timestamp 2026-01-05"))
    one_issue(run, pub, "spring-news")
    entries = kept(pub)
    assert "tagged-date.md" not in entries and "shop-photo.md" in entries
    reads.clear()
    one_issue(run, pub, "spring-news")
    assert sorted(reads) == ["spring-news.md", "tagged-date.md"]


def test_a_build_on_both_cores_records_what_its_workers_rendered(pub, run, settled, reads, tmp_path):
    # More issues than `build.PARALLEL_THRESHOLD`: the workers get each issue as it is read
    # (`build.Prefetch`), and the build's process keeps only what it found of each.
    for n in range(build_module.PARALLEL_THRESHOLD):
        write_issue(pub, f"more-{n}", status="published", date=f"2026-04-{n + 1:02d}")
    fresh = fresh_copy(pub, tmp_path / "fresh")
    for root in (pub, fresh):
        done = run("-C", str(root), "-q", "build", "--drafts", "--jobs", "2")
        assert done.exit_code == 0, done.output + done.stderr
    entries = kept(pub)
    assert sorted(entries) == sorted(p.name for p in (pub / "issues").glob("*.md"))
    assert entries["shop-photo.md"]["sources"] == ["images/shop.png"]
    (fresh / ".notice-cache" / FILE_NAME).unlink()
    reads.clear()
    for root in (pub, fresh):  # into the same folder: its index and feeds stand
        done = run("-C", str(root), "-q", "build", "--drafts", "shop-photo", "--force")
        assert done.exit_code == 0, done.output + done.stderr
    assert reads.count("shop-photo.md") == 2 and reads.count("spring-news.md") == 1  # fresh read it
    assert outputs(pub / "site") == outputs(fresh / "site")
