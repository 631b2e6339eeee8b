"""`notice check` on Japanese issues (issue 10): 機種依存文字 named with their line and a replacement."""

from __future__ import annotations

import json

import pytest

from conftest import write_issue

JA = """\
[publication]
name = "小さなお店便り"
lang = "ja"
base_url = "https://letter.example.jp/"
sender_name = "WEB活用研究会"
sender_email = "letter@example.jp"
postal_address = "〒100-0001 東京都千代田区千代田1-1"
unsubscribe_url = "https://letter.example.jp/unsubscribe"
"""


@pytest.fixture
def ja(tmp_path):
    root = tmp_path / "ja"
    (root / "corrections").mkdir(parents=True)
    (root / "notice.toml").write_text(JA, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "char, instead",
    [
        ("①", "(1)"),
        ("⑴", "(1)"),
        ("Ⅰ", "I"),
        ("㈱", "(株)"),
        ("㌔", "キロ"),
        ("髙", "高"),
        ("﨑", "崎"),
        ("ｶﾞｲﾄﾞ", "ガイド"),
        ("～", "〜 (U+301C)"),
        ("🍣", "words (or nothing)"),
    ],
)
def test_a_machine_dependent_character_is_a_warning_with_its_line_and_replacement(run, ja, char, instead):
    write_issue(ja, "spring", title="春のお知らせ", body=f"春の営業時間です。\n\n土曜日は{char}時から営業します。")
    result = run("-C", str(ja), "check", "spring", "--format", "json")
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "machine-dependent"]
    assert len(found) == 1, found
    (finding,) = found
    assert finding["severity"] == "warning"
    assert finding["path"].endswith("issues/spring.md") and finding["line"] == 10
    assert finding["message"].startswith(f"'{char}' (U+{ord(char[0]):04X} ") and "機種依存文字" in finding["message"]
    assert finding["hint"] == f"write {instead} instead"


def test_under_iso_2022_jp_it_is_an_error(run, ja):
    (ja / "notice.toml").write_text(JA + '[email]\ncharset = "iso-2022-jp"\n', encoding="utf-8")
    write_issue(ja, "spring", title="春のお知らせ", body="①番の窓口へ。")
    result = run("-C", str(ja), "check", "spring")
    assert (
        result.exit_code == 1
        and "error: '①' (U+2460 CIRCLED DIGIT ONE) is a 機種依存文字: ISO-2022-JP" in result.stderr
    )


def test_an_english_issue_and_the_sample_are_quiet(run, sample_publication, publication):
    for root in (sample_publication, publication):
        result = run("-C", str(root), "check", "--format", "json")
        assert not [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "machine-dependent"]


def theme_with(root, **replacements):
    """The publication's own copy of a theme file, with text replaced (name: (old, new))."""
    from toolkit.templating import theme_dir

    (root / "templates").mkdir(exist_ok=True)
    for name, (old, new) in replacements.items():
        name = name.replace("__", ".")
        text = (theme_dir() / name).read_text(encoding="utf-8")
        assert old in text
        (root / "templates" / name).write_text(text.replace(old, new), encoding="utf-8")


def law_findings(run, root):
    result = run("-C", str(root), "check", "spring", "--format", "json")
    return [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "law-footer-ja"]


@pytest.mark.parametrize(
    "old, new, reason",
    [
        (
            "  font-size: 12px;\n  line-height: 20px;\n  color: #4b5563;",
            "  font-size: 8px;\n  line-height: 20px;\n  color: #4b5563;",
            "its font is 8 px",
        ),
        (
            "  font-size: 12px;\n  line-height: 20px;\n  color: #4b5563;",
            "  font-size: 12px;\n  line-height: 20px;\n  color: #d1d5db;",
            "its contrast is 1.4:1",
        ),
    ],
)
def test_a_footer_readers_cannot_read_breaks_the_law(run, ja, old, new, reason):
    write_issue(ja, "spring", title="春のお知らせ", body="春の営業時間です。")
    assert law_findings(run, ja) == []
    theme_with(ja, email__css=(old, new))
    found = law_findings(run, ja)
    assert found and all(f["severity"] == "error" and reason in f["message"] for f in found), found
    assert any("the sender's name" in f["message"] for f in found)


