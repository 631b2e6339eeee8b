"""The public record (issue 9): a publish-safe output folder, the feeds, the sitemap and the page
data that carry every correction, checked with the parsers feed readers and search engines use."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import feedparser
import jsonschema
import pytest
from lxml import html as lxml_html

from conftest import write_issue

SLUG = "2018-07-13-line-privacy"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def parsed(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


#: JSON Feed 1.1 (https://jsonfeed.org/version/1.1) as a JSON Schema, field by field from the
#: spec: its required fields (version, title, items; an item's id and content_html or
#: content_text; an attachment's url and mime_type; a hub's type and url), its types, an author
#: with at least one field, and no other keys but extensions, which start with "_". The
#: released feedparser (6.0) reads no JSON Feed (its support is unreleased: kurtmckee/feedparser
#: #103, #363), and no schema for 1.1 is published by the spec, so the test carries this one.
_STRING = {"type": "string"}
_URL = {"type": "string", "pattern": "^https?://"}
#: RFC 3339, with its offset, as the spec asks of both dates.
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"}
_EXTENSIONS = {"^_": {}}
_AUTHOR = {
    "type": "object",
    "properties": {"name": _STRING, "url": _STRING, "avatar": _STRING},
    "minProperties": 1,
    "patternProperties": _EXTENSIONS,
    "additionalProperties": False,
}
JSON_FEED_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "title", "items"],
    "properties": {
        "version": {"const": "https://jsonfeed.org/version/1.1"},
        "title": {"type": "string", "minLength": 1},
        "home_page_url": _URL,
        "feed_url": _URL,
        "description": _STRING,
        "user_comment": _STRING,
        "next_url": _URL,
        "icon": _STRING,
        "favicon": _STRING,
        "authors": {"type": "array", "items": _AUTHOR},
        "language": _STRING,
        "expired": {"type": "boolean"},
        "hubs": {
            "type": "array",
            "items": {"type": "object", "required": ["type", "url"], "properties": {"type": _STRING, "url": _STRING}},
        },
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "anyOf": [{"required": ["content_html"]}, {"required": ["content_text"]}],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "url": _URL,
                    "external_url": _URL,
                    "title": _STRING,
                    "content_html": _STRING,
                    "content_text": _STRING,
                    "summary": _STRING,
                    "image": _STRING,
                    "banner_image": _STRING,
                    "date_published": _DATE,
                    "date_modified": _DATE,
                    "authors": {"type": "array", "items": _AUTHOR},
                    "tags": {"type": "array", "items": _STRING},
                    "language": _STRING,
                    "attachments": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["url", "mime_type"],
                            "properties": {
                                "url": _STRING,
                                "mime_type": _STRING,
                                "title": _STRING,
                                "size_in_bytes": {"type": "number"},
                                "duration_in_seconds": {"type": "number"},
                            },
                        },
                    },
                },
                "patternProperties": _EXTENSIONS,
                "additionalProperties": False,
            },
        },
    },
    "patternProperties": _EXTENSIONS,
    "additionalProperties": False,
}
FEED_VALIDATOR = jsonschema.Draft202012Validator(JSON_FEED_SCHEMA)


def json_feed(path: Path) -> dict:
    """feed.json, checked against JSON Feed 1.1 (every problem at once, with where it is)."""
    feed = json.loads(read(path))
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in FEED_VALIDATOR.iter_errors(feed)]
    assert not problems, problems
    return feed


def test_the_json_feed_check_rejects_what_the_spec_rejects():
    """The schema can fail: each of these breaks one rule of JSON Feed 1.1."""
    good = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Letter",
        "items": [{"id": "1", "content_text": "x", "date_published": "2026-01-05T09:00:00+09:00"}],
    }
    assert not list(FEED_VALIDATOR.iter_errors(good))
    item = good["items"][0]
    for broken in (
        {k: v for k, v in good.items() if k != "title"},
        {**good, "version": "https://jsonfeed.org/version/1"},
        {**good, "author": {"name": "1.0's field"}},
        {**good, "authors": [{}]},
        {**good, "items": [{"id": "1"}]},
        {**good, "items": [{**item, "date_published": "2026-01-05 09:00"}]},
        {**good, "items": [{**item, "date_published": "2026-01-05T09:00:00"}]},
        {**good, "items": [{**item, "tags": "one"}]},
        {**good, "items": [{**item, "attachments": [{"url": "https://x.example/a.mp3"}]}]},
    ):
        assert list(FEED_VALIDATOR.iter_errors(broken)), broken
    assert not list(FEED_VALIDATOR.iter_errors({**good, "_notice": {"any": "extension"}}))


def json_ld(page: str) -> dict:
    scripts = lxml_html.fromstring(page).xpath('//script[@type="application/ld+json"]/text()')
    assert len(scripts) == 1
    return json.loads(scripts[0])


def public_files(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes().decode("utf-8", "replace")
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def sent(publication, run, monkeypatch):
    """'hello' published on 2026-01-05 09:00 London time; commands run from inside."""
    monkeypatch.chdir(publication)
    write_issue(publication, "hello", body="The cat sat on the mat.\n\nIt rained all day.")
    assert run("publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    return publication


def correct(run, *args: str) -> str:
    result = run("correct", "hello", *args)
    assert result.exit_code == 0, result.output
    return result.stdout.split()[2]


def build(run, *args: str):
    result = run("build", *args)
    assert result.exit_code == 0, result.output
    return result


# --- the sample publication: feeds that parse, page data that parses -------------------------------


def test_the_sample_feeds_parse_without_bozo_and_carry_the_corrections(sample_publication, run):
    result = run("-C", str(sample_publication), "build")
    assert result.exit_code == 0, result.output
    site = sample_publication / "site"
    atom, fixes = (parsed(site / name) for name in ("feed.atom", "corrections.atom"))
    assert len(atom.entries) == 1  # the draft is left out
    entry = atom.entries[0]
    assert entry.id == f"tag:example.jp,2018-07-13:{SLUG}"
    assert entry.title.startswith("【訂正追記有り】")
    assert entry.published == "2018-07-13T10:00:00+09:00" and entry.updated == "2018-07-21T10:00:00+09:00"
    assert atom.feed.updated == entry.updated
    assert entry.link == f"https://letter.example.jp/{SLUG}/web.html"
    assert [t.term for t in entry.tags] == ["line", "privacy"]
    content = entry.content[0].value
    assert "<del" in content and "<ins" in content and 'id="correction-e6821b2"' in content
    # one entry per record readers must hear of, each a reply to the issue's entry
    assert len(fixes.entries) == 4
    assert all(e.id.startswith(entry.id + "/correction/") for e in fixes.entries)
    assert [e.updated for e in fixes.entries] == sorted((e.updated for e in fixes.entries), reverse=True)
    assert fixes.entries[-1].link == f"https://letter.example.jp/{SLUG}/web.html#correction-e6821b2"
    assert 'thr:in-reply-to ref="tag:example.jp,2018-07-13:2018-07-13-line-privacy"' in read(site / "corrections.atom")
    # the JSON feed is the Atom feed's twin
    data = json_feed(site / "feed.json")
    item = data["items"][0]
    assert (item["id"], item["title"], item["date_modified"]) == (entry.id, entry.title, entry.updated)
    assert data["items"][0]["date_published"] == "2018-07-13T10:00:00+09:00"
    from lxml import etree  # what feedparser sanitized, as written

    written = etree.parse(str(site / "feed.atom")).findtext(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content"
    )
    assert data["items"][0]["content_html"] == written
    sitemap = read(site / "sitemap.xml")
    assert f"<loc>https://letter.example.jp/{SLUG}/web.html</loc>\n  <lastmod>2018-07-21T10:00:00+09:00" in sitemap
    assert "pre-send-checklist" not in sitemap


def test_the_web_page_says_when_it_was_sent_and_updated_to_people_and_machines(sample_publication, run):
    assert run("-C", str(sample_publication), "build").exit_code == 0
    page = read(sample_publication / "site" / SLUG / "web.html")
    assert (
        '<p class="issue-dates">配信 <time datetime="2018-07-13T10:00:00+09:00">2018年7月13日</time> · '
        '最終更新 <time datetime="2018-07-21T10:00:00+09:00">2018年7月21日</time></p>'
    ) in page
    for record in ("e6821b2", "8f9db28", "bdbf824", "530bfbb"):
        assert f'id="correction-{record}"' in page
    assert (
        '<link rel="alternate" type="application/atom+xml" title="小さなお店のWEB活用便り" href="../feed.atom">' in page
    )
    assert '<meta property="og:title" content="【訂正追記有り】' in page
    assert '<meta property="article:modified_time" content="2018-07-21T10:00:00+09:00">' in page
    assert '<meta name="twitter:card" content="summary">' in page
    data = json_ld(page)
    assert data["@type"] == "BlogPosting" and data["inLanguage"] == "ja"
    assert data["headline"].startswith("【訂正追記有り】")
    assert (data["datePublished"], data["dateModified"]) == ("2018-07-13T10:00:00+09:00", "2018-07-21T10:00:00+09:00")
    assert [c["@type"] for c in data["correction"]] == ["CorrectionComment"] * 4
    assert data["correction"][0]["url"].endswith("web.html#correction-e6821b2")
    assert "LINE@" in data["correction"][0]["text"]
    assert "creativeWorkStatus" not in data
    index = read(sample_publication / "site" / "index.html")
    assert 'href="./feed.atom"' in index


# --- drafts never in public output ---------------------------------------------------------------


def test_drafts_appear_nowhere_in_the_output_unless_asked_for(sample_publication, run):
    result = run("-C", str(sample_publication), "build")
    site = sample_publication / "site"
    assert (
        "Left out 1 draft (pre-send-checklist): `notice preview` or `notice build --drafts` shows them" in result.stdout
    )
    assert not any(
        "pre-send-checklist" in text or "Five things to check" in text for text in public_files(site).values()
    )

    drafts = run("-C", str(sample_publication), "build", "--drafts")
    assert drafts.exit_code == 0 and "Left out" not in drafts.stdout
    assert (site / "pre-send-checklist" / "web.html").is_file()
    assert 'class="draft"' in read(site / "index.html")
    assert "pre-send-checklist" not in read(site / "feed.atom") + read(site / "sitemap.xml")

    again = run("-C", str(sample_publication), "build")  # the review build's pages must not be uploaded
    assert "removed the outputs of 1 draft built earlier" in again.stdout
    assert not (site / "pre-send-checklist").exists()
    assert not any("pre-send-checklist" in text for text in public_files(site).values())


def test_a_drafts_pages_no_build_on_record_wrote_are_named_not_shipped_silently(sample_publication, run):
    """A draft built by an older notice, or recorded in a cache that was lost: its folder is
    not notice's to delete blindly, and not for upload, so the build says so."""
    assert run("-C", str(sample_publication), "build", "--drafts").exit_code == 0
    shutil.rmtree(sample_publication / ".notice-cache" / "outputs")  # every folder's record lost
    result = run("-C", str(sample_publication), "build")
    assert result.exit_code == 0, result.output
    assert "pre-send-checklist: pages of the draft 'pre-send-checklist' that no recorded build" in result.stderr
    assert "they are not for upload" in result.stderr and "notice build --drafts" in result.stderr
    assert run("-C", str(sample_publication), "build", "--drafts").exit_code == 0
    assert "removed the outputs of 1 draft" in run("-C", str(sample_publication), "build").stdout
    assert not (sample_publication / "site" / "pre-send-checklist").exists()


