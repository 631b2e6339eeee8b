"""`notice export`: message.eml files that parse back to the built email, with newsletter headers."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import json
from pathlib import Path

import pytest

from toolkit.message import Headers, compose

from conftest import write_issue

JA_CONFIG = """\
[publication]
name = "小さなお店便り"
lang = "ja"
base_url = "https://letter.example.jp/"
timezone = "Asia/Tokyo"
sender_name = "WEB活用研究会"
sender_email = "letter@example.jp"
postal_address = "〒100-0001 東京都千代田区千代田1-1"
unsubscribe_url = "https://letter.example.jp/unsubscribe"
unsubscribe_mailto = "mailto:stop@example.jp?subject=unsubscribe"
{extra}
"""
JA_BODY = "春の営業時間のお知らせです。\n\n土曜日は十時から営業します。"
ISO = '[email]\ncharset = "iso-2022-jp"\n'


def parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def text_of(part: email.message.EmailMessage) -> str:
    """A text part's content; MIME text travels with CRLF line ends (RFC 2046 4.1.1)."""
    content = part.get_content()
    assert "\n" not in content.replace("\r\n", "")
    return content.replace("\r\n", "\n")


def expected_id(slug: str, domain: str, record: str = "") -> str:
    key = hashlib.sha256(f"{slug}\0{record}\0{domain}".encode()).hexdigest()[:16]
    return f"<{slug}.{record + '.' if record else ''}{key}@{domain}>"


def ja_publication(root: Path, run, *, extra: str = "", body: str = JA_BODY, correct: bool = True) -> Path:
    """A Japanese publication: one issue, published, and (with *correct*) one correction."""
    root.mkdir(parents=True)
    (root / "notice.toml").write_text(JA_CONFIG.format(extra=extra), encoding="utf-8")
    (root / "corrections").mkdir()
    write_issue(root, "spring", title="春のお知らせ", date="2024-03-01 10:00", body=body)
    assert run("-C", str(root), "publish", "spring", "--date", "2024-03-01 10:00").exit_code == 0
    if correct:
        result = run(
            "-C",
            str(root),
            "correct",
            "spring",
            "--kind",
            "correction",
            "--replaces",
            "十時",
            "--with",
            "十一時",
            "--note",
            "開店時刻を訂正します。",
            "--date",
            "2024-03-02 09:30",
        )
        assert result.exit_code == 0, result.output
    return root


#: 2026-10-01 12:00:00 UTC: a fixed SOURCE_DATE_EPOCH, so exports are byte-identical.
EPOCH = "1790856000"


@pytest.fixture(autouse=True)
def source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture
def ja(tmp_path: Path, run) -> Path:
    return ja_publication(tmp_path / "ja", run)


def test_export_writes_text_then_html_with_the_newsletter_headers(run, publication):
    result = run("-C", str(publication), "export", "hello")
    assert result.exit_code == 0, result.output
    folder = publication / ".notice-cache" / "export" / "hello"  # a draft: never into the published output
    assert result.stdout.startswith("Exported hello to ") and result.stdout.endswith(
        "/.notice-cache/export/hello/message.eml (a draft: built privately, not into the output folder)\n"
    )
    assert not (publication / "build" / "hello").exists()
    assert result.stderr == ""
    msg = parse(folder / "message.eml")
    assert list(msg.keys()) == [
        "From",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "Content-Language",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Content-Type",
    ]
    assert msg["From"] == "Test Sender <news@example.com>"
    assert msg["Subject"] == "Hello"
    assert msg["Date"] == "Thu, 01 Oct 2026 13:00:00 +0100"  # SOURCE_DATE_EPOCH, in Europe/London
    assert msg["Message-ID"] == expected_id("hello", "example.com")
    assert msg["List-Id"] == "Test Letter <news.example.com>"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Content-Language"] == "en"
    assert msg["List-Unsubscribe"] == "<https://news.example.com/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    assert text_of(plain) == (folder / "email.txt").read_text(encoding="utf-8")
    assert text_of(html) == (folder / "email.html").read_text(encoding="utf-8")


