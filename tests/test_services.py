"""Mail services' merge tags (issue 10): through Markdown, both inliners, the text and the .eml, byte for byte."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from toolkit.services import SERVICES, TagGuard, is_tag, service_for, unknown_tags

from conftest import make_publication, write_issue


def tag_publication(root: Path, service: str, inliner: str) -> Path:
    """A publication sending through *service*: its unsubscribe tag as unsubscribe_url, every
    documented tag in the body, the name tag in the title and preheader."""
    profile = SERVICES[service]
    make_publication(root, inliner=inliner)
    config = root / "notice.toml"
    text = config.read_text(encoding="utf-8").replace(
        '"https://news.example.com/unsubscribe"', json.dumps(profile.unsubscribe)
    )
    config.write_text(text + f'\n[email]\nservice = "{service}"\n', encoding="utf-8")
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