def test_building_a_named_draft_without_drafts_is_an_error_with_the_hint(sample_publication, run):
    result = run("-C", str(sample_publication), "build", "pre-send-checklist")
    assert result.exit_code == 1
    assert "'pre-send-checklist' is a draft: drafts are not built into the output" in result.stderr
    assert "notice build --drafts pre-send-checklist" in result.stderr
    assert not (sample_publication / "site" / "pre-send-checklist").exists()


def test_export_of_a_draft_is_private_and_says_where(publication, run):
    result = run("-C", str(publication), "export", "hello")
    assert result.exit_code == 0, result.output
    assert ".notice-cache/export/hello/message.eml (a draft: built privately" in result.stdout
    assert not (publication / "build" / "hello").exists()


def test_check_builds_drafts_privately_and_says_where_when_asked(publication, run):
    result = run("-C", str(publication), "-v", "check")
    assert "checked the private build in " in result.stdout and ".notice-cache/check/" in result.stdout
    assert not (publication / "build" / "hello").exists()
    assert "checked the private build" not in run("-C", str(publication), "check").stdout  # quiet by default


# --- ids and dates ---------------------------------------------------------------------------------


def ids(out: Path) -> tuple[str, list[str]]:
    atom = parsed(out / "feed.atom")
    return atom.feed.id, [e.id for e in atom.entries] + [i["id"] for i in json_feed(out / "feed.json")["items"]]