def test_a_japanese_issue_round_trips_and_its_notice_replies_to_it(run, ja):
    assert run("-C", str(ja), "export", "spring").stdout.endswith("and 1 correction notice\n")
    folder = ja / "build" / "spring"
    msg = parse(folder / "message.eml")
    assert msg["Subject"] == "【訂正追記有り】春のお知らせ"
    assert msg["From"].addresses[0].display_name == "WEB活用研究会"
    assert msg["From"].addresses[0].addr_spec == "letter@example.jp"
    assert msg["Date"] == "Thu, 01 Oct 2026 21:00:00 +0900"  # the export, not the issue's date
    assert msg["Content-Language"] == "ja"
    assert msg["List-Id"] == "小さなお店便り <letter.example.jp>"
    assert msg["List-Unsubscribe"] == (
        "<https://letter.example.jp/unsubscribe>, <mailto:stop@example.jp?subject=unsubscribe>"
    )
    raw = (folder / "message.eml").read_bytes()
    assert raw.startswith(b"From: =?utf-8?b?") and b"\r\nSubject: =?utf-8?b?" in raw
    plain, html = msg.iter_parts()
    assert "十一時" in text_of(plain)
    assert text_of(plain) == (folder / "email.txt").read_text(encoding="utf-8")
    assert text_of(html) == (folder / "email.html").read_text(encoding="utf-8")

    (record,) = [p.name for p in (folder / "corrections").iterdir()]
    notice = parse(folder / "corrections" / record / "message.eml")
    original = expected_id("spring", "example.jp")
    assert msg["Message-ID"] == original
    assert notice["Message-ID"] == expected_id("spring", "example.jp", record)
    assert notice["In-Reply-To"] == notice["References"] == original
    assert notice["Subject"] == "【訂正とお詫び】春のお知らせ"
    assert notice["Date"] == msg["Date"]  # sent when it is exported, like the issue
    assert notice["List-Id"] == msg["List-Id"]
    assert notice["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = notice.iter_parts()
    assert text_of(plain) == (folder / "corrections" / record / "email.txt").read_text(encoding="utf-8")
    assert text_of(html) == (folder / "corrections" / record / "email.html").read_text(encoding="utf-8")


def test_every_export_is_byte_identical(run, ja):
    folder = ja / "build" / "spring"
    assert run("-C", str(ja), "export", "spring").exit_code == 0
    first = {path: path.read_bytes() for path in folder.rglob("message.eml")}
    assert len(first) == 2
    assert run("-C", str(ja), "build", "--drafts", "--force").exit_code == 0
    assert run("-C", str(ja), "export", "spring").exit_code == 0
    assert {path: path.read_bytes() for path in folder.rglob("message.eml")} == first


def test_lines_stay_under_998_octets_even_when_the_html_has_longer_ones(run, tmp_path):
    root = ja_publication(tmp_path / "ja", run, body="長い段落です。" * 400, correct=False)
    assert run("-C", str(root), "export", "spring").exit_code == 0
    folder = root / "build" / "spring"
    assert max(len(line.encode()) for line in (folder / "email.html").read_text(encoding="utf-8").splitlines()) > 998
    raw = (folder / "message.eml").read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    plain, html = parse(folder / "message.eml").iter_parts()
    assert text_of(html) == (folder / "email.html").read_text(encoding="utf-8")


def test_iso_2022_jp_encodes_parts_and_headers_in_7bit(run, tmp_path):
    root = ja_publication(tmp_path / "ja", run, extra=ISO)
    assert run("-C", str(root), "export", "spring").exit_code == 0
    folder = root / "build" / "spring"
    raw = (folder / "message.eml").read_bytes()
    assert raw.isascii()
    assert b"\r\nSubject: =?iso-2022-jp?b?" in raw and raw.startswith(b"From: =?iso-2022-jp?b?")
    msg = parse(folder / "message.eml")
    assert msg["Subject"] == "【訂正追記有り】春のお知らせ"
    assert msg["From"].addresses[0].display_name == "WEB活用研究会"
    plain, html = msg.iter_parts()
    assert plain["Content-Type"] == 'text/plain; charset="iso-2022-jp"'
    assert plain["Content-Transfer-Encoding"] == "7bit"
    assert html.get_content_charset() == "iso-2022-jp"
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert "十一時" in text and text_of(plain) == text
    # What JIS X 0208 lacks in the HTML (the preheader's U+200C padding) becomes a character reference.
    built = (folder / "email.html").read_text(encoding="utf-8")
    assert "\u200c" in built and "&#8204;" in text_of(html)
    declared = built.replace('<meta charset="utf-8">', '<meta charset="iso-2022-jp">')
    assert text_of(html) == declared.encode("iso-2022-jp", "xmlcharrefreplace").decode("iso-2022-jp")
    notice = parse(next(folder.glob("corrections/*/message.eml")))
    assert notice["Subject"] == "【訂正とお詫び】春のお知らせ"
    assert next(notice.iter_parts())["Content-Transfer-Encoding"] == "7bit"


@pytest.mark.parametrize(
    "char, name",
    [
        ("🍣", "U+1F363 SUSHI"),
        ("髙", "U+9AD9 CJK UNIFIED IDEOGRAPH-9AD9"),
        ("①", "U+2460 CIRCLED DIGIT ONE"),
        ("～", "U+FF5E FULLWIDTH TILDE"),
    ],
)
def test_a_character_iso_2022_jp_cannot_carry_is_named_with_its_line(run, tmp_path, char, name):
    body = f"春の営業時間のお知らせです。\n\n土曜日は十時から営業します{char}"
    root = ja_publication(tmp_path / "ja", run, extra=ISO, body=body, correct=False)
    result = run("-C", str(root), "export", "spring")
    assert result.exit_code == 1
    text = (root / "build" / "spring" / "email.txt").read_text(encoding="utf-8").splitlines()
    line = next(n for n, written in enumerate(text, 1) if char in written)
    issue_line = next(
        n
        for n, written in enumerate((root / "issues" / "spring.md").read_text(encoding="utf-8").splitlines(), 1)
        if char in written
    )
    assert result.stderr.startswith("Error: ")
    assert f"build/spring/email.txt:{line}: '{char}' ({name}) cannot be carried by ISO-2022-JP\n" in result.stderr
    assert result.stderr.endswith(
        f'  hint: set [email] charset = "utf-8" in notice.toml (every current mail client '
        f"reads it), or replace '{char}' ({name}) where it is written "
        f"(spring.md:{issue_line})\n"
    )
    assert not (root / "build" / "spring" / "message.eml").exists()


def test_a_sender_name_iso_2022_jp_cannot_carry_is_shown_in_notice_toml(run, tmp_path):
    root = ja_publication(tmp_path / "ja", run, extra=ISO, correct=False)
    config = root / "notice.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("WEB活用研究会", "髙橋商店"), encoding="utf-8")
    result = run("-C", str(root), "export", "spring")
    assert result.exit_code == 1
    # The footer of the text part names the sender: the error is there, and points at notice.toml.
    assert "email.txt:14: '髙' (U+9AD9 CJK UNIFIED IDEOGRAPH-9AD9) cannot be carried by ISO-2022-JP" in result.stderr
    assert result.stderr.endswith("where it is written (notice.toml:6)\n")


def test_no_sender_email_is_a_clear_error(run, publication):
    config = publication / "notice.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('sender_email = "news@example.com"\n', ""), encoding="utf-8"
    )
    result = run("-C", str(publication), "export", "hello")
    assert result.exit_code == 1
    # The line of [publication], where the key belongs, as `check` reports it (issue 14).
    assert "notice.toml:1: sender_email is not set: a message needs a From address\n" in result.stderr
    assert result.stderr.endswith('  hint: add it under [publication], e.g. sender_email = "letter@example.com"\n')
    assert not (publication / "build").exists()


