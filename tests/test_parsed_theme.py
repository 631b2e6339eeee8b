"""premailer's parse of the theme kept in .notice-cache/premailer.marshal (toolkit.parsed_theme):
served to the next process, and never when it was written by another premailer, cssutils or
set of options, or damaged. Each build here runs as its own process, as `notice build` does:
within one process premailer keeps its parse in memory anyway."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit.inline import _rules_header
from toolkit.parsed_theme import MAX_KEPT, KeptRules, is_plain
from toolkit.patterns import read_file, write_file
from toolkit.stale import theme_dir

from conftest import REPO, write_issue

#: A declaration the theme does not have, put into a kept parse to see whether it is served.
MARK = "outline:7px dotted"


def build_in_a_process(root: Path) -> str:
    """`notice build --force` of *root* as a process of its own; its email.html."""
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "-C", str(root), "-q", "build", "--drafts", "--force"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    return (root / "build" / "hello" / "email.html").read_text(encoding="utf-8")


def kept(root: Path) -> Path:
    return root / ".notice-cache" / "premailer.marshal"


def marked(entries: dict) -> dict:
    """*entries* with MARK added to the declarations of the theme's `body` rule."""
    changed = {}
    for key, (rules, leftover) in entries.items():
        rules = [(s, sel, f"{bulk};{MARK}" if sel == "body" else bulk) for s, sel, bulk in rules]
        changed[key] = (rules, leftover)
    return changed


def test_the_next_process_is_served_the_kept_parse(publication):
    first = build_in_a_process(publication)
    entries = read_file(kept(publication), _rules_header())
    assert entries and all(is_plain(value) for value in entries.values())
    assert any("body" in css for css, _ in entries), entries.keys()
    assert MARK not in first
    write_file(kept(publication), marked(entries), _rules_header())
    assert MARK.replace(" ", "") in build_in_a_process(publication).replace(" ", "")  # served, not parsed again


@pytest.mark.parametrize("spoil", ["another premailer", "other options", "a damaged byte", "not marshal"])
def test_a_parse_kept_under_another_header_or_damaged_is_parsed_again_and_rewritten(publication, spoil):
    first = build_in_a_process(publication)
    header = _rules_header()
    entries = read_file(kept(publication), header)
    assert entries
    path = kept(publication)
    if spoil == "another premailer":
        write_file(path, marked(entries), (*header[:3], "0.0.1", *header[4:]))
    elif spoil == "other options":
        write_file(path, marked(entries), (*header[:-1], header[-1].replace("False", "True", 1)))
    elif spoil == "a damaged byte":
        write_file(path, marked(entries), header)
        data = bytearray(path.read_bytes())
        data[-40] ^= 0x01  # inside the entries, past the digest: a literal changed into another
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(b"not a marshal file")
    assert build_in_a_process(publication) == first
    assert read_file(path, header) == entries  # parsed again, and kept anew


def test_an_edited_theme_is_parsed_again(publication):
    build_in_a_process(publication)
    (publication / "templates").mkdir(exist_ok=True)
    theme = (theme_dir() / "email.css").read_text(encoding="utf-8")
    (publication / "templates" / "email.css").write_text(theme + "\nbody { outline: 3px solid #123456; }\n", "utf-8")
    html = build_in_a_process(publication)
    assert "#123456" in html  # the edited theme's parse, not the kept one of the old theme
    entries = read_file(kept(publication), _rules_header())
    assert entries and any("#123456" in css for css, _ in entries)


def test_only_plain_parses_are_kept(tmp_path):
    rules = KeptRules()
    rules.load(tmp_path / "premailer.marshal")
    assert rules.get(("p { color: red }", 0), ("h",)) is None
    rules.put(("p { color: red }", 0), ([((0, 0, 0, 1, 0, 0), "p", "color:red")], [("a:hover", "color:blue")]))
    rules.put(("@media x {}", 0), ([], [object()]))  # a cssutils rule object: never kept
    rules.save()
    assert read_file(tmp_path / "premailer.marshal", ("h",)) == {
        ("p { color: red }", 0): ([((0, 0, 0, 1, 0, 0), "p", "color:red")], [("a:hover", "color:blue")])
    }
    assert not is_plain(([("body", "x")], []))  # a rule without its specificity
    assert not is_plain(([((0, "1"), "p", "x")], []))


def test_the_oldest_sheets_give_way_in_memory_too(tmp_path):
    """A preview's theme edits each make a new sheet: past MAX_KEPT the oldest go, in the
    process as in the file, so a long session does not hold every version of the theme."""
    rules = KeptRules()
    rules.load(tmp_path / "premailer.marshal")
    assert rules.get(("p {}", 0), ("h",)) is None
    for n in range(MAX_KEPT + 3):
        rules.put((f"p.v{n} {{}}", 0), ([((0, 0, 0, 1, 1, 0), f"p.v{n}", "color:red")], []))
    assert rules.entries is not None
    assert list(rules.entries) == [(f"p.v{n} {{}}", 0) for n in range(3, MAX_KEPT + 3)]
    rules.save()
    assert list(read_file(tmp_path / "premailer.marshal", ("h",)) or {}) == list(rules.entries)


def test_without_package_metadata_the_theme_is_parsed_and_nothing_is_kept(tmp_path, monkeypatch):
    """A copy of premailer without its metadata (vendored, frozen) cannot tell an upgrade:
    its parse is neither served nor kept, and inlining works as without the file."""
    import importlib.metadata

    from toolkit import inline
    from toolkit.parsed_theme import RULES

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    for name in ("path", "header", "entries", "new"):
        monkeypatch.setattr(RULES, name, getattr(RULES, name))  # put back after the test
    monkeypatch.setattr(importlib.metadata, "version", missing)
    inline._rules_header.cache_clear()
    try:
        RULES.load(tmp_path / "premailer.marshal")
        html = inline.inline_css(
            "<html><head><style>p.only-here { color: #123456 }</style></head>"
            '<body><p class="only-here">x</p></body></html>',
            engine="premailer",
        )
        RULES.save()
    finally:
        inline._rules_header.cache_clear()
    assert "color:#123456" in html
    assert not RULES.entries
    assert not (tmp_path / "premailer.marshal").exists()


def test_a_build_through_the_workers_keeps_their_parse(publication):
    """When the workers render, the build's own process parses no theme: the workers keep what
    their warm-up parsed, so a publication that only ever builds many issues gains too."""
    for n in range(12):
        write_issue(publication, f"more-{n:02d}", title=f"More {n}", body=f"Issue {n}.")
    done = subprocess.run(
        [sys.executable, "-m", "toolkit", "-C", str(publication), "-q", "build", "--drafts", "--force", "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    entries = read_file(kept(publication), _rules_header())
    assert entries and any("body" in css for css, _ in entries), entries