def test_ids_never_change_across_builds_base_url_titles_and_corrections(sent, run):
    out = sent / "build"
    build(run)
    first = ids(out)
    assert first[1][0] == "tag:example.com,2026-01-05:hello" and first[0] == "tag:example.com,2026:feed"
    build(run, "--force")
    assert ids(out) == first
    config = sent / "notice.toml"
    config.write_text(
        read(config).replace("https://news.example.com/", "https://elsewhere.example.org/letter/"), encoding="utf-8"
    )
    build(run)
    assert ids(out) == first
    assert "https://elsewhere.example.org/letter/hello/web.html" in read(out / "feed.atom")
    correct(
        run,
        "--kind",
        "correction",
        "--replaces",
        "It rained all day.",
        "--with",
        "It was sunny.",
        "--note",
        "We misreported the weather.",
        "--date",
        "2026-01-06 09:00",
    )
    build(run)
    assert ids(out) == first
    assert parsed(out / "feed.atom").entries[0].title == "[Corrected] Hello"


def test_updated_moves_for_a_correction_and_not_for_a_minor_fix(sent, run):
    out = sent / "build"
    build(run)
    published = parsed(out / "feed.atom").entries[0].updated
    assert published == "2026-01-05T09:00:00+00:00"
    correct(
        run,
        "--kind",
        "minor",
        "--replaces",
        "the mat",
        "--with",
        "the rug",
        "--note",
        "A typo.",
        "--date",
        "2026-01-06 09:00",
    )
    build(run)
    atom = parsed(out / "feed.atom")
    assert atom.entries[0].updated == published and atom.feed.updated == published
    assert "the rug" in atom.entries[0].content[0].value  # the content has the fix; the date does not move
    assert parsed(out / "corrections.atom").entries == []
    assert 'dateModified": "2026-01-05T09:00:00+00:00' in read(out / "hello" / "web.html")
    assert "correction" not in json_ld(read(out / "hello" / "web.html"))

    record = correct(run, "--kind", "update", "--note", "Prices changed.", "--date", "2026-01-07 10:00")
    build(run)
    atom = parsed(out / "feed.atom")
    assert atom.entries[0].updated == "2026-01-07T10:00:00+00:00" == atom.feed.updated
    assert atom.entries[0].published == published
    fixes = parsed(out / "corrections.atom").entries
    assert [e.id for e in fixes] == [f"tag:example.com,2026-01-05:hello/correction/{record}"]
    assert json_feed(out / "feed.json")["items"][0]["date_modified"] == "2026-01-07T10:00:00+00:00"
    data = json_ld(read(out / "hello" / "web.html"))
    assert data["dateModified"] == "2026-01-07T10:00:00+00:00" and len(data["correction"]) == 1


