"""Mail services' merge tags (issue 10): through Markdown, both inliners, the text and the .eml, byte for byte."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_preview import get

from toolkit.config import load_config
from toolkit.preview import PreviewServer
from toolkit.services import SERVICES, TagGuard, is_tag, service_for, unknown_tags, with_samples

from conftest import make_publication, write_issue


def tag_publication(root: Path, service: str, inliner: str) -> Path:
    """A publication sending through *service*: its unsubscribe tag as unsubscribe_url, every
    documented tag in the body, the name tag in the title and preheader."""
    profile = SERVICES[service]
    make_publication(root, inliner=inliner, service=service, unsubscribe=profile.unsubscribe)
    name = profile.name or profile.known[0]
    body = "\n\n".join(
        [
            f"Dear {name}, this is for you.",
            *([f"[Unsubscribe]({profile.unsubscribe}) now."] if profile.unsubscribe else []),
            *(f"- {tag} and [a link]({tag})" for tag in profile.tags),
        ]
    )
    path = write_issue(root, "hello", body=body)
    path.write_text(
        path.read_text(encoding="utf-8")
        .replace("title: Hello", f"title: {json.dumps('Hi ' + name)}")
        .replace("A short preview line.", json.dumps(f"For {name}")),
        encoding="utf-8",
    )
    return root


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_tag_survives_both_inliners_the_text_and_the_message(run, tmp_path, monkeypatch, service, inliner):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790856000")
    root = tag_publication(tmp_path / "pub", service, inliner)
    result = run("-C", str(root), "export", "hello")
    assert result.exit_code == 0, result.output
    assert "one-click" not in result.stderr  # a service writes its own List-Unsubscribe
    folder = root / ".notice-cache" / "export" / "hello"  # a draft: exported privately
    html = (folder / "email.html").read_text(encoding="utf-8")
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert "noticetag" not in html + text
    for tag in SERVICES[service].tags:
        assert tag in html and f'href="{tag}"' in html, tag
        assert tag in text and f"] {tag}\n" in text, tag
    unsubscribe = SERVICES[service].unsubscribe
    if unsubscribe:
        assert html.count(f'href="{unsubscribe}"') >= 3  # the body's link, the list's and the footer's
        assert f"\n{unsubscribe}\n" in text  # the plain footer
    else:  # the service adds the link (Benchmark Email): the email has none of its own
        assert SERVICES[service].adds_unsubscribe and 'class="unsubscribe"' not in html
    msg = email.message_from_bytes((folder / "message.eml").read_bytes(), policy=email.policy.default)
    plain, part = msg.iter_parts()
    assert plain.get_content().replace("\r\n", "\n") == text
    assert part.get_content().replace("\r\n", "\n") == html
    assert "List-Unsubscribe" not in msg and "List-Unsubscribe-Post" not in msg
    name = SERVICES[service].name or SERVICES[service].known[0]
    assert msg["Subject"] == f"Hi {name}"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_check_takes_a_tag_for_a_link_and_names_an_unknown_one(run, tmp_path, service):
    root = tag_publication(tmp_path / "pub", service, "css-inline")
    profile = SERVICES[service]
    meant = profile.unsubscribe or profile.name
    typo = meant.replace("nsub", "nsubb").replace("UNSUB", "UNSUBB").replace("cancelurl", "cancelurll")
    typo = typo.replace("contact_attribute", "contact_atribute")
    assert typo != meant and not is_tag(typo, None)
    issue = root / "issues" / "hello.md"
    issue.write_text(issue.read_text(encoding="utf-8") + f"\nA typo: {typo}\n", encoding="utf-8")
    result = run("-C", str(root), "check", "--format", "json")
    found = json.loads(result.stdout)["findings"]
    rules = {f["rule"] for f in found}
    assert not rules & {"url-relative", "unsubscribe-missing", "url-empty"}, found
    (unknown,) = [f for f in found if f["rule"] == "merge-tag-unknown"]
    assert unknown["severity"] == "warning" and unknown["path"].endswith("hello.md")
    assert f"'{typo}' is not a {profile.label} merge tag (did you mean '{meant}'?)" in unknown["message"]


def test_without_a_service_a_tag_is_still_a_relative_url(run, tmp_path):
    """What issue 10 found: `unsubscribe_url = "*|UNSUB|*"` fails check unless the service is named."""
    root = tag_publication(tmp_path / "pub", "mailchimp", "premailer")
    config = root / "notice.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('service = "mailchimp"', 'service = "none"'), encoding="utf-8"
    )
    result = run("-C", str(root), "check")
    assert result.exit_code == 1 and "[url-relative]" in result.stderr


def test_an_unknown_service_suggests_the_nearest(run, publication):
    config = publication / "notice.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[email]\nservice = "mailchimpp"\n', encoding="utf-8")
    result = run("-C", str(publication), "build")
    assert result.exit_code == 1
    assert "unknown service 'mailchimpp' (did you mean 'mailchimp'?)" in result.stderr


def test_a_custom_service_is_its_two_tags():
    service = service_for("custom", "[[unsub]]", "[[name]]")
    guard = TagGuard(service)
    text = "Hello [[name]], [bye]([[unsub]]) [[other]]"
    protected = guard.protect(text)
    assert "[[" not in protected.replace("[[other]]", "") and guard.restore(protected) == text
    assert is_tag("[[unsub]]", service) and not is_tag("[[other]]", service)
    assert unknown_tags(text, service) == []  # a custom syntax has no documented list to miss


def test_guard_restores_only_its_own_placeholders():
    guard = TagGuard(SERVICES["listmonk"])
    protected = guard.protect("{{ UnsubscribeURL }} {{ UnsubscribeURL }} {{ .Subscriber.FirstName }}")
    p = "https://noticetag.invalid/"
    assert protected == f"{p}0x {p}0x {p}1x"
    assert guard.restore(protected + f" {p}7x") == (
        f"{{{{ UnsubscribeURL }}}} {{{{ UnsubscribeURL }}}} {{{{ .Subscriber.FirstName }}}} {p}7x"
    )


# --- Benchmark Email: tags in square brackets, as ordinary text in brackets is ---------------------

BENCHMARK = SERVICES["benchmark"]
#: Bracketed text of an ordinary issue: Japanese, digits, short words, a footnote's caret, a
#: colon. No underscore, so never the shape of a Benchmark tag.
PLAIN = st.text(alphabet="注記参照例あいうアイウ漢字0123456789 xyzXYZ:.,!?^-", max_size=12)
SNAKE = st.from_regex(r"[a-z]{1,6}(_[a-z0-9]{1,6}){1,3}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(inner=PLAIN, around=st.sampled_from(["{}", "x {} y", "{}(https://a.example/)", "[t]{}", "{}[r]", "!{}"]))
def test_bracketed_text_that_is_no_tag_is_never_changed(inner, around):
    text = around.format(f"[{inner}]")
    guard = TagGuard(BENCHMARK)
    assert guard.protect(text) == text and guard.tags == []
    assert unknown_tags(text, BENCHMARK) == []


@settings(max_examples=100, deadline=None)
@given(word=SNAKE)
def test_markdown_s_own_brackets_are_no_tags_even_in_snake_case(word):
    """A link's text, a reference, its definition and a footnote keep their Markdown meaning."""
    for text in (
        f"[{word}](https://a.example/)",
        f"![{word}](img.png)",
        f"[see][{word}]",
        f"[{word}][ref]",
        f"[{word}]: https://a.example/\n",
        f"[^{word}]",
        f"\\[{word}]",
    ):
        assert TagGuard(BENCHMARK).protect(text) == text, text
    # Alone, it has the shape of a tag: carried through as one, and named if undocumented.
    guard = TagGuard(BENCHMARK)
    assert (
        guard.protect(f"[{word}]") == "https://noticetag.invalid/0x"
        and guard.restore(guard.protect(f"[{word}]")) == f"[{word}]"
    )


