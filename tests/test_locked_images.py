"""A published issue's photos are locked with its text: one replaced under its name is a silent edit.

Readers received the picture as well as the words. Before, the lock covered the text only, and
a photo overwritten in ``issues/images/`` went out in the web page, the feeds and the struck
original as if readers had always seen it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from PIL import Image

from toolkit.records import LOCK_NAME, read_lock

from conftest import make_publication, write_issue

BASE = "https://news.example.com/"


def picture(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (300, 200)) -> bytes:
    """A real JPEG made with Pillow; its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def copy_url(data: bytes, stem: str) -> str:
    return f"{BASE}hello/img/{stem}.{hashlib.sha256(data).hexdigest()[:8]}.jpg"


def files_of(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


RED, BLUE = (200, 40, 40), (40, 40, 200)
BODY = 'Our new shop.\n\n![The shop](images/shop.jpg "Opening day")\n\nWe open at 9.\n'


@pytest.fixture
def pub(tmp_path: Path, run) -> Path:
    """An issue with a photo, published (css-inline: milliseconds where premailer takes a second)."""
    pub = make_publication(tmp_path / "pub", inliner="css-inline")
    picture(pub / "issues" / "images" / "shop.jpg", RED)
    write_issue(pub, "hello", body=BODY)
    result = run("-C", str(pub), "publish", "hello", "--date", "2026-01-05 09:00")
    assert result.exit_code == 0, result.output
    assert run("-C", str(pub), "build").exit_code == 0
    return pub


def correct_with_shop_2(run, pub: Path) -> None:
    """The correction the hint prints: the whole image, with shop-2.jpg for shop.jpg."""
    replaces = '![The shop](images/shop.jpg "Opening day")'
    result = run(
        "-C", str(pub), "correct", "hello", "--kind", "correction", "--replaces", replaces,
        "--with", replaces.replace("shop.jpg", "shop-2.jpg"), "--note", "A newer photo.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_the_lock_records_each_photo_by_its_path_and_sha256(pub):
    red = (pub / "issues" / "images" / "shop.jpg").read_bytes()
    data = yaml.safe_load((pub / "corrections" / "hello" / LOCK_NAME).read_text(encoding="utf-8"))
    assert data["images"] == {"issues/images/shop.jpg": hashlib.sha256(red).hexdigest()}
    lock = read_lock(pub / "corrections", "hello")
    assert lock is not None and lock.images == data["images"]


def test_an_issue_without_local_images_is_locked_as_before(tmp_path, run):
    pub = make_publication(tmp_path / "pub", inliner="css-inline")
    write_issue(pub, "hello", body="![Remote](https://cdn.example.org/a.png)\n\nNo local photo.\n")
    assert run("-C", str(pub), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    data = yaml.safe_load((pub / "corrections" / "hello" / LOCK_NAME).read_text(encoding="utf-8"))
    assert set(data) == {"slug", "published", "fields", "body", "hash"}


def test_a_photo_replaced_under_its_name_fails_the_build_and_keeps_the_old_outputs(pub, run):
    before = files_of(pub / "build" / "hello")
    picture(pub / "issues" / "images" / "shop.jpg", BLUE)
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    line = (pub / "issues" / "hello.md").read_text(encoding="utf-8").splitlines().index(BODY.splitlines()[2]) + 1
    assert (
        f"issues/hello.md:{line}: error: image images/shop.jpg (issues/images/shop.jpg) was replaced after the "
        "issue was published: readers received another picture, and no correction shows the change"
    ) in result.stderr
    assert "Traceback" not in result.output
    assert files_of(pub / "build" / "hello") == before  # the pages still show what readers received
    check = run("-C", str(pub), "check", "--format", "json")
    assert check.exit_code == 1
    found = [f for f in json.loads(check.stdout)["findings"] if "was replaced" in f["message"]]
    assert [(f["rule"], f["severity"], f["line"]) for f in found] == [("silent-edit", "error", line)]


def test_a_restored_photo_builds_again(pub, run):
    red = (pub / "issues" / "images" / "shop.jpg").read_bytes()
    picture(pub / "issues" / "images" / "shop.jpg", BLUE)
    assert run("-C", str(pub), "build").exit_code == 1
    (pub / "issues" / "images" / "shop.jpg").write_bytes(red)
    result = run("-C", str(pub), "build")
    assert result.exit_code == 0, result.output


def test_the_hint_is_a_correction_that_shows_the_new_photo_beside_the_struck_original(pub, run, monkeypatch):
    """The author follows the hint word for word: restore, save the new photo as shop-2.jpg, correct."""
    monkeypatch.chdir(pub / "issues")  # paths in the hint are from where the author stands
    images = pub / "issues" / "images"
    red = (images / "shop.jpg").read_bytes()
    blue = picture(images / "shop.jpg", BLUE)
    result = run("-C", str(pub), "build")
    hint = result.stderr.split("hint: ", 1)[1]
    assert "`git checkout -- images/shop.jpg`" in hint and "save it beside it as shop-2.jpg" in hint
    command = re.search(r"`(notice correct [^`]+)`", hint)
    assert command is not None, hint
    words = shlex.split(command[1])
    assert words[words.index("--replaces") + 1] == '![The shop](images/shop.jpg "Opening day")'
    assert words[words.index("--with") + 1] == '![The shop](images/shop-2.jpg "Opening day")'
    (images / "shop-2.jpg").write_bytes(blue)
    (images / "shop.jpg").write_bytes(red)
    result = run("-C", str(pub), *words[1:], "--note", "The photo showed the old shop front.")
    assert result.exit_code == 0, result.output
    result = run("-C", str(pub), "build")
    assert result.exit_code == 0, result.output
    web = (pub / "build" / "hello" / "web.html").read_text(encoding="utf-8")
    struck = re.search(r"<del\b[^>]*>(.*?)</del>", web, re.S)
    added = re.search(r"<ins\b[^>]*>(.*?)</ins>", web, re.S)
    assert struck and copy_url(red, "shop") in struck[1]
    assert added and copy_url(blue, "shop-2") in added[1]
    original = (pub / "build" / "hello" / "original.html").read_text(encoding="utf-8")
    assert copy_url(red, "shop") in original and copy_url(blue, "shop-2") not in original


def test_overwriting_the_photo_a_correction_replaced_is_still_an_edit(pub, run):
    images = pub / "issues" / "images"
    picture(images / "shop-2.jpg", BLUE)
    correct_with_shop_2(run, pub)
    assert run("-C", str(pub), "build").exit_code == 0
    picture(images / "shop.jpg", (0, 160, 0))  # the struck original would show this one
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "image images/shop.jpg (issues/images/shop.jpg) was replaced" in result.stderr
    assert "the correction that replaced it shows it struck through" in result.stderr
    assert "notice correct" not in result.stderr.split("hint: ", 1)[1]


def test_the_photos_digest_is_under_the_locks_hash(pub, run):
    path = pub / "corrections" / "hello" / LOCK_NAME
    text = path.read_text(encoding="utf-8")
    digest = hashlib.sha256((pub / "issues" / "images" / "shop.jpg").read_bytes()).hexdigest()
    # The digest changed to another photo's by hand, to make a replacement look published.
    other = hashlib.sha256(b"another photo").hexdigest()
    path.write_text(text.replace(digest, other), encoding="utf-8")
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "the publication lock was edited: its hash no longer matches its text" in result.stderr
    # The images removed by hand are caught too.
    path.write_text(re.sub(r"images:\n(  .*\n)+", "", text), encoding="utf-8")
    assert "images:" not in path.read_text(encoding="utf-8")
    assert "the publication lock was edited" in run("-C", str(pub), "build").stderr


@pytest.mark.parametrize("value", ["[]", "{issues/images/shop.jpg: not-a-digest}", "{1: 2}", "null"])
def test_a_lock_whose_images_are_not_path_and_digest_is_damaged(pub, run, value):
    path = pub / "corrections" / "hello" / LOCK_NAME
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"images:\n(  .*\n)+", f"images: {value}\n", text), encoding="utf-8")
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "the publication lock is damaged ('images' must map each image's path to its sha256)" in result.stderr
    assert "Traceback" not in result.output


def test_a_lock_written_before_images_were_locked_checks_the_text_only(pub, run):
    """Locks of earlier versions have no images: they still verify, and their photos are not checked."""
    path = pub / "corrections" / "hello" / LOCK_NAME
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["images"]
    content = {key: data[key] for key in ("slug", "published", "fields", "body")}
    data["hash"] = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    ).hexdigest()
    path.write_text("# an older lock\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    lock = read_lock(pub / "corrections", "hello")
    assert lock is not None and lock.images is None
    picture(pub / "issues" / "images" / "shop.jpg", BLUE)
    result = run("-C", str(pub), "build")
    assert result.exit_code == 0, result.output


# --- the file a published src finds ------------------------------------------------------------


def test_another_file_that_the_src_now_finds_first_is_an_edit(pub, run):
    """The resolver looks in issues/<slug>/ before issues/: a new file there would show instead."""
    picture(pub / "issues" / "hello" / "images" / "shop.jpg", BLUE)
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert (
        "error: image images/shop.jpg now shows issues/hello/images/shop.jpg, not the published issues/images/shop.jpg"
    ) in result.stderr
    assert "issues/hello/images/shop.jpg away: " in result.stderr  # the hint: move it, not restore the intact one
    assert (
        "/issues/images/shop.jpg is the picture readers received" in result.stderr
        and "git checkout" not in result.stderr
    )


def test_a_published_photo_deleted_is_an_edit_even_with_a_copy_further_on(pub, run):
    shown = pub / "issues" / "images" / "shop.jpg"
    red = shown.read_bytes()
    shown.unlink()
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "error: image images/shop.jpg (issues/images/shop.jpg) is gone since the issue was published" in (
        result.stderr
    )
    (pub / "images").mkdir()
    picture(pub / "images" / "shop.jpg", BLUE)  # another picture, in the publication folder
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "image images/shop.jpg now shows images/shop.jpg, not the published issues/images/shop.jpg" in result.stderr
    (pub / "images" / "shop.jpg").write_bytes(red)  # moved, bytes and all: the same copy readers got
    result = run("-C", str(pub), "build", "--force")
    assert result.exit_code == 0, result.output
    assert copy_url(red, "shop") in (pub / "build" / "hello" / "web.html").read_text(encoding="utf-8")


def test_a_published_photo_replaced_by_a_file_no_image_is_replaced_not_gone(pub, run):
    (pub / "issues" / "images" / "shop.jpg").write_bytes(b"")
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "is gone since" not in result.stderr and "image images/shop.jpg is not an image" in result.stderr


def test_the_feeds_never_link_a_copy_the_build_did_not_make(pub, run):
    """The issue fails; its pages stay as they were, and the feeds leave the changed picture as
    written (like a missing one) instead of linking the new picture's copy, which was never made."""
    blue = picture(pub / "issues" / "images" / "shop.jpg", BLUE)
    assert run("-C", str(pub), "build").exit_code == 1
    made = {p.name for p in (pub / "build" / "hello" / "img").iterdir()}
    for name in ("feed.atom", "feed.json"):
        text = (pub / "build" / name).read_text(encoding="utf-8")
        linked = set(re.findall(r"hello/img/([^\"&\\\\]+?\.jpg)", text))
        assert linked <= made, (name, linked, made)
        assert "The shop" in text and copy_url(blue, "shop").rsplit("/", 1)[1] not in text  # the entry is there


# --- the hint, pasted into a shell -------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "![Bob's shop](images/shop.jpg)",
        "![Single](images/shop.jpg 'A quoted title')",
        '![店内の様子](<images/shop.jpg> "開店日")',
    ],
)
def test_the_printed_command_works_whatever_the_image_holds(tmp_path, run, written, monkeypatch):
    pub = make_publication(tmp_path / "pub", inliner="css-inline")
    images = pub / "issues" / "images"
    red = picture(images / "shop.jpg", RED)
    write_issue(pub, "hello", body=f"Our shop.\n\n{written}\n")
    assert run("-C", str(pub), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    blue = picture(images / "shop.jpg", BLUE)
    hint = run("-C", str(pub), "build").stderr.split("hint: ", 1)[1]
    command = re.search(r"`(notice correct [^`]+)`", hint)
    assert command is not None, hint
    (images / "shop-2.jpg").write_bytes(blue)
    (images / "shop.jpg").write_bytes(red)
    result = run("-C", str(pub), *shlex.split(command[1])[1:], "--note", "A newer photo.")
    assert result.exit_code == 0, result.output
    assert run("-C", str(pub), "build").exit_code == 0
    web = (pub / "build" / "hello" / "web.html").read_text(encoding="utf-8")
    assert copy_url(red, "shop") in web and copy_url(blue, "shop-2") in web


def test_a_reference_image_gets_an_inline_one_in_the_printed_command(tmp_path, run):
    pub = make_publication(tmp_path / "pub", inliner="css-inline")
    picture(pub / "issues" / "images" / "shop.jpg", RED)
    write_issue(pub, "hello", body="Our shop: ![The shop][front]\n\n[front]: images/shop.jpg\n")
    assert run("-C", str(pub), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    picture(pub / "issues" / "images" / "shop.jpg", BLUE)
    hint = run("-C", str(pub), "build").stderr.split("hint: ", 1)[1]
    assert "--replaces '![The shop][front]' --with '![The shop](images/shop-2.jpg)'" in hint


def test_after_a_minor_fix_the_hint_names_the_page_as_sent(pub, run):
    replaces = '![The shop](images/shop.jpg "Opening day")'
    result = run("-C", str(pub), "correct", "hello", "--kind", "minor", "--replaces", replaces, "--with", "")
    assert result.exit_code == 0, result.output
    picture(pub / "issues" / "images" / "shop.jpg", BLUE)
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "the page as it was sent (original.html) shows it" in result.stderr
    assert "struck through" not in result.stderr


# --- pictures a correction added ---------------------------------------------------------------


def test_a_correction_records_its_new_photo_and_a_later_swap_of_it_is_an_edit(pub, run):
    images = pub / "issues" / "images"
    blue = picture(images / "shop-2.jpg", BLUE)
    correct_with_shop_2(run, pub)
    (record,) = (pub / "corrections" / "hello").glob("0001-*.yml")
    data = yaml.safe_load(record.read_text(encoding="utf-8"))
    assert data["images"] == {"issues/images/shop-2.jpg": hashlib.sha256(blue).hexdigest()}
    assert run("-C", str(pub), "build").exit_code == 0
    picture(images / "shop-2.jpg", (0, 160, 0))  # readers of the notice got the blue one
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "image images/shop-2.jpg (issues/images/shop-2.jpg) was replaced after the issue was published" in (
        result.stderr
    )


def test_a_photo_only_a_note_shows_is_recorded_and_the_hint_adds_a_record(pub, run):
    images = pub / "issues" / "images"
    picture(images / "hours.png", RED)
    result = run(
        "-C", str(pub), "correct", "hello", "--kind", "addendum", "--note", "Hours: ![Hours](images/hours.png)"
    )
    assert result.exit_code == 0, result.output
    picture(images / "hours.png", BLUE)
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    (record,) = (pub / "corrections" / "hello").glob("0001-*.yml")
    assert f"{record.name}:" in result.stderr and "image images/hours.png (issues/images/hours.png) was replaced" in (
        result.stderr
    )
    assert "save it beside it as hours-2.png and add a record that shows it" in result.stderr


def test_a_record_without_pictures_is_written_and_hashed_as_before(pub, run):
    result = run(
        "-C", str(pub), "correct", "hello", "--kind", "correction", "--replaces", "at 9", "--with", "at 10", "--note", "Ten."
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (record,) = (pub / "corrections" / "hello").glob("0001-*.yml")
    data = yaml.safe_load(record.read_text(encoding="utf-8"))
    assert "images" not in data
    content = {key: value for key, value in data.items() if key not in ("id", "hash")}
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert data["hash"] == hashlib.sha256(text.encode()).hexdigest()


def test_a_records_picture_digest_is_under_its_hash(pub, run):
    images = pub / "issues" / "images"
    picture(images / "hours.png", RED)
    assert (
        run("-C", str(pub), "correct", "hello", "--kind", "addendum", "--note", "![H](images/hours.png)").exit_code == 0
    )
    (record,) = (pub / "corrections" / "hello").glob("0001-*.yml")
    text = record.read_text(encoding="utf-8")
    digest = hashlib.sha256((images / "hours.png").read_bytes()).hexdigest()
    record.write_text(text.replace(digest, hashlib.sha256(b"other").hexdigest()), encoding="utf-8")
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert "this record was edited after it was made: its hash no longer matches" in result.stderr


def test_an_image_in_a_code_span_of_a_note_is_text_not_a_picture_to_record(pub, run):
    """A note may show Markdown as code: the image there is never rendered, so never looked for."""
    note = "Write `![alt](images/your-photo.png)` to show yours."
    result = run("-C", str(pub), "correct", "hello", "--kind", "addendum", "--note", note)
    assert result.exit_code == 0, result.output
    (record,) = (pub / "corrections" / "hello").glob("0001-*.yml")
    assert "images" not in yaml.safe_load(record.read_text(encoding="utf-8"))


def test_a_note_with_a_nul_is_refused_before_it_is_recorded(pub, run, tmp_path):
    note = tmp_path / "note.md"
    note.write_bytes(b"A note \x00 with a NUL.\n")
    result = run("-C", str(pub), "correct", "hello", "--kind", "addendum", "--note-file", str(note))
    assert result.exit_code == 1 and "the note holds a NUL character" in result.stderr
    assert not list((pub / "corrections" / "hello").glob("0001-*.yml"))


def test_a_note_nested_too_deeply_to_render_is_refused_before_it_is_recorded(pub, run, tmp_path):
    """Once recorded, such a note would fail every build of the issue for good (a record never changes)."""
    note = tmp_path / "note.md"
    note.write_text("<span>" * 500 + "deep" + "</span>" * 500 + "\n", encoding="utf-8")
    result = run("-C", str(pub), "correct", "hello", "--kind", "addendum", "--note-file", str(note))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the note's markup is nested too deeply to render" in result.stderr
    assert not list((pub / "corrections" / "hello").glob("0001-*.yml"))
