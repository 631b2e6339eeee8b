"""Delivery records (`notice sent`) and the combined notice (`notice export --pending-notices`), issue 12.

The seed case first, as the issue tells it: publish, mark the issue sent on email and LINE, add
a correction and a pending addendum, check warns for both; export one notice of both, mark it
sent, check is quiet. Then what must be refused, and a delivery record edited or removed by hand.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_schema import table_after

from toolkit.deliveries import CHANNELS, Delivery, combined_id, read_deliveries
from toolkit.schema import markdown_rows, spec_of
from toolkit.source import read_issue

from conftest import REPO

SLUG = "2018-07-13-line-privacy"
WRONG = "LINE@は公式アカウントとは別のサービスなので、LINE@でのお客様とのトーク内容は収集の対象になりません。"
RIGHT = "LINE@も「公式アカウント」に含まれるため、LINE@でのお客様とのトーク内容も収集の対象になります。"
NOTE = "LINE社の詳細情報に、LINE@も「公式アカウント」に含まれるとありました。お詫びして訂正します。"
ASKED = "LINE社に問い合わせ中です。回答が届きしだい追記します。"


@pytest.fixture
def notice(seed_publication, run, monkeypatch):
    """`notice ARGS...` in the seed publication; asserts the exit status it is told to expect."""
    monkeypatch.chdir(seed_publication)

    def invoke(*args: str, status: int = 0):
        result = run(*args)
        assert result.exit_code == status, result.output
        return result

    return invoke


@pytest.fixture
def announced(notice):
    """The seed issue published, sent on email and LINE, then corrected and given a pending addendum:
    returns the two record ids."""
    notice("publish", SLUG, "--date", "2018-07-13 10:00")
    notice("sent", SLUG, "--channel", "email", "--channel", "line", "--date", "2018-07-13 10:00")
    fixed = notice(
        "correct", SLUG, "--kind", "correction", "--replaces", WRONG, "--with", RIGHT, "--note", NOTE,
        "--date", "2018-07-14 09:00",
    ).stdout.split()[2]  # fmt: skip
    asked = notice(
        "correct", SLUG, "--kind", "addendum", "--pending", "--note", ASKED, "--date", "2018-07-14 09:05"
    ).stdout.split()[2]
    return fixed, asked


def unsent(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.endswith("[notice-unsent]")]


def test_the_seed_case_every_reader_hears_of_every_record(notice, announced, seed_publication):
    fixed, asked = announced
    # Check warns for both records, on both channels, naming the command to run.
    checked = notice("check", SLUG)
    assert unsent(checked) == [
        f"corrections/{SLUG}/0002-{fixed}.yml:1: warning: the notice of correction {fixed} (2018-07-14) has not "
        "gone out on email, line, where the issue went out [notice-unsent]",
        f"corrections/{SLUG}/0003-{asked}.yml:1: warning: the notice of addendum {asked} (2018-07-14) has not "
        "gone out on email, line, where the issue went out [notice-unsent]",
    ]
    assert f"`notice sent {SLUG} --notice {fixed} --channel email --channel line`" in checked.stdout
    assert notice("list").stdout.splitlines()[-1].split()[3:6] == ["2", "(2", "unsent)"]

    # One notice for both, the correction first, threaded to the original issue.
    exported = notice("export", SLUG, "--pending-notices")
    combined = combined_id([fixed, asked])
    assert exported.stdout.startswith(
        f"Exported one notice of 2 records ({fixed}, {asked}) to "
        f"site/{SLUG}/corrections/combined-{combined}/message.eml\n"
        f"  once it is sent: notice sent {SLUG} --notice {combined} --channel ...\n"
    )
    folder = seed_publication / "site" / SLUG / "corrections" / f"combined-{combined}"
    message = email.message_from_bytes((folder / "message.eml").read_bytes(), policy=email.policy.default)
    assert not (seed_publication / "site" / SLUG / "message.eml").exists()  # only the combined notice was asked for
    assert message["Subject"].startswith("【訂正とお詫び】LINEのトーク内容")
    assert message["In-Reply-To"] == message["References"]
    assert message["In-Reply-To"].startswith(f"<{SLUG}.") and f".{combined}." in message["Message-ID"]
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert (
        text.index("【訂正】2018年7月14日") < text.index("収集の対象になります") < text.index("【追記】2018年7月14日")
    )
    assert text.index("【追記】2018年7月14日") < text.index("問い合わせ中") < text.index("(確認中)")
    assert text.count("https://letter.example.jp/2018-07-13-line-privacy/web.html") == 1  # one link
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert html.count('class="button"') == 1 and f"#correction-{fixed}" in html
    assert "<del" in html and "<ins" in html and "ご迷惑をおかけし" in html

    # Marking the combined notice sent marks both records: check is quiet, history says where and when.
    sent = notice("sent", SLUG, "--notice", combined, "--channel", "email", "--channel", "line",
                  "--date", "2018-07-15 10:00")  # fmt: skip
    assert sent.stdout.startswith(
        f"Recorded the notices of {fixed}, {asked} as sent on email, line at 2018-07-15 10:00 +0900"
    )
    assert unsent(notice("check", SLUG)) == []
    assert notice("list").stdout.splitlines()[-1].split()[3] == "2"
    history = notice("history", SLUG).stdout
    assert history.count("notice sent: email 2018-07-15 10:00, line 2018-07-15 10:00") == 2
    assert "the issue on email, line" in history and f"(combined {combined}) on email, line" in history
    notice("export", SLUG, "--pending-notices", status=1)


def test_a_notice_sent_on_one_channel_is_still_owed_on_the_other(notice, announced):
    fixed, asked = announced
    notice("sent", SLUG, "--notice", fixed, "--date", "2018-07-14 12:00")  # email, the default channel
    warned = unsent(notice("check", SLUG))
    assert len(warned) == 2 and f"correction {fixed} (2018-07-14) has not gone out on line," in warned[0]
    history = notice("history", SLUG).stdout
    assert "notice sent: email 2018-07-14 12:00  NOT YET ON line" in history
    assert "notice not sent  NOT YET ON email, line" in history
    # The email export of what email readers have not had leaves the correction out.
    only = notice("export", SLUG, "--pending-notices", "--channel", "email").stdout
    assert f"one notice of 1 record ({asked})" in only
    assert f"one notice of 2 records ({fixed}, {asked})" in notice("export", SLUG, "--pending-notices").stdout


def test_a_record_made_before_the_issue_went_out_on_a_channel_is_not_owed_there(notice):
    notice("publish", SLUG, "--date", "2018-07-13 10:00")
    notice("sent", SLUG, "--date", "2018-07-13 10:00")  # email
    notice("correct", SLUG, "--kind", "addendum", "--note", ASKED, "--date", "2018-07-14 09:00")
    notice("sent", SLUG, "--channel", "line", "--date", "2018-07-15 10:00")  # LINE got the corrected issue
    assert [line.split(" has not gone out on ")[1] for line in unsent(notice("check", SLUG))] == [
        "email, where the issue went out [notice-unsent]"
    ]


def test_an_issue_without_delivery_records_is_quiet(notice):
    notice("publish", SLUG, "--date", "2018-07-13 10:00")
    notice("correct", SLUG, "--kind", "addendum", "--note", ASKED, "--date", "2018-07-14 09:00")
    assert unsent(notice("check", SLUG)) == []
    assert "notice sent" not in notice("history", SLUG).stdout and "unsent" not in notice("list").stdout
    # Nothing is recorded as sent, so the one notice holds every record.
    assert "one notice of 1 record" in notice("export", SLUG, "--pending-notices").stdout


def test_a_minor_fix_is_never_owed(notice):
    notice("publish", SLUG, "--date", "2018-07-13 10:00")
    notice("sent", SLUG, "--date", "2018-07-13 10:00")
    typo = notice(
        "correct", SLUG, "--kind", "minor", "--replaces", "いつもお読みいただき", "--with", "いつもお読みくださり"
    ).stdout.split()[2]
    assert unsent(notice("check", SLUG)) == []
    refused = notice("sent", SLUG, "--notice", typo, status=1)
    assert refused.stderr.startswith(f"Error: corrections/{SLUG}/0002-{typo}.yml: record {typo} is a minor fix: ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--channel", "lien"], "Error: unknown channel 'lien' (did you mean 'line'?)\n  hint: channels: "),
        (["--notice", "abcdef0"], f"Error: issue {SLUG} has no record or combined notice 'abcdef0'"),
        (["--date", "2018-07-12 10:00"], "Error: the delivery is dated 2018-07-12 10:00 +0900, before"),
        (["--date", "2999-01-01"], "Error: the delivery is dated 2999-01-01 00:00 +0900, in the future"),
        (["--date", "2018-13-01"], "Error: --date: '2018-13-01' is not a real date"),
        (["--notice", "FIXED", "--date", "2018-07-14 08:00"], "Error: the delivery is dated 2018-07-14 08:00 +0900, "
         "before record FIXED was made (2018-07-14 09:00 +0900)"),
    ],
)  # fmt: skip
def test_what_sent_refuses_writes_nothing(notice, announced, seed_publication, args, expected):
    fixed, _ = announced
    before = snapshot(seed_publication)
    refused = notice("sent", SLUG, *[a.replace("FIXED", fixed) for a in args], status=1)
    assert refused.stderr.startswith(expected.replace("FIXED", fixed)), refused.stderr
    assert snapshot(seed_publication) == before


def test_a_draft_or_a_delivery_id_is_refused(notice, announced, seed_publication):
    (delivery,) = read_deliveries(seed_publication / "corrections", SLUG, tz=ZoneInfo("Asia/Tokyo"))
    refused = notice("sent", SLUG, "--notice", delivery.id, status=1)
    assert refused.stderr.startswith(f"Error: {delivery.id} is a delivery record, not a notice")
    assert notice("sent", "pre-send-checklist", status=1).stderr.startswith(
        "Error: issues/pre-send-checklist.md: 'pre-send-checklist' is a draft: nothing of it has gone out yet"
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and ".notice-cache" not in p.parts and "site" not in p.parts}  # fmt: skip


# --- the chain guards deliveries as it guards corrections ---------------------------------------


def test_a_delivery_record_edited_by_hand_is_caught(notice, announced, seed_publication):
    (path,) = (seed_publication / "corrections" / SLUG).glob("*.sent.yml")
    path.write_text(path.read_text(encoding="utf-8").replace("- line\n", ""), encoding="utf-8")
    checked = notice("check", SLUG, status=1)
    assert re.search(
        rf"corrections/{SLUG}/0001-[0-9a-f]{{7}}\.sent\.yml:\d+: error: this delivery record was edited after it "
        r"was made: its hash no longer matches \[record-damaged\]",
        checked.stderr,
    ), checked.stderr
    assert notice("sent", SLUG, status=1).exit_code == 1  # nothing is appended to a broken chain
    notice("build", status=1)


def test_a_delivery_record_removed_from_the_middle_is_caught(notice, announced, seed_publication):
    folder = seed_publication / "corrections" / SLUG
    (first,) = folder.glob("*.sent.yml")
    first.unlink()  # from the middle: the records after it no longer follow on
    checked = notice("check", SLUG, status=1).stderr
    assert "error: record 1 is missing (found record 2 next): was a record deleted? [record-deleted]" in checked


def test_the_newest_delivery_removed_is_caught_by_the_issues_line(notice, announced, seed_publication):
    fixed, asked = announced
    last = notice("sent", SLUG, "--notice", fixed, "--date", "2018-07-15 10:00").stdout
    delivery_id = re.search(r"\(([0-9a-f]{7}), ", last)[1]
    issue = seed_publication / "issues" / f"{SLUG}.md"
    assert f"\nlast_correction: 0004-{delivery_id}\n" in issue.read_text(encoding="utf-8")
    (seed_publication / "corrections" / SLUG / f"0004-{delivery_id}.sent.yml").unlink()
    checked = notice("check", SLUG, status=1)
    assert (
        f"the issue's last correction is 0004-{delivery_id}, but corrections/{SLUG}/ holds 3 records" in checked.stderr
    )
    assert f"(a delivery record of `notice sent` is 0004-{delivery_id}.sent.yml)" in checked.stderr


def test_a_correction_after_a_delivery_continues_the_one_chain(notice, announced, seed_publication):
    fixed, asked = announced
    notice("sent", SLUG, "--notice", fixed, "--date", "2018-07-15 10:00")
    later = notice("correct", SLUG, "--kind", "supplement", "--note", "補足です。", "--date", "2018-07-16").stdout
    assert f"corrections/{SLUG}/0005-" in later
    names = sorted(p.name for p in (seed_publication / "corrections" / SLUG).iterdir())
    assert [n.split("-")[0] for n in names[:-1]] == ["0001", "0002", "0003", "0004", "0005"]
    assert [n.endswith(".sent.yml") for n in names[:-1]] == [True, False, False, True, False]
    # The correction is still owed on LINE; the addendum and the supplement everywhere.
    assert notice("check", SLUG).stdout.endswith("0 errors, 3 warnings\n")
    assert " published  3 (3 unsent)  " in notice("list").stdout


# --- declarations ------------------------------------------------------------------------------


def test_readme_delivery_table_is_the_declared_fields():
    rows = markdown_rows(Delivery, lambda name, field: ["yes" if spec_of(field).required else "no"])
    assert table_after("| field | required | meaning |", "A delivery record file holds") == rows


def test_readme_names_every_channel_and_the_rule():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Telling every reader") :]
    assert all(f"`{name}`" in section.split("\n\n")[2] or f"`{name}`" in section for name in CHANNELS)
    assert "| `notice-unsent` | warning |" in readme


def test_the_combined_id_is_stable_and_order_free():
    assert combined_id(["e6821b2", "8f9db28"]) == combined_id(["8f9db28", "e6821b2"]) != combined_id(["e6821b2"])
    assert re.fullmatch(r"[0-9a-f]{7}", combined_id(["e6821b2"]))


# --- random delivery records: a delivery or a clean error ---------------------------------------

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.text(max_size=8), st.lists(st.text(max_size=8), max_size=3)
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["seq", "date", "channels", "notices", "combined", "note", "issue", "x"]),
                       VALUES, max_size=3))  # fmt: skip
def test_any_delivery_record_is_a_delivery_or_a_clean_error(tmp_path, changes):
    import hashlib
    import json

    from toolkit.deliveries import DELIVERY_KEYS
    from toolkit.errors import SourceError

    data = {"seq": 1, "issue": "hello", "date": "2026-01-06T10:00:00+00:00", "channels": ["email"], "notices": [],
            "combined": "", "note": "", "previous": "0" * 64, **changes}  # fmt: skip
    content = {key: data.get(key) for key in DELIVERY_KEYS if key not in ("id", "hash")}
    data["hash"] = hashlib.sha256(
        json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    data["id"] = data["hash"][:7]
    folder = tmp_path / "corrections" / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    # The name a reader lists has four digits (as a record's): any other seq is only in the content.
    seq = (
        data["seq"]
        if isinstance(data["seq"], int) and not isinstance(data["seq"], bool) and 0 <= data["seq"] <= 9999
        else 1
    )
    path = folder / f"{seq:04d}-{data['id']}.sent.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        found = read_deliveries(tmp_path / "corrections", "hello", tz=ZoneInfo("Asia/Tokyo"))
    except SourceError as error:
        assert error.path == path and error.line is not None and error.message
    else:
        assert [d.channels and all(c in CHANNELS for c in d.channels) for d in found] == [True]


def test_the_issue_reads_its_last_correction_naming_a_delivery(notice, announced, seed_publication):
    issue = read_issue(seed_publication / "issues" / f"{SLUG}.md")
    assert re.fullmatch(r"0003-[0-9a-f]{7}", issue.last_correction)


# --- the preview -------------------------------------------------------------------------------


def test_the_preview_shows_the_combined_notice_in_a_real_browser(notice, announced, seed_publication, browser):
    from toolkit.preview import PreviewServer

    fixed, asked = announced
    combined = combined_id([fixed, asked])
    running = PreviewServer(seed_publication, port=0)
    running.start()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(running.url + f"issue/{SLUG}?tab=corrections")
        timeline = page.locator("#timeline").inner_text()
        assert timeline.count("notice not yet on email, line") == 2 and "the issue on email, line" in timeline
        page.click("text=Combined notice")
        assert f"tab=notice-combined-{combined}" in page.url
        said = page.locator("#combined-notice").inner_text()
        assert f"One notice of 2 records not yet sent ({fixed}, {asked})" in said
        assert f"notice sent {SLUG} --notice {combined}" in said
        frame = page.frame_locator("#notice-frame")
        assert frame.locator("h1.issue-title").inner_text().startswith("【訂正とお詫び】")
        assert frame.locator("h2").all_inner_texts() == ["【訂正】2018年7月14日", "【追記】2018年7月14日"]
        assert frame.locator("del").count() >= 1 and frame.locator("a.button").count() == 1
        assert "(確認中)" in page.locator("pre.plain").inner_text()
        assert page.locator(".dark-toggle").count() == 3  # light, dark and inverted, as on every email
        page.click("text=Mobile 375")
        page.wait_for_load_state()
        assert page.locator("#notice-frame").evaluate("e => e.getBoundingClientRect().width") == 375
    finally:
        context.close()
        running.stop()
    # Once it is sent, the tab goes: nothing is pending.
    notice("sent", SLUG, "--notice", combined, "--channel", "email", "--channel", "line", "--date", "2018-07-15")
    from toolkit.config import load_config
    from toolkit.issue_state import load_issue, load_state
    from toolkit.ui_pages import issue_view

    config = load_config(seed_publication)
    view = issue_view(config, seed_publication, load_state(config, load_issue(config, SLUG)), {})
    assert not any(tab.startswith("notice-combined-") for tab in view["tabs"])


def test_deliveries_recorded_at_once_never_fork_the_chain(notice, announced, seed_publication):
    """Four `notice sent` at the same moment: the issue's correction lock puts them in a row."""
    import datetime as dt
    import threading

    from toolkit.config import load_config
    from toolkit.issue_state import load_issue, load_state
    from toolkit.publishing import record_delivery

    config = load_config(seed_publication)
    when = dt.datetime(2018, 7, 15, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    errors: list[BaseException] = []

    def record(channel: str) -> None:
        try:
            record_delivery(config, SLUG, notices=announced[:1], channels=(channel,), date=when, note="")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=record, args=(c,)) for c in ("email", "line", "x", "facebook")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    state = load_state(config, load_issue(config, SLUG))  # raises if the chain forked or the line lags
    assert sorted(d.seq for d in state.deliveries) == [1, 4, 5, 6, 7]