def test_a_retracted_issue_stays_in_the_feed_with_its_marker_and_banner(sent, run):
    correct(run, "--kind", "retraction", "--note", "The story was wrong.", "--date", "2026-01-08 09:00")
    build(run)
    entry = parsed(sent / "build" / "feed.atom").entries[0]
    assert entry.title == "[Retracted] Hello"
    assert "retraction-banner" in entry.content[0].value and "The cat sat on the mat." in entry.content[0].value
    assert json_ld(read(sent / "build" / "hello" / "web.html"))["creativeWorkStatus"] == "Retracted"


def test_builds_are_byte_identical(sent, run):
    correct(run, "--kind", "update", "--note", "Prices changed.", "--date", "2026-01-07 10:00")
    build(run)
    first = public_files(sent / "build")
    build(run, "--force")
    assert public_files(sent / "build") == first


# --- settings --------------------------------------------------------------------------------------


def test_web_settings_reach_the_page(sent, run):
    with (sent / "notice.toml").open("a", encoding="utf-8") as toml:
        toml.write(
            '\n[web]\nschema_type = "NewsArticle"\ncorrections_policy_url = "https://news.example.com/policy"\n'
            'share = ["line", "hatena"]\n\n[feed]\nentries = 1\ntag = "news.example.com,2025"\n'
        )
    write_issue(sent, "older", title="Older", date="2025-12-01", status="published")
    build(run)
    page = read(sent / "build" / "hello" / "web.html")
    data = json_ld(page)
    assert data["@type"] == "NewsArticle"
    assert data["publisher"]["correctionsPolicy"] == "https://news.example.com/policy"
    assert '<a href="https://news.example.com/policy">Corrections policy</a>' in page
    assert (
        'href="https://social-plugins.line.me/lineit/share?url=https%3A%2F%2Fnews.example.com%2Fhello%2Fweb.html"'
        in page
    )
    assert "https://b.hatena.ne.jp/add?mode=confirm&amp;url=" in page and "facebook" not in page
    atom = parsed(sent / "build" / "feed.atom")
    assert [e.title for e in atom.entries] == ["Hello"] and atom.feed.id == "tag:news.example.com,2025:feed"