@pytest.mark.parametrize(
    "tag",
    [
        "[address_block]",
        "[contact_attribute:firstname]",
        "[contact_attribute:last name]",  # a field named with a space, as an account may
        "[uppercase:[contact_attribute:companyname]]",  # the tag list's own example
        "[lowercase:TEXT]",
    ],
)
def test_benchmark_s_documented_shapes_are_tags_and_none_is_unknown(tag):
    guard = TagGuard(BENCHMARK)
    assert guard.protect(f"Dear {tag}.") == "Dear https://noticetag.invalid/0x." and guard.tags == [tag]
    assert unknown_tags(tag, BENCHMARK) == []


def test_markdown_with_brackets_builds_the_same_with_benchmark_as_without(run, tmp_path):
    """What the regex leaves alone, Markdown renders as it would without a service: byte for byte."""
    body = (
        "注意書き[注]と[1]、[x] の項目、脚注[^1]、[リンク](https://a.example/)と[参照][ref]、"
        "[snake_link](https://b.example/)、[see][my_ref]。\n\n"
        "[^1]: 脚注の本文\n\n[ref]: https://c.example/\n[my_ref]: https://d.example/\n"
    )
    built = {}
    for service in ("none", "benchmark"):
        root = make_publication(tmp_path / service, service=service)
        write_issue(root, "hello", body=body)
        result = run("-C", str(root), "build", "--drafts")
        assert result.exit_code == 0, result.output
        built[service] = [(root / "build" / "hello" / n).read_bytes() for n in ("email.html", "email.txt", "web.html")]
    assert built["benchmark"] == built["none"]
    assert b'href="https://d.example/"' in built["none"][0]  # the snake_case reference is still a link


