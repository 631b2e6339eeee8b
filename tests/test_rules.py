"""The email rules of `notice check` (toolkit/rules.py): each fires on a crafted issue, config or
template with its id, severity, file and line, and stays quiet on the repository's own sample."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from toolkit.check import check
from toolkit.config import load_config
from toolkit.errors import Diagnostic
from toolkit.templating import theme_dir

from conftest import REPO, make_publication, write_issue

THEME = theme_dir()

CONFIG_LINES = """\
[publication]
name = "Test Letter"
base_url = "https://news.example.com/"
sender_name = "Test Sender"
sender_email = ""
"""


def findings(root: Path, *slugs: str, rule: str | None = None) -> list[tuple[str, str, str, int | None]]:
    """``(rule, severity, path, line)`` of each finding; paths inside *root* relative to it."""
    found = check(load_config(root), slugs)
    return [(f.rule, f.severity, where(f, root), f.line) for f in found if rule is None or f.rule.startswith(rule)]


def where(finding: Diagnostic, root: Path) -> str:
    path = finding.path
    assert path is not None
    if THEME in path.parents:
        return f"theme/{path.relative_to(THEME)}"
    return str(path.relative_to(root))


def body_line(root: Path, slug: str, text: str) -> int:
    """The file line holding *text*, as an editor shows it."""
    return line_of(root / "issues" / f"{slug}.md", text)


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    return make_publication(tmp_path / "pub")


# --- the sample ---------------------------------------------------------------------------------


def test_the_sample_publication_is_clean(sample_publication):
    """Both issues, the Japanese one with four correction notices, checked as readers get them.
    The theme's preheader (display:none, opacity, mso-hide), dark mode and <time> in the errata
    raise nothing."""
    assert findings(sample_publication) == []
    notices = sorted((sample_publication / ".notice-cache" / "check").glob("*/corrections/*/email.html"))
    assert len(notices) == 4


# --- size ---------------------------------------------------------------------------------------


def paragraphs(count: int) -> str:
    return "\n\n".join(f"Paragraph {i}: " + "lorem ipsum dolor sit amet " * 36 for i in range(count))


def test_an_email_over_gmails_clip_is_an_error_and_near_it_a_warning(pub):
    write_issue(pub, "huge", body=paragraphs(100))
    write_issue(pub, "long", body=paragraphs(90))
    write_issue(pub, "short", body=paragraphs(80))
    found = [f for f in check(load_config(pub)) if f.rule.startswith("email-size")]
    built = pub / ".notice-cache" / "check"
    assert [(f.rule, f.severity, f.path, f.line, f.message) for f in found] == [
        (
            "email-size",
            "error",
            built / "huge" / "email.html",
            None,
            "email.html is 105.9 KB: Gmail clips messages over 102 KB",
        ),
        (
            "email-size-near",
            "warning",
            built / "long" / "email.html",
            None,
            "email.html is 95.9 KB, close to Gmail's 102 KB clipping limit",
        ),
    ]
    assert (built / "short" / "email.html").stat().st_size > 80 * 1024  # over 80 KB, under 90: quiet


def test_a_leftover_style_block_over_16_kb_warns_at_the_css(pub):
    css = (THEME / "email.css").read_text(encoding="utf-8")
    big = "\n".join(f".extra-{n} {{ color: #{n:06x} !important; }}" for n in range(700))
    (pub / "templates").mkdir()
    (pub / "templates" / "email.css").write_text(css + f"\n@media (min-width: 900px) {{\n{big}\n}}\n", encoding="utf-8")
    write_issue(pub, "hello")
    first_media = line_of(pub / "templates" / "email.css", "@media only screen")  # not the comment above
    assert findings(pub, rule="style-size") == [("style-size", "warning", "templates/email.css", first_media)]


# --- client support -----------------------------------------------------------------------------

CLIENTS_BODY = """\
A paragraph.

<div style="position: absolute; opacity: 1">positioned</div>

<div style="position:absolute">again: reported once</div>

<video src="https://news.example.com/a.mp4"></video>