def test_a_build_error_is_the_error(run, publication):
    write_issue(publication, "broken", raw="---\ntitle: Broken\ndate: 2018-02-30\n---\nbody\n")
    result = run("-C", str(publication), "export", "broken")
    assert result.exit_code == 1
    assert "broken.md:3: '2018-02-30' is not a real date" in result.stderr
    assert not (publication / "build" / "broken").exists()


def test_an_unknown_issue_is_named(run, publication):
    result = run("-C", str(publication), "export", "helo")
    assert result.exit_code == 1
    assert "no issue 'helo' in issues/ (did you mean 'hello'?)" in result.stderr


def test_without_an_https_unsubscribe_url_there_is_no_one_click_header(run, publication):
    config = publication / "notice.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("https://news.example.com/unsubscribe", "http://news.example.com/unsubscribe"), encoding="utf-8"
    )
    result = run("-C", str(publication), "export", "hello")
    assert result.exit_code == 0
    assert "Warning: " in result.stderr and "is not https: the message has no one-click unsubscribe" in result.stderr
    assert "notice.toml:9: unsubscribe_url 'http://news.example.com/unsubscribe' is not https" in result.stderr
    msg = parse(publication / ".notice-cache" / "export" / "hello" / "message.eml")
    assert msg["List-Unsubscribe"] == "<http://news.example.com/unsubscribe>"
    assert "List-Unsubscribe-Post" not in msg

    config.write_text(text.replace('unsubscribe_url = "https://news.example.com/unsubscribe"\n', ""), encoding="utf-8")
    result = run("-C", str(publication), "export", "hello")
    assert "no unsubscribe_url: the message has no one-click unsubscribe" in result.stderr
    msg = parse(publication / ".notice-cache" / "export" / "hello" / "message.eml")
    assert "List-Unsubscribe" not in msg and "List-Unsubscribe-Post" not in msg