@pytest.mark.parametrize(
    "setting, message",
    [
        (
            '[web]\nschema_type = "BlogPost"',
            "notice.toml:{line}: unknown schema_type 'BlogPost' (did you mean 'BlogPosting'?)",
        ),
        (
            '[web]\nshare = ["line", "hatna"]',
            "notice.toml:{line}: unknown share network 'hatna' (did you mean 'hatena'?)",
        ),
        ("[feed]\nentries = 0", "notice.toml:{line}: 'entries' must be a positive whole number, not 0"),
        ('[feed]\nentries = "20"', "notice.toml:{line}: 'entries' in [feed] must be a whole number, not a string"),
    ],
)
def test_bad_feed_and_web_settings_are_clear_errors_with_their_line(publication, run, setting, message):
    config = publication / "notice.toml"
    text = read(config) + "\n" + setting + "\n"
    config.write_text(text, encoding="utf-8")
    result = run("-C", str(publication), "build")
    assert result.exit_code == 1 and "Traceback" not in result.output
    line = len(text.rstrip("\n").splitlines())
    assert result.stderr.startswith("Error: ") and message.format(line=line) in result.stderr, result.stderr


def test_without_base_url_the_feeds_are_not_written_and_the_build_says_so_once(sent, run):
    build(run)
    config = sent / "notice.toml"
    config.write_text(read(config).replace('base_url = "https://news.example.com/"\n', ""), encoding="utf-8")
    result = build(run)
    assert result.stderr.count("Warning:") == 1
    assert "feed.atom, corrections.atom, feed.json and sitemap.xml were not written" in result.stderr
    assert "set base_url in [publication] in notice.toml" in result.stderr
    assert not any(
        (sent / "build" / name).exists() for name in ("feed.atom", "corrections.atom", "feed.json", "sitemap.xml")
    )
    assert "feed.atom" not in read(sent / "build" / "index.html")


# --- the seed case, end to end ----------------------------------------------------------------------


def test_the_seed_case_reaches_feed_readers_and_search_engines(seed_publication, run, monkeypatch):
    monkeypatch.chdir(seed_publication)
    assert run("publish", SLUG, "--date", "2018-07-13 10:00").exit_code == 0
    site = seed_publication / "site"
    build(run)
    first = parsed(site / "feed.atom").entries[0]
    assert first.title == "LINEのトーク内容が自動で収集される？ プライバシーポリシー変更のポイント"
    assert first.updated == first.published == "2018-07-13T10:00:00+09:00"

    result = run(
        "correct",
        SLUG,
        "--kind",
        "correction",
        "--replaces",
        "LINE@は公式アカウントとは別のサービスなので、LINE@でのお客様とのトーク内容は収集の対象になりません。",
        "--with",
        "LINE@も「公式アカウント」に含まれるため、LINE@でのお客様とのトーク内容も収集の対象になります。",
        "--note",
        "LINE社の詳細情報に、LINE@も「公式アカウント」に含まれるとありました。お詫びして訂正します。",
        "--date",
        "2018-07-14 09:00",
    )
    assert result.exit_code == 0, result.output
    record = result.stdout.split()[2]
    build(run)
    entry = parsed(site / "feed.atom").entries[0]
    assert entry.id == first.id and entry.title.startswith("【訂正追記有り】")
    assert entry.updated == "2018-07-14T09:00:00+09:00"
    fix = parsed(site / "corrections.atom").entries[0]
    assert fix.title.startswith("【訂正とお詫び】") and fix.link.endswith(f"web.html#correction-{record}")
    assert "お詫びして訂正します" in fix.content[0].value
    page = read(site / SLUG / "web.html")
    assert '最終更新 <time datetime="2018-07-14T09:00:00+09:00">2018年7月14日</time>' in page
    assert json_ld(page)["correction"][0]["url"].endswith(f"#correction-{record}")
    assert re.search(r'<meta property="og:title" content="【訂正追記有り】', page)


# --- as sent, the record chain and the corrections log ------------------------------------------------