def test_a_misspelt_benchmark_tag_gets_a_did_you_mean_and_plain_brackets_get_nothing(run, tmp_path):
    root = make_publication(tmp_path / "pub", service="benchmark", unsubscribe=None)
    write_issue(root, "hello", body="Dear [contact_attribute:firstname], see [1] and [注].\n\n[adress_block]")
    result = run("-C", str(root), "check", "--format", "json")
    found = json.loads(result.stdout)["findings"]
    assert result.exit_code == 0, found
    (unknown,) = [f for f in found if f["rule"] == "merge-tag-unknown"]
    assert unknown["message"].startswith(
        "'[adress_block]' is not a Benchmark Email merge tag (did you mean '[address_block]'?)"
    )
    assert unknown["path"].endswith("hello.md") and unknown["line"] == 10


def test_the_sample_reader_sees_the_publication_s_own_address_and_name(tmp_path):
    root = make_publication(tmp_path / "pub", service="benchmark")
    service = load_config(root).service
    text = "Dear [contact_attribute:firstname] of [uppercase:[contact_attribute:companyname]]: [address_block], [company_name] [contact_attribute:zip]"
    assert with_samples(text, service, html=False) == (
        "Dear Hanako of EXAMPLE CO.: 1 Example Street, London, Test Sender [contact_attribute:zip]"
    )
    assert with_samples("[lowercase:A &amp; B]", service, html=True) == "a &amp; b"


# --- a service that adds the unsubscribe link itself: config and headers -------------------------


def _with_email(root: Path, email: str, *, link: bool) -> None:
    config = root / "notice.toml"
    text = config.read_text(encoding="utf-8")
    if not link:
        text = text.replace('unsubscribe_url = "https://news.example.com/unsubscribe"\n', "")
    config.write_text(text + f"\n[email]\n{email}\n", encoding="utf-8")


def test_without_a_link_of_its_own_the_message_leaves_list_unsubscribe_to_the_service(run, publication):
    """RFC 2369/8058 headers name the reader's own unsubscribe URL, which only the service knows:
    the .eml has none, no one-click warning, and -v says why."""
    _with_email(publication, 'service = "benchmark"', link=False)
    result = run("-C", str(publication), "export", "hello", "-v")
    assert result.exit_code == 0 and "one-click" not in result.stderr, result.output
    assert "no List-Unsubscribe header: Benchmark Email adds its own unsubscribe link" in result.stdout
    message = (publication / ".notice-cache" / "export" / "hello" / "message.eml").read_bytes()
    assert b"List-Unsubscribe" not in message