def test_a_test_copy_of_the_combined_notice_is_sent_with_its_id(notice, announced, seed_publication, monkeypatch):
    from aiosmtpd.controller import Controller
    from test_sending import Recorder, free_port

    monkeypatch.delenv("NOTICE_SMTP_PASSWORD", raising=False)
    combined = combined_id(list(announced))
    handler, port = Recorder(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = notice("send", SLUG, "--notice", combined, "--to", "me@example.jp", "--smtp", f"127.0.0.1:{port}")
    finally:
        controller.stop()
    assert result.stdout.endswith(f"Sent {SLUG} notice {combined} to me@example.jp via 127.0.0.1:{port}\n")
    sent = (seed_publication / "site" / SLUG / "corrections" / f"combined-{combined}" / "message.eml").read_bytes()
    assert handler.received[0][2] == b"To: me@example.jp\r\n" + sent


def test_an_english_combined_notice_speaks_english(publication, run):
    def ok(*args: str):
        result = run("-C", str(publication), *args)
        assert result.exit_code == 0, result.output
        return result

    ok("publish", "hello", "--date", "2026-01-05 09:00")
    ok("sent", "hello", "--date", "2026-01-05 09:00")
    added = ok("correct", "hello", "--kind", "addendum", "--note", "More to say.", "--date", "2026-01-06").stdout
    fixed = ok(
        "correct", "hello", "--kind", "correction", "--replaces", "Some", "--with", "All", "--note", "It was all.",
        "--date", "2026-01-07",
    ).stdout  # fmt: skip
    ids = [added.split()[2], fixed.split()[2]]
    ok("export", "hello", "--pending-notices")
    folder = publication / "build" / "hello" / "corrections" / f"combined-{combined_id(ids)}"
    message = email.message_from_bytes((folder / "message.eml").read_bytes(), policy=email.policy.default)
    assert message["Subject"] == "Correction: Hello"  # the correction is the strongest, though the newer
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert (
        text.index("Correction: January 7, 2026") < text.index("It was all.") < text.index("Addendum: January 6, 2026")
    )
    assert "We made a mistake in “Hello”" in text and text.index("Addendum: January 6, 2026") < text.index(
        "More to say."
    )


def test_an_issue_published_by_hand_is_locked_before_its_deliveries(notice, seed_publication):
    before = snapshot(seed_publication)
    refused = notice("sent", SLUG, status=1)
    assert refused.stderr == (
        f"Error: issues/{SLUG}.md: '{SLUG}' is marked published but has no lock of what readers received\n"
        f"  hint: run `notice publish {SLUG}` first to record it\n"
    )
    assert snapshot(seed_publication) == before


def test_check_reads_the_combined_notice_which_gmail_can_clip_when_no_single_notice_is(notice):
    """Three long addenda: each one's notice is under Gmail's 102 KB clip, the one notice of all
    three is not, and readers get that one (`export --pending-notices`)."""
    notice("publish", SLUG, "--date", "2018-07-13 10:00")
    notice("sent", SLUG, "--channel", "email", "--date", "2018-07-13 10:00")
    paragraph = "LINE社の詳細情報を読み直し、お客様とのトークの扱いについて追記します。" * 6
    for day in (14, 15, 16):
        note = "\n\n".join([paragraph] * 50)  # about 40 KB of text
        notice("correct", SLUG, "--kind", "addendum", "--note", note, "--date", f"2018-07-{day} 09:00")
    clipped = [line for line in notice("check", SLUG, status=1).output.splitlines() if "Gmail clips" in line]
    assert [line for line in clipped if line.startswith(f".notice-cache/check-combined/{SLUG}/email.html:")], clipped
    assert not [line for line in clipped if "/corrections/" in line], clipped  # no single notice is
