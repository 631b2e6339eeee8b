r"""A spam filter's verdict on every message of the sample publication (issue 10).

Each issue and each correction notice of the sample, in UTF-8 and in ISO-2022-JP, is exported,
given what delivery adds (the `To:` a list manager writes, as `notice send` does, and the
`Received:` line of a local Exim delivery, stamped now, so that SpamAssassin compares `Date:`
with the time it arrived), and scored by Debian's SpamAssassin with local tests only
(``spamassassin -L -t``). All messages go through one run (``--mbox``): starting SpamAssassin
costs seconds, scoring a message a fraction of one.

A message passes with a score under 1.0 and no hit from a rule that its content or headers
control. SUBJ_ALL_CAPS on a subject without lower-case letters (Japanese has no case: the
heuristic sees 「LINEのプライバシーポリシー変更について」 as all capitals) is a known false
positive of that rule, and allowed. So is OBFUSCATING_COMMENT on an ISO-2022-JP message: its
raw-body pattern ``\w(?:<![^>]*>)+\w`` reads 7-bit JIS bytes as an HTML comment (次 is the bytes
``<!``), in the text part as in the HTML one, and its guard for ISO-2022-JP (``__ISO_2022_JP_DELIM``,
ESC $ B in the body) never holds in SpamAssassin 4, which converts the body to UTF-8 before
its body rules run. It scores 0 without Bayes and network tests, 0.72 with both; only the
charset avoids it (UTF-8 does).

Without spamassassin the test is skipped with a loud reason; under CI=true it fails instead.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import re
import shutil
import subprocess
from email.utils import format_datetime
from pathlib import Path

import pytest

from conftest import REPO

#: What the environment decides, not the message: informational rules and the HTML part's being there.
ALLOWED = {"HTML_MESSAGE", "NO_RELAYS", "NO_RECEIVED"}
#: Rules (and the sub-rules metas are built of) that the message's content or headers control:
#: none may hit. Hidden text by colour or size, dates, parts that disagree, long lines.
CONTROLLED = re.compile(
    r"_*(HTML_FONT_LOW_CONTRAST|DATE_IN_(PAST|FUTURE)|MPART_ALT_DIFF|MIME_HTML_|HTML_IMAGE_"
    r"|LONGLINE|HTML_FONT_TINY|AC_TINY_FONT|FONT_INVIS|STY_INVIS_(MANY|[2-9])|MIME_QP_LONG_LINE"
    r"|HTML_SHORT_LINK|HTML_OBFUSCATE|HTML_TAG_BALANCE|MISSING_(DATE|MID|FROM|SUBJECT)"
    r"|INVALID_DATE|MIME_BAD|MIME_CHARSET_FARAWAY|CHARSET_FARAWAY)"
)
LIMIT = 1.0
ISO = '\n[email]\ncharset = "iso-2022-jp"\n'


def spamassassin() -> str:
    found = shutil.which("spamassassin")
    if found is None:
        reason = "SPAM FILTER TEST NOT RUN: no `spamassassin` on PATH. Install it with `apt-get install spamassassin`."
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def sample(root: Path, charset: str) -> Path:
    root.mkdir(parents=True)
    config = (REPO / "notice.toml").read_text(encoding="utf-8")
    (root / "notice.toml").write_text(config + (ISO if charset == "iso-2022-jp" else ""), encoding="utf-8")
    shutil.copytree(REPO / "issues", root / "issues")
    shutil.copytree(REPO / "corrections", root / "corrections")
    return root


def delivered(message: bytes, now: dt.datetime) -> bytes:
    """The message as a mailbox holds it after delivery: Received (now) and To on top, LF ends."""
    received = (
        "Received: from letter by mx.example.net with local (Exim 4.96)\r\n"
        "\t(envelope-from <letter@example.jp>)\r\n\tid 1tSpAm-000001-Aa\r\n"
        f"\tfor reader@example.net; {format_datetime(now)}\r\n"
    )
    data = (received + "To: reader@example.net\r\n").encode("ascii") + message
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    # mboxrd: a body line starting with From (or >From) gains one more >.
    return b"\n".join(b">" + line if re.match(rb">*From ", line) else line for line in lines)


def verdicts(program: str, messages: list[bytes], home: Path) -> list[tuple[float, set[str]]]:
    """Score each message: its score and every rule and sub-rule that hit, in input order."""
    keys = []
    for data in messages:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        charset = next(msg.walk()).get_content_charset() or next(msg.iter_parts()).get_content_charset()
        keys.append((str(msg["Message-ID"]), charset))
    assert len(set(keys)) == len(keys)
    mbox = b"".join(b"From letter@example.jp Tue Dec  1 00:00:00 2026\n" + m.rstrip(b"\n") + b"\n\n" for m in messages)
    prefs = home / "user_prefs"
    prefs.write_text("", encoding="ascii")
    result = subprocess.run(
        [program, "-L", "-t", "--mbox", "-p", str(prefs), "-D", "rules,check"],
        input=mbox,
        capture_output=True,
        timeout=600,
        env={**os.environ, "HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-2000:]
    log = result.stderr.decode("utf-8", "replace")
    # Each message's log ends with its verdict: what hit before "is spam?" (and after the last
    # verdict) is that message's.
    pieces = re.split(r"dbg: check: is spam\? score=(-?[\d.]+)", log)
    found = {}
    for chunk, score in zip(pieces[0::2], pieces[1::2]):
        # SpamAssassin sorts an mbox by date: each verdict is matched to its message by the
        # Message-ID (and the charset, which the two copies of a message differ in).
        msgid = re.search(r'rule __SANE_MSGID =+> got hit: "(<[^"]+>)', chunk)
        charset = "iso-2022-jp" if re.search(r"iso-2022-jp", chunk, re.I) else "utf-8"
        assert msgid, chunk[-2000:]
        hits = set(re.findall(r"dbg: rules: ran \w+ rule (\S+) =+> got hit", chunk))
        found[(msgid[1], charset)] = (float(score), hits)
    assert len(found) == len(messages)
    return [found[key] for key in keys]


def test_every_sample_message_scores_under_one_with_no_hit_the_message_controls(run, tmp_path):
    program = spamassassin()
    messages: list[tuple[str, bytes]] = []
    for charset in ("utf-8", "iso-2022-jp"):
        root = sample(tmp_path / charset, charset)
        for slug in sorted(path.stem for path in (root / "issues").glob("*.md")):
            result = run("-C", str(root), "export", slug)
            assert result.exit_code == 0, result.output
        # A published issue's messages land in the output folder, a draft's in its private export (issue 9).
        for folder in (root / "site", root / ".notice-cache" / "export"):
            for path in sorted(folder.rglob("message.eml")):
                messages.append((f"{charset} {path.relative_to(root)}", path.read_bytes()))
    assert len(messages) == 12  # two issues, four correction notices, in two charsets

    now = dt.datetime.now(dt.UTC)
    home = tmp_path / "home"
    home.mkdir()
    failures = []
    for (name, data), (score, hits) in zip(messages, verdicts(program, [delivered(d, now) for _, d in messages], home)):
        subject = str(email.message_from_bytes(data, policy=email.policy.default)["Subject"])
        allowed = set(ALLOWED)
        if not any(char.islower() for char in subject):  # no case to judge: a CJK subject
            allowed.add("SUBJ_ALL_CAPS")
        if name.startswith("iso-2022-jp"):  # JIS bytes read as a comment: see the module's docstring
            allowed.add("OBFUSCATING_COMMENT")
        scored = {hit for hit in hits if not hit.startswith("__")}
        controlled = sorted(hit for hit in hits if CONTROLLED.match(hit))
        if score >= LIMIT or scored - allowed or controlled:
            failures.append(f"{name}: score {score}, rules {sorted(scored - allowed)}, controlled {controlled}")
    assert not failures, "\n".join(failures)


def test_the_filter_sees_what_the_old_messages_did_wrong(tmp_path):
    """The check can fail: a Date days before delivery, and a preheader in the background's
    colour at 1 px, are caught (the two causes issue 10 measured)."""
    program = spamassassin()
    now = dt.datetime.now(dt.UTC)
    old = format_datetime(now - dt.timedelta(days=30))
    html = (
        '<html><body><div style="color:#ffffff; background-color:#ffffff; font-size:1px;">hidden words</div>'
        "<p>Hello, this is the newsletter.</p></body></html>"
    )
    message = (
        f"From: Letter <letter@example.jp>\r\nSubject: Hello\r\nDate: {old}\r\n"
        "Message-ID: <a.1@example.jp>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHello, this is the newsletter.\r\n--b\r\n"
        f"Content-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n--b--\r\n"
    ).encode("ascii")
    home = tmp_path / "home"
    home.mkdir()
    ((score, hits),) = verdicts(program, [delivered(message, now)], home)
    assert "DATE_IN_PAST_96_XX" in hits and "__HTML_FONT_TINY_01" in hits
    assert score >= LIMIT
