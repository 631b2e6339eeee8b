"""Shared fixtures: real publications in tmp_path, and the CLI driven through CliRunner."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from toolkit.cli import cli

REPO = Path(__file__).resolve().parent.parent

CONFIG = """\
[publication]
name = "Test Letter"
lang = "en"
base_url = "https://news.example.com/"
timezone = "Europe/London"
sender_name = "Test Sender"
sender_email = "news@example.com"
postal_address = "1 Example Street, London"
unsubscribe_url = "https://news.example.com/unsubscribe"

[build]
out = "build"
text_width = 70
inliner = "{inliner}"
"""

ISSUE = """\
---
title: {title}
date: {date}
status: {status}
preheader: A short preview line.
---

{body}
"""


def write_issue(
    root: Path,
    slug: str,
    *,
    title: str = "Hello",
    date: str = "2026-01-05",
    status: str = "draft",
    body: str = "Some *text* with a [link](page.html).",
    raw: str | None = None,
) -> Path:
    """Write issues/<slug>.md: either from the fields or *raw* text as given."""
    path = root / "issues" / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = raw if raw is not None else ISSUE.format(title=title, date=date, status=status, body=body)
    path.write_text(textwrap.dedent(text) if raw is not None else text, encoding="utf-8")
    return path


#: `make_publication`'s unsubscribe_url when none is asked for.
UNSUBSCRIBE = "https://news.example.com/unsubscribe"


def make_publication(
    root: Path, *, inliner: str = "premailer", service: str | None = None, unsubscribe: str | None = UNSUBSCRIBE
) -> Path:
    """A publication in *root*; *service* sets ``[email] service``, *unsubscribe* the
    unsubscribe_url (a merge tag, say), None leaves the key out."""
    root.mkdir(parents=True, exist_ok=True)
    text = CONFIG.format(inliner=inliner)
    if unsubscribe != UNSUBSCRIBE:
        line = "" if unsubscribe is None else f"unsubscribe_url = {json.dumps(unsubscribe)}\n"
        text = text.replace(f'unsubscribe_url = "{UNSUBSCRIBE}"\n', line)
    if service is not None:
        text += f'\n[email]\nservice = "{service}"\n'
    (root / "notice.toml").write_text(text, encoding="utf-8")
    (root / "issues").mkdir(exist_ok=True)
    (root / "corrections").mkdir(exist_ok=True)
    return root


@pytest.fixture
def publication(tmp_path: Path) -> Path:
    """An English publication with one draft issue, using the built-in theme."""
    root = make_publication(tmp_path / "pub")
    write_issue(root, "hello")
    return root


@pytest.fixture
def sample_publication(tmp_path: Path) -> Path:
    """A copy of the repository's own sample publication."""
    root = tmp_path / "sample"
    root.mkdir()
    shutil.copy(REPO / "notice.toml", root / "notice.toml")
    shutil.copytree(REPO / "issues", root / "issues")
    shutil.copytree(REPO / "corrections", root / "corrections")
    return root


@pytest.fixture
def seed_publication(tmp_path: Path) -> Path:
    """The sample publication as it was before notice knew of the LINE issue: the issue marked
    published by hand, no lock, no correction records and no line naming the last one yet (the
    seed case's starting point)."""
    root = tmp_path / "seed"
    root.mkdir()
    shutil.copy(REPO / "notice.toml", root / "notice.toml")
    shutil.copytree(REPO / "issues", root / "issues")
    (root / "corrections").mkdir()
    issue = root / "issues" / "2018-07-13-line-privacy.md"
    lines = issue.read_text(encoding="utf-8").splitlines(keepends=True)
    issue.write_text(
        "".join(line for line in lines if not line.startswith(("published:", "last_correction:"))), encoding="utf-8"
    )
    return root


@pytest.fixture
def run():
    """Run `notice ARGS...` in-process; returns click's Result (stdout and stderr apart)."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False, env={"NO_COLOR": "1"})

    return invoke


BROWSER_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    """Debian's Chromium on PATH. Locally a missing one skips browser tests; under CI it fails them."""
    import os

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = (
            "BROWSER TESTS NOT RUN: no `chromium` on PATH. Install it with `apt-get install chromium fonts-noto-cjk`."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the `browser` fixture (directly or through another) is a browser
    test, so `-m "not browser"` leaves them all out without each one being marked by hand."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (a start costs ~1.5 s); a new page per test."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_FLAGS)
        yield launched
        launched.close()


#: axe's two landmark rules an email breaks by design, and the one element where: it is shown
#: inside the mail client's own page, which has the main landmark, so the email is one
#: `<div role="article">` (the Email Markup Consortium's wrapper), and a `<main>` of its own
#: would be a second one in a webmail.
EMAIL_LANDMARKS = {"landmark-one-main": "html", "region": 'div[role="article"]'}


def axe_findings(page, *, email: bool, context: str | None = None) -> list[str]:
    """What axe-core finds on *page* (within *context*), of every impact, minor and moderate
    too; an email may break `EMAIL_LANDMARKS`, at that element and nowhere else."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page, context=context).response["violations"]
    found = []
    for violation in violations:
        targets = [node["target"] for node in violation["nodes"]]
        allowed = EMAIL_LANDMARKS.get(violation["id"]) if email else None
        if allowed and all(
            len(target) == 1
            and page.evaluate(
                "([t, a]) => document.querySelector(t) === document.querySelector(a)", [target[0], allowed]
            )
            for target in targets
        ):
            continue
        found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found