![a cat](https://news.example.com/cat.png){: width="300" }
"""


def test_css_and_elements_a_client_drops_are_reported_once_with_the_clients(pub):
    write_issue(pub, "clients", body=CLIENTS_BODY)
    found = [f for f in check(load_config(pub)) if f.rule == "client-support"]
    assert [(f.severity, where(f, pub), f.line, f.message) for f in found] == [
        (
            "warning",
            "issues/clients.md",
            body_line(pub, "clients", "positioned"),
            "CSS property `position` is not supported by Gmail, Outlook on Windows",
        ),
        (
            "warning",
            "issues/clients.md",
            body_line(pub, "clients", "<video"),
            "<video> is not supported by Gmail, Outlook on Windows, Yahoo! Mail",
        ),
    ]
    assert found[0].hint == (
        "use it only where the email still reads well without it; see https://www.caniemail.com/features/css-position/"
    )


def test_in_page_links_and_gmails_mobile_web_client_are_named_by_app(pub):
    """Issue 15: one folded "Gmail" hid what its apps drop. An in-page link does nothing in
    Gmail for iOS and Yahoo's apps; a family that drops a feature everywhere is named once."""
    write_issue(
        pub,
        "apps",
        body='See [below](#later).\n\n<div style="display: none">hidden</div>\n\n'
        '<div style="position: absolute">positioned</div>\n\n<p id="later">Later.</p>',
    )
    found = {f.message: (where(f, pub), f.line) for f in check(load_config(pub)) if f.rule == "client-support"}
    assert found == {
        'an in-page link (href="#later") is not supported by Gmail for iOS, Yahoo! Mail for iOS, '
        "Yahoo! Mail for Android": ("issues/apps.md", body_line(pub, "apps", "[below]")),
        "CSS `display: none` is not supported by Gmail's mobile web client": (
            "issues/apps.md",
            body_line(pub, "apps", "hidden"),
        ),
        "CSS property `position` is not supported by Gmail, Outlook on Windows": (
            "issues/apps.md",
            body_line(pub, "apps", "positioned"),
        ),
    }


def test_the_leftover_blocks_plain_rules_are_checked_but_not_its_media_queries(pub):
    css = (THEME / "email.css").read_text(encoding="utf-8")
    extra = (
        ".content a:hover {\n  transition: color 1s;\n}\n"
        "@media (max-width: 400px) {\n  .content { display: flex !important; }\n}\n"
    )
    (pub / "templates").mkdir()
    (pub / "templates" / "email.css").write_text(css + extra, encoding="utf-8")
    write_issue(pub, "hello")
    assert findings(pub, rule="client-support") == [
        ("client-support", "warning", "templates/email.css", line_of(pub / "templates" / "email.css", "transition"))
    ]


# --- links and images ---------------------------------------------------------------------------

LINKS_BODY = """\
Intro.

Run [this](javascript:alert(1)) now.

A [placeholder]() to fill in.

Our [preview](http://localhost:8000/x) server.

<a href="page.html">A raw relative link</a>

A [file](file:///C:/letter.doc) on my disk.

A [footnote][^1] and an [anchor](#top) are fine, and so is [mail](mailto:a@example.com).

[^1]: A note.
"""


def test_links_that_go_nowhere_useful_are_errors_at_their_line(pub):
    write_issue(pub, "links", body=LINKS_BODY)
    line = lambda text: body_line(pub, "links", text)  # noqa: E731
    assert findings(pub, rule="url-") == [
        ("url-unsafe", "error", "issues/links.md", line("javascript:")),
        ("url-empty", "error", "issues/links.md", line("[placeholder]")),
        ("url-localhost", "error", "issues/links.md", line("localhost")),
        ("url-relative", "error", "issues/links.md", line("page.html")),
        ("url-unsafe", "error", "issues/links.md", line("file:")),
    ]


def test_a_relative_url_from_notice_toml_points_at_its_key(pub):
    config = pub / "notice.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace('unsubscribe_url = "https://news.example.com/unsubscribe"', 'unsubscribe_url = "/unsubscribe"'),
        encoding="utf-8",
    )
    write_issue(pub, "hello", body="Plain text.")
    found = [f for f in check(load_config(pub)) if f.rule.startswith("url-")]
    assert [(f.rule, f.severity, where(f, pub), f.line, f.message) for f in found] == [
        (
            "url-relative",
            "error",
            "notice.toml",
            line_of(config, "unsubscribe_url"),
            "link with a relative URL: /unsubscribe",
        )
    ]