def test_an_unsubscribe_url_of_one_s_own_still_makes_the_headers_with_benchmark(run, publication):
    _with_email(publication, 'service = "benchmark"', link=True)
    result = run("-C", str(publication), "export", "hello", "-v")
    assert result.exit_code == 0 and "no List-Unsubscribe" not in result.stdout, result.output
    folder = publication / ".notice-cache" / "export" / "hello"
    msg = email.message_from_bytes((folder / "message.eml").read_bytes(), policy=email.policy.default)
    assert msg["List-Unsubscribe"] == "<https://news.example.com/unsubscribe>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert 'href="https://news.example.com/unsubscribe"' in (folder / "email.html").read_text(encoding="utf-8")


def test_a_custom_service_may_say_it_adds_the_link(run, publication):
    _with_email(publication, 'service = "custom"\nname_tag = "%name%"\nadds_unsubscribe = true', link=False)
    result = run("-C", str(publication), "check", "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert "unsubscribe-missing" not in {f["rule"] for f in json.loads(result.stdout)["findings"]}


@pytest.mark.parametrize("service", ["mailchimp", "none"])
def test_adds_unsubscribe_is_refused_for_a_service_that_adds_none(run, publication, service):
    _with_email(publication, f'service = "{service}"\nadds_unsubscribe = true', link=False)
    result = run("-C", str(publication), "check")
    assert result.exit_code == 1
    assert (
        f"notice.toml:17: adds_unsubscribe is for service = \"custom\": service '{service}' adds no unsubscribe link itself"
        in result.stderr
    )
    assert "set unsubscribe_url" in result.stderr


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
def test_benchmark_s_spaced_and_nested_tags_survive_wrapping_and_the_message(run, tmp_path, monkeypatch, inliner):
    """``[contact_attribute:last name]`` has a space a wrap could break at, and the case function
    holds a tag inside a tag: both reach the text and the .eml as written."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790856000")
    root = make_publication(tmp_path / "pub", inliner=inliner)
    _with_email(root, 'service = "benchmark"', link=False)
    tags = ["[contact_attribute:last name]", "[uppercase:[contact_attribute:companyname]]", "[lowercase:Mixed Case]"]
    # Nine words put the space of the first tag at column 69, where a 70-column wrap breaks.
    body = " ".join(["word"] * 9 + [tags[0]] + ["word"] * 9 + tags[1:] + ["and", "[company_phone]."])
    write_issue(root, "hello", body=body)
    result = run("-C", str(root), "export", "hello")
    assert result.exit_code == 0, result.output
    folder = root / ".notice-cache" / "export" / "hello"
    html = (folder / "email.html").read_text(encoding="utf-8")
    text = (folder / "email.txt").read_text(encoding="utf-8")
    for tag in [*tags, "[company_phone]"]:
        assert tag in html and tag in text, tag
    assert "noticetag" not in html + text
    msg = email.message_from_bytes((folder / "message.eml").read_bytes(), policy=email.policy.default)
    plain, part = msg.iter_parts()
    assert plain.get_content().replace("\r\n", "\n") == text and part.get_content().replace("\r\n", "\n") == html


def test_the_preview_shows_benchmark_s_tags_as_a_sample_reader_gets_them(tmp_path):
    root = make_publication(tmp_path / "pub")
    _with_email(root, 'service = "benchmark"', link=False)
    write_issue(root, "hello", body="Dear [contact_attribute:firstname], from [address_block].")
    running = PreviewServer(root, port=0)
    running.start()
    try:
        _, sample, _ = get(running, "/built/hello/email.html")
        _, raw, _ = get(running, "/built/hello/email.html?tags=raw")
    finally:
        running.stop()
    assert "Dear Hanako, from 1 Example Street, London." in sample and "[address_block]" not in sample
    assert "Dear [contact_attribute:firstname], from [address_block]." in raw
