"""Golden outputs: the sample publication's plain-text parts, as a human read and approved them.

The plain text is what Japanese mail-magazine readers often see, and the place where width,
kinsoku, link numbering, errata and footers all meet. After a deliberate change, refresh the
files with `NOTICE_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and read the diff
before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolkit.build import build
from toolkit.config import load_config

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "line-privacy.email.txt": "2018-07-13-line-privacy/email.txt",
    "line-privacy.correction-notice.email.txt": "2018-07-13-line-privacy/corrections/{correction}/email.txt",
    "pre-send-checklist.email.txt": "pre-send-checklist/email.txt",
    # the LINE broadcast and the X post of the issue and of its correction (issue 12, item 4)
    "line-privacy.line.txt": "2018-07-13-line-privacy/line.txt",
    "line-privacy.post.txt": "2018-07-13-line-privacy/post.txt",
    "line-privacy.correction-notice.line.txt": "2018-07-13-line-privacy/corrections/{correction}/line.txt",
    "line-privacy.correction-notice.post.txt": "2018-07-13-line-privacy/corrections/{correction}/post.txt",
    "pre-send-checklist.post.txt": "pre-send-checklist/post.txt",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    import shutil

    from conftest import REPO

    root = tmp_path_factory.mktemp("golden")
    shutil.copy(REPO / "notice.toml", root / "notice.toml")
    shutil.copytree(REPO / "issues", root / "issues")
    shutil.copytree(REPO / "corrections", root / "corrections")
    report = build(load_config(root), drafts=True)  # the sample's draft has a golden file too
    assert report.ok, [e.format() for e in report.errors]
    return root / "site"


@pytest.mark.parametrize("golden", sorted(CASES))
def test_sample_plain_text_matches_the_reviewed_output(site, golden):
    correction = next(
        r.name
        for r in (site / "2018-07-13-line-privacy" / "corrections").iterdir()
        if "【訂正とお詫び】" in (r / "email.txt").read_text(encoding="utf-8")
    )
    actual = (site / CASES[golden].format(correction=correction)).read_text(encoding="utf-8")
    path = GOLDEN / golden
    if os.environ.get("NOTICE_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