def test_a_text_footer_without_the_refusal_sentence_breaks_the_law(run, ja):
    write_issue(ja, "spring", title="春のお知らせ", body="春の営業時間です。")
    theme_with(
        ja, _footer__txt=("{{ t.unsubscribe_note.format(name=publication.name)|wrap(width, ambiguous_width) }}\n", "")
    )
    messages = [f["message"] for f in law_findings(run, ja)]
    assert "the plain text does not tell readers they may refuse the mail (受信拒否ができる旨)" in messages


def test_the_contact_is_shown_in_both_parts(run, ja):
    (ja / "notice.toml").write_text(
        JA.replace("unsubscribe_url", 'contact = "03-1234-5678"\nunsubscribe_url'), encoding="utf-8"
    )
    write_issue(ja, "spring", title="春のお知らせ", body="春の営業時間です。")
    assert law_findings(run, ja) == []
    folder = ja / ".notice-cache" / "check" / "spring"
    assert "お問い合わせ・苦情の連絡先: 03-1234-5678" in (folder / "email.txt").read_text(encoding="utf-8")
    assert "03-1234-5678" in (folder / "email.html").read_text(encoding="utf-8")


# --- a mail service that adds its own footer (Benchmark Email) ------------------------------------

NO_LINK = JA.replace('unsubscribe_url = "https://letter.example.jp/unsubscribe"\n', "")


@pytest.mark.parametrize(
    "email, passes",
    [
        ('service = "benchmark"', True),
        ('service = "custom"\nadds_unsubscribe = true', True),
        ('service = "none"', False),
        ('service = "custom"', False),
    ],
)
def test_the_service_s_footer_is_where_to_refuse_only_when_the_service_adds_it(run, ja, email, passes):
    """Benchmark Email puts its 配信停止 link in every message's footer (README, Mail services):
    then no unsubscribe_url is needed; the same publication without that service breaks the law."""
    (ja / "notice.toml").write_text(NO_LINK + f"[email]\n{email}\n", encoding="utf-8")
    write_issue(ja, "spring", title="春のお知らせ", body="春の営業時間です。")
    result = run("-C", str(ja), "check", "spring", "--format", "json")
    found = {f["rule"] for f in json.loads(result.stdout)["findings"] if f["severity"] == "error"}
    if passes:
        assert result.exit_code == 0 and not found & {"law-footer-ja", "unsubscribe-missing"}, found
    else:
        assert result.exit_code == 1 and {"law-footer-ja", "unsubscribe-missing"} <= found, found


def test_check_says_under_v_that_the_footer_came_from_the_service(run, ja):
    (ja / "notice.toml").write_text(NO_LINK + '[email]\nservice = "benchmark"\n', encoding="utf-8")
    write_issue(ja, "spring", title="春のお知らせ", body="春の営業時間です。")
    quiet = run("-C", str(ja), "check", "spring")
    assert quiet.exit_code == 0 and "Benchmark Email" not in quiet.output
    loud = run("-C", str(ja), "check", "spring", "-v")
    assert "unsubscribe link: Benchmark Email adds one to the footer of every message" in loud.stdout
    assert "受信拒否ができる旨 are Benchmark Email's footer" in loud.stdout
    # A program reading the JSON gets the same notes, without -v; none without the service.
    notes = json.loads(run("-C", str(ja), "check", "spring", "--format", "json").stdout)["notes"]
    assert [note.split(":")[0] for note in notes] == ["unsubscribe link", "特定電子メール法 (issues in Japanese)"]
    assert notes == [line.strip() for line in loud.stdout.splitlines() if line.strip() in notes]
    (ja / "notice.toml").write_text(JA, encoding="utf-8")
    assert json.loads(run("-C", str(ja), "check", "spring", "--format", "json").stdout)["notes"] == []


def test_an_unsubscribe_url_of_one_s_own_is_still_checked_with_benchmark(run, ja):
    """The service's footer does not excuse a link the author set but the theme dropped."""
    (ja / "notice.toml").write_text(JA + '[email]\nservice = "benchmark"\n', encoding="utf-8")
    write_issue(ja, "spring", title="春のお知らせ", body="春の営業時間です。")
    assert law_findings(run, ja) == []
    theme_with(ja, email__html=('<a class="unsubscribe" href="{{ publication.unsubscribe_url }}">', "<a>"))
    result = run("-C", str(ja), "check", "spring", "--format", "json")
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert "unsubscribe-missing" in rules and "law-footer-ja" in rules