def test_images_need_alt_text_and_a_width(pub):
    write_issue(
        pub,
        "images",
        body="Intro.\n\n![](https://cdn.example.org/photo.png)\n\n"  # remote: local images get a width
        '![A cat](https://cdn.example.org/cat.png){: width="300" }\n\n![Wide](https://cdn.example.org/wide.png)\n',
    )
    line = lambda text: body_line(pub, "images", text)  # noqa: E731
    assert findings(pub, rule="image-") == [
        ("image-alt", "warning", "issues/images.md", line("photo.png")),
        ("image-width", "warning", "issues/images.md", line("photo.png")),
        ("image-width", "warning", "issues/images.md", line("wide.png")),
    ]


def test_an_image_without_alt_from_a_template_points_at_the_template(pub):
    (pub / "templates").mkdir()
    html = (
        (THEME / "email.html")
        .read_text(encoding="utf-8")
        .replace(
            '<p class="publication-name">',
            '<img src="https://news.example.com/logo.png" width="120">\n<p class="publication-name">',
        )
    )
    (pub / "templates" / "email.html").write_text(html, encoding="utf-8")
    write_issue(pub, "hello")
    assert findings(pub, rule="image-") == [
        ("image-alt", "warning", "templates/email.html", line_of(pub / "templates" / "email.html", "logo.png"))
    ]


# --- the law ------------------------------------------------------------------------------------


def test_a_missing_sender_address_or_unsubscribe_link_is_an_error_at_notice_toml(pub):
    config = pub / "notice.toml"
    config.write_text(CONFIG_LINES, encoding="utf-8")
    write_issue(pub, "hello")
    found = [f for f in check(load_config(pub)) if f.rule.endswith("-missing") and f.rule != "preheader-missing"]
    assert [(f.rule, f.severity, where(f, pub), f.line) for f in found] == [
        ("unsubscribe-missing", "error", "notice.toml", 1),  # not there at all: its section
        ("postal-address-missing", "error", "notice.toml", 1),
        ("sender-missing", "error", "notice.toml", 5),  # sender_email = ""
    ]
    hints = {f.rule: f.hint for f in found}
    assert hints["sender-missing"] == (
        "set sender_email in [publication] of notice.toml: Japan's Act on the Regulation of Transmission of "
        "Specified Electronic Mail (特定電子メール法) and the US CAN-SPAM Act require it"
    )
    assert "unsubscribe_url" in hints["unsubscribe-missing"] and "CAN-SPAM" in hints["unsubscribe-missing"]
    assert "postal_address" in hints["postal-address-missing"]
    assert "特定電子メール法" in hints["postal-address-missing"]


def test_a_template_that_drops_the_footer_is_an_error_at_the_template(pub):
    (pub / "templates").mkdir()
    (pub / "templates" / "email.html").write_text(
        '<!DOCTYPE html>\n<html lang="{{ lang }}">\n<head><meta charset="utf-8"><title>{{ subject }}</title></head>\n'
        "<body>\n{{ content }}\n</body>\n</html>\n",
        encoding="utf-8",
    )
    write_issue(pub, "hello")
    found = [f for f in check(load_config(pub)) if f.severity == "error"]
    assert [(f.rule, where(f, pub), f.line, f.message) for f in found] == [
        (
            "unsubscribe-missing",
            "templates/email.html",
            None,
            "the email does not show the unsubscribe link set in notice.toml",
        ),
        (
            "sender-missing",
            "templates/email.html",
            None,
            "the email does not show the sender's name set in notice.toml",
        ),
        (
            "sender-missing",
            "templates/email.html",
            None,
            "the email does not show the sender's email address set in notice.toml",
        ),
        (
            "postal-address-missing",
            "templates/email.html",
            None,
            "the email does not show the postal address set in notice.toml",
        ),
    ]