def test_original_html_holds_the_locked_text_and_not_the_corrected_one(sent, run):
    correct(
        run,
        "--kind",
        "correction",
        "--replaces",
        "It rained all day.",
        "--with",
        "It was sunny.",
        "--note",
        "We misreported the weather.",
        "--date",
        "2026-01-06 09:00",
    )
    build(run)
    folder = sent / "build" / "hello"
    original = read(folder / "original.html")
    assert "It rained all day." in original and "It was sunny." not in original
    body = original.split("<body>", 1)[1]  # the theme's CSS names del and errata too
    assert "<del" not in body and "[Corrected]" not in original and "errata" not in body
    assert '<meta name="robots" content="noindex">' in original
    assert "This is the issue as sent on January 5, 2026, without any later correction." in original
    assert '<a href="web.html">Read the current version</a>' in original
    assert '<a href="original.html">See the issue as sent</a>' in read(folder / "web.html")


def test_record_json_chains_every_record_to_the_lock(sent, run):
    import hashlib  # noqa: F401 - the README's check, in Python

    first = correct(run, "--kind", "update", "--note", "Prices changed.", "--date", "2026-01-06 09:00")
    build(run)
    before = json.loads(read(sent / "build" / "hello" / "record.json"))
    second = correct(
        run,
        "--kind",
        "minor",
        "--replaces",
        "the mat",
        "--with",
        "the rug",
        "--note",
        "A typo.",
        "--date",
        "2026-01-07 09:00",
    )
    build(run)
    after = json.loads(read(sent / "build" / "hello" / "record.json"))
    assert [r["id"] for r in after["records"]] == [first, second]
    assert after["records"][:1] == before["records"]  # an earlier copy is a prefix of every later one
    chain = [after["lock"], *(r["hash"] for r in after["records"])]
    assert [r["previous"] for r in after["records"]] == chain[:-1]
    assert all(r["hash"].startswith(r["id"]) for r in after["records"])


def test_the_corrections_log_lists_every_record_readers_must_hear_of(sent, run):
    write_issue(sent, "second", title="Second", date="2026-02-01")
    assert run("publish", "second", "--date", "2026-02-01 09:00").exit_code == 0
    update = correct(run, "--kind", "update", "--note", "Prices changed.", "--date", "2026-01-06 09:00")
    correct(
        run,
        "--kind",
        "minor",
        "--replaces",
        "the mat",
        "--with",
        "the rug",
        "--note",
        "A typo.",
        "--date",
        "2026-02-07 09:00",
    )
    result = run("correct", "second", "--kind", "correction", "--note", "Wrong day.", "--date", "2026-02-03 09:00")
    fix = result.stdout.split()[2]
    build(run)
    log = read(sent / "build" / "corrections.html")
    rows = re.findall(r'<a href="([^"]+)">([^<]+)</a> · <code title="sha256 ([0-9a-f]{64})">record (\w+)</code>', log)
    assert [(href, title, short) for href, title, _, short in rows] == [
        (f"second/web.html#correction-{fix}", "Second", fix),
        (f"hello/web.html#correction-{update}", "Hello", update),
    ]
    assert "A typo." not in log
    assert '<a href="corrections.html">Corrections</a>' in read(sent / "build" / "index.html")


def test_feed_entries_kept_between_builds_follow_every_input(sent, run):
    build(run)
    assert (sent / ".notice-cache" / "feed-entries.json").is_file()
    (sent / "templates").mkdir()
    (sent / "templates" / "feed_entry.html").write_text("<p>THEMED</p>\n{{ content }}\n", encoding="utf-8")
    build(run)
    assert parsed(sent / "build" / "feed.atom").entries[0].content[0].value.startswith("<p>THEMED</p>")
    correct(run, "--kind", "update", "--note", "Prices changed.", "--date", "2026-01-06 09:00")
    (sent / "templates" / "feed_entry.html").write_text(
        "{% include '_errata.html' %}\n{{ content }}\n", encoding="utf-8"
    )
    build(run)
    assert "Prices changed." in parsed(sent / "build" / "feed.atom").entries[0].content[0].value


def test_a_sent_issue_set_back_to_draft_is_an_error_and_keeps_its_pages(sent, run):
    build(run)
    page = sent / "build" / "hello" / "web.html"
    before = page.read_bytes()
    issue = sent / "issues" / "hello.md"
    issue.write_text(read(issue).replace("status: published", "status: draft"), encoding="utf-8")
    result = run("build")
    assert result.exit_code == 1
    assert "issues/hello.md: 'hello' says status: draft, but it was published: readers received it" in result.stderr
    assert "--kind retraction" in result.stderr
    assert page.read_bytes() == before and (sent / "build" / "feed.atom").is_file()


