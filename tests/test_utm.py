"""[email.utm] (issue 10): UTM parameters on the email's outbound links, and nowhere else."""

from __future__ import annotations

import pytest

from toolkit.utm import parameters, tag_html, tag_text, tag_url

from conftest import write_issue

PARAMS = {"utm_source": "letter", "utm_medium": "email", "utm_campaign": "spring sale"}
UTM = "utm_source=letter&utm_medium=email&utm_campaign=spring+sale"


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://shop.example.com/", f"https://shop.example.com/?{UTM}"),
        ("https://shop.example.com/a?x=1#top", f"https://shop.example.com/a?x=1&{UTM}#top"),
        ("HTTP://shop.example.com/a", f"HTTP://shop.example.com/a?{UTM}"),
        ("https://shop.example.com/?UTM_SOURCE=mine", "https://shop.example.com/?UTM_SOURCE=mine"),
        ("mailto:a@example.com", "mailto:a@example.com"),
        ("https://noticetag.invalid/0x", "https://noticetag.invalid/0x"),  # a merge tag, still a placeholder
        ("https://news.example.com/unsubscribe", "https://news.example.com/unsubscribe"),
        (
            "https://news.example.com/hello/web.html#correction-1",
            "https://news.example.com/hello/web.html#correction-1",
        ),
        ("https://[::1", "https://[::1"),
    ],
)
def test_tag_url(url, expected):
    skip = ("https://news.example.com/unsubscribe", "https://news.example.com/hello/web.html")
    assert tag_url(url, PARAMS, skip) == expected


def test_parameters_fill_slug_and_number_and_skip_what_is_unset():
    assert parameters({"source": "letter", "campaign": "no-{number}-{slug}"}, "spring", 42) == {
        "utm_source": "letter",
        "utm_campaign": "no-42-spring",
    }
    assert parameters({}, "spring", None) == {}


def test_html_attributes_are_unescaped_then_escaped_and_text_only_its_link_list():
    html = '<a href="https://a.example/?x=1&amp;y=2">a</a> https://b.example/ <a href="#x">b</a>'
    assert tag_html(html, PARAMS) == (
        f'<a href="https://a.example/?x=1&amp;y=2&amp;{UTM.replace("&", "&amp;")}">a</a>'
        ' https://b.example/ <a href="#x">b</a>'
    )
    text = "See https://b.example/ here.\n\n[1] https://a.example/\nhttps://news.example.com/unsubscribe\n"
    assert (
        tag_text(text, PARAMS) == f"See https://b.example/ here.\n\n[1] https://a.example/?{UTM}\n"
        "https://news.example.com/unsubscribe\n"
    )


def test_a_build_tags_the_email_and_its_text_but_not_the_web_page(run, publication):
    config = publication / "notice.toml"
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[email.utm]\nsource = "letter"\nmedium = "email"\n'
        'campaign = "{slug}"\n',
        encoding="utf-8",
    )
    write_issue(publication, "hello", body="[Shop](https://shop.example.com/) and [mine](https://x.example/?utm_id=1).")
    assert run("-C", str(publication), "build", "--drafts").exit_code == 0
    folder = publication / "build" / "hello"
    html = (folder / "email.html").read_text(encoding="utf-8")
    text = (folder / "email.txt").read_text(encoding="utf-8")
    tagged = "https://shop.example.com/?utm_source=letter&amp;utm_medium=email&amp;utm_campaign=hello"
    assert f'href="{tagged}"' in html and 'href="https://x.example/?utm_id=1"' in html
    assert 'href="https://news.example.com/unsubscribe"' in html  # never the unsubscribe link
    assert 'href="https://news.example.com/hello/web.html"' in html  # nor the web version
    assert "[1] " + tagged.replace("&amp;", "&") + "\n" in text
    assert "utm_" not in (folder / "web.html").read_text(encoding="utf-8").replace("utm_id=1", "")


@pytest.mark.parametrize(
    "table, message",
    [
        ('source = "a"\nmediun = "email"', "unknown key 'mediun' in [email.utm] (did you mean 'medium'?)"),
        ('campaign = "{title}"', "'campaign' in [email.utm] may name only {slug} and {number}: '{title}'"),
        ('campaign = ""', "'campaign' in [email.utm] must be a non-empty string"),
    ],
)
def test_a_bad_utm_table_is_a_config_error(run, publication, table, message):
    config = publication / "notice.toml"
    config.write_text(config.read_text(encoding="utf-8") + f"\n[email.utm]\n{table}\n", encoding="utf-8")
    result = run("-C", str(publication), "build")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.stderr