# --- subject and preview text -------------------------------------------------------------------


def issue_text(title: str, preheader: str | None, status: str = "draft") -> str:
    front = f'---\ntitle: "{title}"\ndate: 2026-01-05\nstatus: {status}\nlang: ja\n'
    if status == "published":
        front += "published: 2026-01-05 09:00\n"
    if preheader is not None:
        front += f'preheader: "{preheader}"\n'
    return front + "---\n\n本文です。\n"


def test_subject_and_preheader_are_measured_in_display_columns(pub):
    write_issue(pub, "fits", raw=issue_text("あ" * 30, "い" * 45))  # 60 and 90 columns: fit
    write_issue(pub, "long", raw=issue_text("あ" * 31, "い" * 46))  # 62 and 92 columns
    write_issue(pub, "none", raw=issue_text("Short", None))
    assert findings(pub, rule="preheader") + findings(pub, rule="subject") == [
        ("preheader-long", "warning", "issues/long.md", 6),
        ("preheader-missing", "warning", "issues/none.md", 1),
        ("subject-long", "warning", "issues/long.md", 2),
    ]
    said = {f.rule: (f.message, f.hint) for f in check(load_config(pub), ["long"])}
    assert said["subject-long"] == (
        "the subject is 62 columns wide: inboxes cut it near 60",
        "put what matters first; keep it within 60 characters (30 full-width)",
    )
    assert said["preheader-long"] == (
        "the preheader is 92 columns wide: clients cut it near 90",
        "put what matters first, and keep it under 90 characters (45 full-width)",
    )


def test_a_published_issues_subject_and_preheader_are_not_judged(pub):
    """They were sent, are locked, and no correction can change them."""
    write_issue(pub, "sent", raw=issue_text("あ" * 40, None, status="published"))
    assert findings(pub, rule="preheader") + findings(pub, rule="subject") == []


# --- active content -----------------------------------------------------------------------------


def test_scripts_forms_and_event_handlers_are_errors_where_they_were_written(pub):
    (pub / "templates").mkdir()
    template = pub / "templates" / "email.html"
    template.write_text(
        (THEME / "email.html").read_text(encoding="utf-8").replace("</body>", "<script>track()</script>\n</body>"),
        encoding="utf-8",
    )
    write_issue(
        pub,
        "active",
        body='Intro.\n\n<form action="https://news.example.com/f"><p>x</p></form>\n\n'
        '<a href="https://news.example.com/" onclick="go()">go</a>\n',
    )
    assert findings(pub, rule="active") == [
        ("active-content", "error", "issues/active.md", body_line(pub, "active", "<form")),
        ("active-content", "error", "issues/active.md", body_line(pub, "active", "onclick")),
        ("active-content", "error", "templates/email.html", line_of(template, "<script>")),
    ]


# --- correction notices -------------------------------------------------------------------------


def test_correction_notices_are_checked_and_a_notes_link_points_at_its_record(pub, run):
    write_issue(pub, "hello", body="The cat sat on the mat.")
    (pub / "templates").mkdir()
    notice = pub / "templates" / "notice.html"
    notice.write_text(
        (THEME / "notice.html")
        .read_text(encoding="utf-8")
        .replace(
            "{% if entry.pending %}", '<iframe src="https://news.example.com/x"></iframe>\n{% if entry.pending %}'
        ),
        encoding="utf-8",
    )
    assert run("-C", str(pub), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    assert (
        run(
            "-C",
            str(pub),
            "correct",
            "hello",
            "--kind",
            "addendum",
            "--date",
            "2026-01-06 09:00",
            "--note",
            "See [the preview](http://localhost:8000/hello).",
        ).exit_code
        == 0
    )
    record = next((pub / "corrections" / "hello").glob("0001-*.yml"))
    # The note is in the issue's errata and in the notice: one finding, at the record's line.
    assert findings(pub) == [
        ("url-localhost", "error", str(record.relative_to(pub)), line_of(record, "localhost")),
        ("active-content", "error", "templates/notice.html", line_of(notice, "<iframe")),
    ]


# --- switching rules off ------------------------------------------------------------------------


def test_disable_switches_a_rule_off_and_an_unknown_id_is_an_error(pub):
    write_issue(pub, "links", body=LINKS_BODY)
    config = pub / "notice.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[check]\ndisable = ["url-localhost", "url-empti"]\n', encoding="utf-8"
    )
    found = check(load_config(pub))
    rules = [f.rule for f in found]
    assert "url-localhost" not in rules and "url-empty" in rules
    unknown = [f for f in found if f.rule == "check-disable"]
    assert [(f.severity, where(f, pub), f.line, f.message) for f in unknown] == [
        (
            "error",
            "notice.toml",
            line_of(config, "disable"),
            "unknown rule 'url-empti' in [check] disable (did you mean 'url-empty'?)",
        )
    ]
    assert unknown[0].hint.startswith("known rules: source, record-damaged, silent-edit, unlocked,")