def test_the_errata_on_the_web_show_each_records_short_hash(sent, run):
    record = correct(run, "--kind", "update", "--note", "Prices changed.", "--date", "2026-01-06 09:00")
    build(run)
    web, email = (read(sent / "build" / "hello" / name) for name in ("web.html", "email.html"))
    assert re.search(rf'<code title="sha256 {record}[0-9a-f]{{57}}">record {record}</code>', web)
    assert "sha256" not in email


# --- what a build renders again ------------------------------------------------------------------

#: What is edited (issue, text, new text), and the text the feeds then carry (None: none of it).
EDITS = {
    "an older issue's body": ("old", "The old text.", "The old text, edited.", None),
    "a draft's body": ("hello", "Some *text*", "Some *edited text*", None),
    "the newest issue's body": ("new", "The new text.", "The new text, edited.", "The new text, edited."),
    "an older issue made the newest": ("old", "date: 2026-01-01", "date: 2026-01-04", "The old text."),
}


@pytest.mark.parametrize("edit", EDITS)
def test_after_any_edit_the_feeds_are_those_of_a_forced_build(publication, run, tmp_path, monkeypatch, edit):
    """The feeds carry the text of the newest `[feed] entries` issues only, so only those
    issues' bodies are in their key (`build.public_keys`): after any edit a build's feeds are
    a forced build's, byte for byte, and an edit of a text they carry is in them."""
    config = publication / "notice.toml"
    config.write_text(read(config) + "\n[feed]\nentries = 2\n", encoding="utf-8")
    for slug, day in (("old", 1), ("middle", 2), ("new", 3)):
        write_issue(
            publication, slug, title=slug.title(), date=f"2026-01-0{day}", status="published", body=f"The {slug} text."
        )
    monkeypatch.chdir(publication)
    build(run, "--drafts")
    slug, before, after, carried = EDITS[edit]
    path = publication / "issues" / f"{slug}.md"
    assert before in read(path)
    path.write_text(read(path).replace(before, after), encoding="utf-8")
    build(run, "--drafts")
    build(run, "--drafts", "--force", "--out", str(tmp_path / "forced"))
    names = ("feed.atom", "corrections.atom", "feed.json", "sitemap.xml")
    assert {n: (publication / "build" / n).read_bytes() for n in names} == {
        n: (tmp_path / "forced" / n).read_bytes() for n in names
    }
    texts = "".join(item["content_html"] for item in json_feed(publication / "build" / "feed.json")["items"])
    assert ("edited" in texts or "old text" in texts) == (carried is not None)
    assert carried is None or carried in texts


def test_a_correction_of_an_older_issue_reaches_the_feeds_the_narrower_key_leaves(
    publication, run, tmp_path, monkeypatch
):
    """An issue older than the newest `[feed] entries` is outside the feeds' text, but its
    correction is in the corrections feed and its page's date in the sitemap: its records are
    in the feeds' key (`build.public_keys`), so the build's feeds are a forced build's."""
    config = publication / "notice.toml"
    config.write_text(read(config) + "\n[feed]\nentries = 1\n", encoding="utf-8")
    monkeypatch.chdir(publication)
    for slug, day in (("old", 1), ("new", 3)):
        write_issue(publication, slug, title=slug.title(), date=f"2026-01-0{day}", body=f"The {slug} text.")
        assert run("publish", slug, "--date", f"2026-01-0{day} 09:00").exit_code == 0
    build(run)
    assert parsed(publication / "build" / "corrections.atom").entries == []
    result = run("correct", "old", "--kind", "update", "--note", "The date moved.", "--date", "2026-01-06 09:00")
    assert result.exit_code == 0, result.output
    build(run)
    build(run, "--force", "--out", str(tmp_path / "forced"))
    names = ("feed.atom", "corrections.atom", "feed.json", "sitemap.xml")
    assert {n: (publication / "build" / n).read_bytes() for n in names} == {
        n: (tmp_path / "forced" / n).read_bytes() for n in names
    }
    (entry,) = parsed(publication / "build" / "corrections.atom").entries
    assert "The date moved." in entry.summary + "".join(c.value for c in entry.get("content", []))
