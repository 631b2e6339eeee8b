"""The next issue carries the corrections since the last one (issue 12, item 3), and its lock
holds them: a later record never changes an issue readers already received."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import feedparser
import pytest
import yaml
from PIL import Image

from toolkit.config import load_config
from toolkit.records import read_lock

from conftest import REPO, axe_findings, make_publication, write_issue

SEED = "2018-07-13-line-privacy"
NEXT = "pre-send-checklist"
#: The seed's records readers must hear of, strongest kind first and newest first within a kind:
#: the correction, then the supplement and the two addenda.
SEED_ORDER = ["e6821b2", "530bfbb", "bdbf824", "8f9db28"]


def switch_on(root: Path, placement: str = "top") -> None:
    with (root / "notice.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[corrections]\nplacement = "{placement}"\nin_next_issue = true\n')


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def carried_ids(html: str) -> list[str]:
    """The records the block links to, in order (what follows it up to the body, if any)."""
    if 'class="errata next-issue"' not in html:
        return []
    block = html.split('class="errata next-issue"', 1)[1].split('class="content', 1)[0]
    return re.findall(r"web\.html#correction-([0-9a-f]{7})", block)


@pytest.fixture
def seed(sample_publication, monkeypatch):
    monkeypatch.chdir(sample_publication)
    switch_on(sample_publication)
    return sample_publication


def test_the_seed_case_the_next_issue_carries_the_block_and_its_lock_holds_it(seed, run):
    # A draft shows the block as it would be if published now: every record of the seed issue.
    assert run("build", "--drafts").exit_code == 0
    site = seed / "site"
    email = read(site / NEXT / "email.html")
    assert carried_ids(email) == SEED_ORDER
    assert (
        f'href="https://letter.example.jp/{SEED}/web.html#correction-e6821b2"' in email
    )  # the email's links are absolute
    web = read(site / NEXT / "web.html")
    assert carried_ids(web) == SEED_ORDER and f'href="../{SEED}/web.html#correction-e6821b2"' in web
    assert "Corrections since the last issue" in web and "Correction:" in web  # the issue's language: English
    assert "in “LINEのトーク内容が自動で収集される？ プライバシーポリシー変更のポイント”" in web
    text = read(site / NEXT / "email.txt")
    assert "Corrections since the last issue" in text and "LINE@アカウントも「公式ア" in text
    assert text.index("Corrections since the last issue") < text.index("Most mistakes in a newsletter")

    # Published, the block goes into the lock; the lock reads back and its hash covers it.
    assert run("publish", NEXT, "--date", "2026-11-20 09:00").exit_code == 0
    lock = read_lock(seed / "corrections", NEXT)
    assert lock is not None and [item["record"] for item in lock.next_issue] == SEED_ORDER
    assert lock.next_issue[0] == {
        "record": "e6821b2",
        "hash": lock.next_issue[0]["hash"],
        "issue": SEED,
        "title": "LINEのトーク内容が自動で収集される？ プライバシーポリシー変更のポイント",
        "kind": "correction",
        "date": "2018-07-14T09:00:00+09:00",
        "note": lock.next_issue[0]["note"],
        "pending": False,
    }
    # History says, under each record, which later issue told its readers.
    before = run("history", SEED).output
    assert "carried by" not in run("history", NEXT).output
    for record in SEED_ORDER:
        line = next(line for line in before.splitlines() if f"  {record}  " in line)
        after = before.splitlines()[before.splitlines().index(line) + 1 :]
        carried = next(line for line in after if "carried by" in line or re.search(r"  [0-9a-f]{7}  ", line))
        assert carried.strip() == f"carried by {NEXT} (published 2026-11-20 09:00)", (record, before)
    assert run("build").exit_code == 0
    assert carried_ids(read(site / NEXT / "email.html")) == SEED_ORDER
    feed = feedparser.parse((site / "feed.atom").read_bytes())
    entry = next(e for e in feed.entries if NEXT in e.link)
    assert carried_ids(entry.content[0].value.replace("&quot;", '"')) == SEED_ORDER  # the feeds carry it too

    # A record made after publishing, even dated before it, never changes the published issue:
    # it goes to the next one.
    later = run("correct", SEED, "--kind", "addendum", "--note", "One more thing.", "--date", "2026-11-19 10:00")
    assert later.exit_code == 0, later.output
    new_id = re.search(r"\b([0-9a-f]{7})\b", read(seed / "issues" / f"{SEED}.md").split("last_correction:")[1])[1]
    write_issue(seed, "next-one", title="The next one", date="2026-12-01")
    assert run("build", "--drafts").exit_code == 0
    assert carried_ids(read(site / NEXT / "email.html")) == SEED_ORDER
    assert carried_ids(read(site / "next-one" / "email.html")) == [new_id]
    assert carried_ids(read(site / "next-one" / "web.html")) == [new_id]


def test_off_by_default_no_block_and_the_lock_format_is_unchanged(sample_publication, run, monkeypatch):
    monkeypatch.chdir(sample_publication)
    assert run("publish", NEXT, "--date", "2026-11-20 09:00").exit_code == 0
    assert "next_issue" not in yaml.safe_load(read(sample_publication / "corrections" / NEXT / "published.yml"))
    assert run("build").exit_code == 0
    assert "next-issue" not in read(sample_publication / "site" / NEXT / "email.html")
    assert "Corrections since the last issue" not in read(sample_publication / "site" / NEXT / "email.txt")


def test_the_repositorys_own_lock_still_verifies_with_its_hash_unchanged():
    stored = yaml.safe_load(read(REPO / "corrections" / SEED / "published.yml"))["hash"]
    lock = read_lock(REPO / "corrections", SEED)
    assert lock is not None and lock.hash == stored and lock.next_issue is None


def test_a_lock_whose_block_was_edited_is_refused(seed, run):
    assert run("publish", NEXT, "--date", "2026-11-20 09:00").exit_code == 0
    path = seed / "corrections" / NEXT / "published.yml"
    path.write_text(read(path).replace("kind: correction", "kind: update", 1), encoding="utf-8")
    result = run("build")
    assert result.exit_code == 1
    assert "the publication lock was edited: its hash no longer matches its text" in result.output
    # the whole block removed by hand is caught too
    text = read(path).replace("kind: update", "kind: correction", 1)
    path.write_text(text.split("next_issue:")[0] + "hash:" + text.split("\nhash:")[1], encoding="utf-8")
    assert "the publication lock was edited" in run("build").output


def test_only_records_since_the_last_issue_without_a_block_and_never_a_minor_one(pub_sent, run):
    root = pub_sent
    fix = ("correct", "hello", "--kind")
    assert run(*fix, "correction", "--note", "Before the second issue.", "--date", "2026-01-06 10:00").exit_code == 0
    write_issue(root, "second", title="Second", date="2026-01-10")
    assert run("publish", "second", "--date", "2026-01-10 09:00").exit_code == 0  # the option is still off
    switch_on(root, placement="bottom")
    assert run(*fix, "addendum", "--note", "After it.", "--date", "2026-01-12 10:00").exit_code == 0
    assert run(*fix, "minor", "--replaces", "text", "--with", "words", "--date", "2026-01-12 11:00").exit_code == 0
    write_issue(root, "third", title="Third", date="2026-01-20")
    assert run("build", "--drafts").exit_code == 0
    email = read(root / "build" / "third" / "email.html")
    assert len(carried_ids(email)) == 1 and "After it." in email and "Before the second issue." not in email
    assert "Minor" not in email
    # placement = "bottom": after the body, in the HTML and in the text
    assert email.index("Some <em") < email.index("next-issue")
    text = read(root / "build" / "third" / "email.txt")
    assert text.index("Some text") < text.index("Corrections since the last issue")


@pytest.fixture
def pub_sent(publication, monkeypatch, run):
    monkeypatch.chdir(publication)
    assert run("publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    return publication


def test_publish_refuses_while_another_issues_records_do_not_read(seed, run):
    (seed / "corrections" / SEED / "0002-8f9db28.yml").write_text("id: x\n", encoding="utf-8")
    result = run("publish", NEXT, "--date", "2026-11-20 09:00")
    assert result.exit_code == 1
    assert f"cannot work out the corrections '{NEXT}' carries ([corrections] in_next_issue)" in result.output
    assert not (seed / "corrections" / NEXT / "published.yml").exists()
    assert load_config(seed).corrections.in_next_issue


def test_the_block_passes_axe_in_a_real_browser(seed, run, browser):
    assert run("build", "--drafts").exit_code == 0  # built once, looked at in both schemes
    for scheme in ("light", "dark"):
        for name in ("email.html", "web.html"):
            page = browser.new_page(viewport={"width": 375, "height": 812}, color_scheme=scheme)
            page.goto((seed / "site" / NEXT / name).as_uri())
            assert page.locator(".next-issue .errata-item").count() == 4
            assert page.locator(".next-issue").get_attribute("aria-label") == "Corrections since the last issue"
            found = axe_findings(page, email=name == "email.html", context=".next-issue")
            page.close()
            assert found == [], (scheme, name)


def test_a_carried_note_s_image_links_the_corrected_issue_s_copy(run, tmp_path):
    """A note's ``images/shop.jpg`` is the corrected issue's file: the next issue links the copy
    that issue's build made (``hello/img/shop.<hash>.jpg``), as its notices and the corrections
    log do, not a ``images/shop.jpg`` under base_url that nothing ever publishes."""
    root = make_publication(tmp_path / "pub", inliner="css-inline")
    switch_on(root)
    photo = root / "issues" / "hello" / "shop.jpg"  # in the corrected issue's own folder
    photo.parent.mkdir(parents=True)
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 40)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    write_issue(root, "hello", title="Hello readers", body="We open at 9.\n")
    assert run("-C", str(root), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    result = run(
        "-C", str(root), "correct", "hello", "--kind", "correction", "--replaces", "at 9", "--with", "at 10",
        "--note", "The hours changed. ![Shop](shop.jpg)",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    write_issue(root, "later", title="Later issue", date="2026-02-01", body="News.\n")
    result = run("-C", str(root), "build", "--drafts")
    assert result.exit_code == 0, result.output
    copy = f"https://news.example.com/hello/img/shop.{hashlib.sha256(buffer.getvalue()).hexdigest()[:8]}.jpg"
    assert (root / "build" / "hello" / "img" / copy.rsplit("/", 1)[1]).is_file()
    for page in ("email.html", "web.html"):
        html = read(root / "build" / "later" / page)
        assert carried_ids(html), page  # the block is there
        block = html.split('class="errata next-issue"', 1)[1]
        assert f'src="{copy}"' in block and "news.example.com/shop.jpg" not in html, page
    assert not (root / "build" / "later" / "img").exists()  # the carrying issue makes no copy of its own
    # The photo the record showed replaced: the corrected issue refuses it (a silent edit), and the
    # carrying issue never links the new picture's copy, which that refused build did not make.
    original = photo.read_bytes()
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (40, 40, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    result = run("-C", str(root), "build", "--drafts")
    assert result.exit_code == 1 and "image shop.jpg (issues/hello/shop.jpg) was replaced" in result.stderr
    renamed = f"hello/img/shop.{hashlib.sha256(buffer.getvalue()).hexdigest()[:8]}.jpg"
    assert renamed not in read(root / "build" / "later" / "email.html")
    assert not (root / "build" / renamed).exists()
    photo.write_bytes(original)  # restored: the block links the copy readers received again
    assert run("-C", str(root), "build", "--drafts").exit_code == 0
    assert f'src="{copy}"' in read(root / "build" / "later" / "email.html")