def test_disabling_every_email_rule_skips_the_private_build(pub):
    from toolkit.check import OUTPUT_RULES, RULES  # every email rule (the email's own, a service's,
    # Japanese) and those over the other built files (line.txt and post.txt)

    write_issue(pub, "links", body=LINKS_BODY)
    config = pub / "notice.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "\n[check]\ndisable = ["
        + ", ".join(f'"{rule}"' for rule in [*(rule for rule, _ in RULES), *OUTPUT_RULES])
        + "]\n",
        encoding="utf-8",
    )
    assert check(load_config(pub)) == []
    assert not (pub / ".notice-cache" / "check").exists()


# --- the command --------------------------------------------------------------------------------


def test_json_output_carries_every_field_and_errors_exit_1(pub, run):
    write_issue(pub, "links", body="Intro.\n\nOur [preview](http://localhost:8000/x) server.\n")
    result = run("-C", str(pub), "check", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["errors"] == 1 and report["warnings"] == 0
    assert report["findings"] == [
        {
            "rule": "url-localhost",
            "severity": "error",
            "message": "link points to this computer (localhost): http://localhost:8000/x",
            "path": report["findings"][0]["path"],  # relative to where the command runs: below
            "line": body_line(pub, "links", "localhost"),
            "hint": "use the published address, under base_url",
        }
    ]
    assert Path(report["findings"][0]["path"]).resolve() == (pub / "issues" / "links.md").resolve()


def test_warnings_alone_exit_0_and_print_place_rule_and_hint(pub, run, monkeypatch):
    monkeypatch.chdir(pub)
    write_issue(pub, "hello", raw="---\ntitle: Hello\ndate: 2026-01-05\n---\n\nNo preview line.\n")
    result = run("check")
    assert result.exit_code == 0
    assert result.stdout == (
        "issues/hello.md:1: warning: no preheader: clients will preview the email's first text instead "
        '[preheader-missing]\n  hint: add preheader: "one line that makes them open it" to the front-matter\n'
        "0 errors, 1 warning\n"
    )


# --- the bundled caniemail extract --------------------------------------------------------------


def test_the_bundled_extract_is_small_and_says_where_it_came_from():
    path = REPO / "toolkit" / "data" / "caniemail.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert path.stat().st_size < 150 * 1024
    assert data["source"]["package"] == "caniemail"
    assert data["source"]["licence"] == "MIT, © Rémi Parmentier (caniemail.com)"
    assert list(data["clients"]) == [
        "gmail",
        "gmail-ios",
        "gmail-android",
        "gmail-mobile-web",
        "apple-mail",
        "outlook-windows",
        "outlook-mac",
        "yahoo",
        "yahoo-ios",
        "yahoo-android",
    ]
    assert data["families"]["Gmail"] == ["gmail", "gmail-ios", "gmail-android", "gmail-mobile-web"]
    anchors = data["features"]["html-anchor-links"]  # issue 15: in-page links do nothing in these apps
    assert anchors["match"] == {"links": ["in-page"]}
    assert {c for c, v in anchors["support"].items() if v == "n"} == {"gmail-ios", "yahoo-ios", "yahoo-android"}
    hiding = [data["features"][slug]["support"]["gmail-mobile-web"] for slug in ("css-display-none", "css-opacity")]
    assert hiding == ["n", "n"]  # as doiuse-email reports for Gmail's mobile web client
    radius = data["features"]["css-border-radius"]
    assert radius["match"] == {"properties": ["border-radius"]}
    assert radius["support"]["outlook-windows"] == "n" and radius["support"]["apple-mail"] == "y"
    assert radius["url"] == "https://www.caniemail.com/features/css-border-radius/"


def test_the_refresh_script_takes_the_latest_test_of_each_platform(tmp_path):
    spec = importlib.util.spec_from_file_location("refresh_caniemail", REPO / "scripts" / "refresh_caniemail.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    feature = {
        "slug": "css-gap",
        "title": "gap, column-gap, row-gap",
        "url": "https://www.caniemail.com/features/css-gap/",
        "category": "css",
        "notes_by_num": {"1": "Only on flex."},
        "stats": {
            "gmail": {"desktop-webmail": {"2019-01": "n", "2024-01": "y"}, "ios": {"2024-01": "n"}},
            "outlook": {"windows": {"2019": "n"}, "macos": {"16.80": "a #1"}, "outlook-com": {"2024-01": "a #1"}},
            "apple-mail": {"macos": {"16": "y"}},
        },
    }
    source = tmp_path / "package"
    (source / "data").mkdir(parents=True)
    (source / "package.json").write_text('{"name": "caniemail", "version": "9.9.9"}', encoding="utf-8")
    (source / "data" / "caniemail.json").write_text(json.dumps({"data": [feature]}), encoding="utf-8")
    out = tmp_path / "extract.json"
    assert script.main([str(source), "--out", str(out), "--date", "2026-01-02"]) == 0
    extract = json.loads(out.read_text(encoding="utf-8"))
    assert extract["source"] == {
        "package": "caniemail",
        "version": "9.9.9",
        "data_updated": "",
        "licence": "MIT, © Rémi Parmentier (caniemail.com)",
        "refreshed": "2026-01-02",
    }
    assert extract["features"]["css-gap"] == {
        "title": "gap, column-gap, row-gap",
        "url": "https://www.caniemail.com/features/css-gap/",
        "match": {"properties": ["column-gap", "gap", "row-gap"]},
        "support": {
            "gmail": "y",
            "gmail-ios": "n",
            "gmail-android": "u",
            "gmail-mobile-web": "u",
            "apple-mail": "y",
            "outlook-windows": "n",
            "outlook-mac": "a",
            "yahoo": "u",
            "yahoo-ios": "u",
            "yahoo-android": "u",
        },
        "notes": {"outlook-mac": "#1: Only on flex."},
    }


@pytest.mark.parametrize(
    "url", ["http://localhost.:8000/", "http://[0:0:0:0:0:0:0:1]/", "http://127.1.2.3/x", "http://0.0.0.0/"]
)
def test_every_spelling_of_this_computer_is_caught(publication, url):
    write_issue(publication, "local", body=f"See [here]({url}).")
    assert findings(publication, "local", rule="url-localhost") == [("url-localhost", "error", "issues/local.md", 8)]


def test_an_image_without_src_is_an_empty_url(publication):
    write_issue(publication, "nosrc", body='An <img alt="logo" width="10"> here.')
    assert [f[:2] for f in findings(publication, "nosrc", rule="url-empty")] == [("url-empty", "error")]


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
def test_a_url_markdown_ran_into_the_following_text_is_a_warning(tmp_path, inliner):
    root = make_publication(tmp_path / "pub", inliner=inliner)
    write_issue(
        root,
        "spaced",
        body="Intro.\n\nSee [the page](https://example.com/(a) and more text) now.\n\n"
        "A [file](https://example.com/my%20file.pdf) written with %20 is fine.",
    )
    assert findings(root, "spaced", rule="url-space") == [
        ("url-space", "warning", "issues/spaced.md", body_line(root, "spaced", "[the page]"))
    ]