def test_compose_folds_a_long_subject_into_encoded_words_that_decode_whole():
    subject = "とても長い件名" * 20 + " and some English words to fold"
    headers = Headers(
        subject, "Sender", "a@example.com", dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.UTC), "<x.1@example.com>", "ja"
    )
    for charset in ("utf-8", "iso-2022-jp"):
        raw = compose(headers, "本文\n", "<p>本文</p>\n", charset)
        lines = raw.split(b"\r\n")
        header_lines = lines[: lines.index(b"")]
        assert max(len(line) for line in header_lines) <= 78
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert msg["Subject"] == subject
        assert msg["Date"] == "Tue, 02 Jan 2024 03:04:00 +0000"
        assert "List-Unsubscribe" not in msg


def test_an_unsubscribe_url_must_be_ascii(run, publication):
    config = publication / "notice.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("/unsubscribe", "/配信停止"), encoding="utf-8")
    result = run("-C", str(publication), "export", "hello")
    assert result.exit_code == 1
    assert "notice.toml:9: unsubscribe_url must be a URL of plain ASCII, without spaces or <>\n" in result.stderr


def test_help_imports_no_mail_module():
    import subprocess
    import sys

    code = (
        "import sys, runpy; sys.argv = ['notice', '--help']\n"
        "try:\n    runpy.run_module('toolkit', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "print('MODULES', *sorted(sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.rsplit("MODULES", 1)[1].split())
    assert "toolkit.cli.mail" in loaded
    assert not loaded & {"smtplib", "ssl", "email", "email.message", "quopri", "toolkit.message", "toolkit.sending"}


def test_messages_are_pruned_with_their_issue_and_never_left_stale(run, publication):
    write_issue(publication, "hello", status="published")  # a published issue's message goes into the output
    assert run("-C", str(publication), "export", "hello").exit_code == 0
    eml = publication / "build" / "hello" / "message.eml"
    assert eml.is_file()
    write_issue(publication, "hello", title="Hello, edited", status="published")
    assert run("-C", str(publication), "build").exit_code == 0
    assert not eml.exists()  # rebuilt from new text: the old message would be stale
    assert run("-C", str(publication), "export", "hello").exit_code == 0
    (publication / "issues" / "hello.md").unlink()
    write_issue(publication, "other", title="Other")
    assert run("-C", str(publication), "build", "--drafts").exit_code == 0
    assert not (publication / "build" / "hello").exists()


def test_a_subject_too_long_to_fold_names_the_header(run, publication):
    write_issue(publication, "hello", title="A" * 1200)
    result = run("-C", str(publication), "export", "hello")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the Subject header has a line over 998 octets" in result.stderr


# --- honest headers (issue 10) ------------------------------------------------------------------


def test_without_source_date_epoch_the_date_is_the_export_time(run, publication, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    assert run("-C", str(publication), "export", "hello").exit_code == 0
    after = dt.datetime.now(dt.UTC)
    folder = publication / ".notice-cache" / "export" / "hello"  # a draft's, built privately
    date = parse(folder / "message.eml")["Date"].datetime
    assert before <= date <= after and (after - date) < dt.timedelta(minutes=1)
    # The issue's own date (5 January 2026) is still what the body says.
    assert "January 5, 2026" in (folder / "email.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("value", ["soon", "-5", "1e9", "99999999999999999999"])
def test_a_malformed_source_date_epoch_is_a_clear_error(run, publication, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = run("-C", str(publication), "export", "hello")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"SOURCE_DATE_EPOCH '{value}' is " in result.stderr
    assert not (publication / "build" / "hello" / "message.eml").exists()


def test_the_iso_2022_jp_html_part_declares_its_own_charset(run, tmp_path):
    root = ja_publication(tmp_path / "ja", run, extra=ISO, correct=False)
    assert run("-C", str(root), "export", "spring").exit_code == 0
    folder = root / "build" / "spring"
    built = (folder / "email.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in built  # the file on disk is UTF-8 and says so
    _, html = parse(folder / "message.eml").iter_parts()
    part = text_of(html)
    assert '<meta charset="iso-2022-jp">' in part and "utf-8" not in part.lower()
    assert part == built.replace('<meta charset="utf-8">', '<meta charset="iso-2022-jp">').encode(
        "iso-2022-jp", "xmlcharrefreplace"
    ).decode("iso-2022-jp")


def test_a_utf8_html_part_is_the_built_file_unchanged(run, ja):
    assert run("-C", str(ja), "export", "spring").exit_code == 0
    _, html = parse(ja / "build" / "spring" / "message.eml").iter_parts()
    assert text_of(html) == (ja / "build" / "spring" / "email.html").read_text(encoding="utf-8")


def test_the_list_id_is_iso_2022_jp_encoded_with_that_charset(run, tmp_path):
    root = ja_publication(tmp_path / "ja", run, extra=ISO, correct=False)
    assert run("-C", str(root), "export", "spring").exit_code == 0
    raw = (root / "build" / "spring" / "message.eml").read_bytes()
    assert b"\r\nList-Id: =?iso-2022-jp?b?" in raw and b"<letter.example.jp>" in raw
    assert parse(root / "build" / "spring" / "message.eml")["List-Id"] == "小さなお店便り <letter.example.jp>"


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
def test_the_preheader_is_hidden_without_colour_or_tiny_text(tmp_path, run, inliner):
    import lxml.html

    from conftest import make_publication

    root = make_publication(tmp_path / "pub", inliner=inliner)
    write_issue(root, "hello")
    assert run("-C", str(root), "build", "--drafts").exit_code == 0
    tree = lxml.html.fromstring((root / "build" / "hello" / "email.html").read_bytes())
    (preheader,) = tree.find_class("preheader")
    style = {
        k.strip(): v.strip() for k, _, v in (d.partition(":") for d in preheader.get("style").split(";")) if k.strip()
    }
    assert preheader.get("aria-hidden") == "true"  # and from screen readers
    assert {"display": "none", "max-height": "0", "overflow": "hidden", "mso-hide": "all"}.items() <= style.items()
    assert not {"color", "font-size", "line-height", "background-color"} & style.keys()


def test_a_text_only_magazine_exports_one_text_plain_part(run, tmp_path):
    root = ja_publication(tmp_path / "ja", run, extra='[email]\nformat = "text"\n')
    assert run("-C", str(root), "export", "spring").exit_code == 0
    folder = root / "build" / "spring"
    for path in folder.rglob("message.eml"):
        msg = parse(path)
        assert msg.get_content_type() == "text/plain" and not msg.is_multipart()
        assert msg["List-Id"] and msg["Subject"]
        assert text_of(msg) == (path.parent / "email.txt").read_text(encoding="utf-8")


def test_a_text_only_magazine_is_checked_as_text(run, tmp_path):
    root = ja_publication(
        tmp_path / "ja",
        run,
        extra='[email]\nformat = "text"\n',
        body="①番の窓口へ。 ![](https://news.example.com/x.png)",
        correct=False,
    )
    result = run("-C", str(root), "check", "--format", "json")
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert "machine-dependent" in rules and not rules & {"image-alt", "image-width", "client-support"}
