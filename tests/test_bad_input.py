"""Hostile and odd input: every command answers with a clean error, never a traceback,
and never writes over the author's files. (Found by a review; each case once crashed.)"""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from toolkit.config import load_config
from toolkit.publishing import correct, publish

from conftest import write_issue


def clean_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.fixture
def sent(publication):
    """The publication's issue, published."""
    publish(load_config(publication), "hello", dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    return publication


@pytest.mark.parametrize("out", [".", "issues", "templates", "corrections", ".notice-cache", "notice.toml", ".."])
def test_build_never_writes_into_the_authors_folders(run, publication, out):
    config = (publication / "notice.toml").read_text(encoding="utf-8")
    (publication / "notice.toml").write_text(config.replace('out = "build"', f'out = "{out}"'), encoding="utf-8")
    clean_error(run("-C", str(publication), "build", "--drafts"), "must be a new folder inside the publication")


@pytest.mark.parametrize("out", [".", "issues", "templates/x", "corrections", ".notice-cache", ".."])
def test_build_out_option_refuses_the_authors_folders(run, publication, out):
    before = sorted(p.relative_to(publication) for p in publication.rglob("*"))
    clean_error(
        run("-C", str(publication), "build", "--out", str(publication / out)),
        "would overwrite the publication's own files",
    )
    assert sorted(p.relative_to(publication) for p in publication.rglob("*")) == before


def test_an_issue_that_is_a_folder_or_a_dangling_link(run, publication):
    (publication / "issues" / "folder.md").mkdir()
    (publication / "issues" / "gone.md").symlink_to(publication / "nowhere.md")
    result = run("-C", str(publication), "build", "--drafts")
    clean_error(result, "issues/folder.md: cannot read this file", "issues/gone.md: cannot read this file")
    assert (publication / "build" / "hello" / "email.html").is_file()  # the good issue was built


def test_nul_byte_in_front_matter(run, publication):
    (publication / "issues" / "nul.md").write_bytes(b"---\ntitle: a\x00b\ndate: 2026-01-01\n---\nbody\n")
    clean_error(run("-C", str(publication), "list"), "issues/nul.md:2: invalid YAML in the front-matter")


def test_a_record_with_a_value_json_cannot_hold(run, sent):
    correct(
        load_config(sent),
        "hello",
        kind="update",
        note="x",
        replaces=[],
        pending=False,
        resolves=None,
        date=dt.datetime(2026, 1, 6, tzinfo=dt.UTC),
    )
    record = next(p for p in (sent / "corrections" / "hello").iterdir() if p.name.startswith("0001"))
    text = record.read_text(encoding="utf-8")
    start = text.index("previous:")
    record.write_text(
        text[:start] + "previous: !!set {a: null}\n" + text[text.index("\n", start) + 1 :], encoding="utf-8"
    )
    clean_error(run("-C", str(sent), "check"), "'previous' must be text")


@pytest.mark.parametrize("zone", ["America", "Asia", "../etc"])
def test_time_zone_that_is_a_folder(run, publication, zone):
    config = (publication / "notice.toml").read_text(encoding="utf-8")
    (publication / "notice.toml").write_text(config.replace("Europe/London", zone), encoding="utf-8")
    clean_error(run("-C", str(publication), "build", "--drafts"), f"unknown time zone '{zone}'")


@pytest.mark.parametrize(
    "template, message",
    [
        ("{{ issue.title + 1 }}", "template error: TypeError"),
        ("{{ issue.date|format_date }}", "template error: TypeError"),
        ("{{ t.by.format() }}", "template error: KeyError"),
        ('{% extends "email.txt" %}', "includes or extends itself"),
        ('{% include "_missing.txt" %}', "template '_missing.txt' not found"),  # where it is included
    ],
)
def test_template_runtime_errors_name_the_template(run, publication, template, message):
    (publication / "templates").mkdir()
    (publication / "templates" / "email.txt").write_text(f"line one\n{template}\n", encoding="utf-8")
    result = run("-C", str(publication), "build", "--drafts")
    clean_error(result, message)
    if "extends" not in template:
        assert "templates/email.txt:2" in result.stderr


def test_a_binary_file_among_the_templates(run, publication):
    (publication / "templates").mkdir()
    (publication / "templates" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    result = run("-C", str(publication), "build", "--drafts")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_preview_port_out_of_range(run, publication, port):
    result = run("-C", str(publication), "preview", "--port", port)
    assert result.exit_code == 2 and "Traceback" not in result.output and "0<=x<=65535" in result.output


@pytest.mark.parametrize("date", ["0001-01-01 00:00+14:00", "9999-12-31 23:59-12:00"])
def test_correction_dates_at_the_ends_of_the_calendar(run, sent, date):
    clean_error(run("-C", str(sent), "correct", "hello", "--kind", "update", "--note", "x", "--date", date), "--date")


def test_a_slug_too_long_for_a_file_name(run, publication):
    clean_error(run("-C", str(publication), "new", "Hello", "--slug", "a" * 250), "is not a valid slug")


def test_unwritable_corrections_folder(run, publication):
    (publication / "corrections").rmdir()
    (publication / "corrections").write_text("not a folder", encoding="utf-8")
    before = (publication / "issues" / "hello.md").read_bytes()
    clean_error(run("-C", str(publication), "publish", "hello"), "cannot write")
    assert (publication / "issues" / "hello.md").read_bytes() == before  # nothing half-done


def test_publish_finishes_a_publish_that_stopped_after_the_lock(run, publication):
    from toolkit.records import write_lock
    from toolkit.source import read_issue

    issue = read_issue(publication / "issues" / "hello.md")
    write_lock(publication / "corrections", issue, dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
    result = run("-C", str(publication), "publish", "hello")
    assert result.exit_code == 0, result.output
    text = (publication / "issues" / "hello.md").read_text(encoding="utf-8")
    assert "status: published" in text and "published: 2026-01-05T09:00:00+00:00" in text
    clean_error(run("-C", str(publication), "publish", "hello"), "was already published")


def test_publish_keeps_windows_line_endings(run, publication):
    path = publication / "issues" / "hello.md"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert run("-C", str(publication), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    data = path.read_bytes()
    assert b"status: published\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")


def test_concurrent_corrections_keep_one_chain(sent):
    config = load_config(sent)
    errors: list[BaseException] = []

    def add(n: int) -> None:
        try:
            correct(
                config,
                "hello",
                kind="addendum",
                note=f"Note {n}",
                replaces=[],
                pending=False,
                resolves=None,
                date=dt.datetime(2026, 1, 6, tzinfo=dt.UTC),
            )
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    from toolkit.check import check

    assert check(config) == []
    names = sorted(p.name[:4] for p in (sent / "corrections" / "hello").iterdir() if p.name[0].isdigit())
    assert names == [f"{n:04d}" for n in range(1, 9)]


def test_a_folder_or_link_named_like_a_record_is_an_error_not_a_shifted_count(run, sent):
    (sent / "corrections" / "hello" / "0001-aaaaaaa.yml").symlink_to(sent / "nowhere")
    clean_error(
        run("-C", str(sent), "correct", "hello", "--kind", "update", "--note", "x"),
        "'0001-aaaaaaa.yml' is not a correction record",
    )


@pytest.mark.parametrize("passage", ["(", "](page", "*text", "link]"])
def test_a_passage_that_cuts_through_markdown_syntax_is_refused(run, sent, passage):
    before = sorted((sent / "corrections" / "hello").iterdir())
    clean_error(
        run(
            "-C",
            str(sent),
            "correct",
            "hello",
            "--kind",
            "correction",
            "--replaces",
            passage,
            "--with",
            "x",
            "--note",
            "n",
        ),
        "cuts through Markdown syntax",
    )
    assert sorted((sent / "corrections" / "hello").iterdir()) == before


def test_a_passage_in_a_code_span_is_refused(run, publication):
    write_issue(publication, "code", body="Run `notice build` now.")
    assert run("-C", str(publication), "publish", "code").exit_code == 0
    clean_error(
        run(
            "-C",
            str(publication),
            "correct",
            "code",
            "--kind",
            "correction",
            "--replaces",
            "notice build",
            "--with",
            "notice build -v",
            "--note",
            "n",
        ),
        "cuts through Markdown syntax",
    )


def test_whole_words_and_whole_links_are_accepted(run, sent):
    for passage, new in (("Some", "Much"), ("[link](page.html)", "[page](other.html)")):
        result = run(
            "-C",
            str(sent),
            "correct",
            "hello",
            "--kind",
            "correction",
            "--replaces",
            passage,
            "--with",
            new,
            "--note",
            "n",
        )
        assert result.exit_code == 0, result.output


def test_scripts_written_in_markdown_are_dropped(run, publication):
    write_issue(publication, "hello", body="Hi <script>alert(1)</script> and <iframe src=x></iframe> there.")
    assert run("-C", str(publication), "build", "--drafts").exit_code == 0
    for name in ("email.html", "web.html"):
        html = (publication / "build" / "hello" / name).read_text(encoding="utf-8")
        assert "alert(1)" not in html and "<iframe" not in html and "Hi" in html


def test_a_clipped_email_is_a_warning(run, publication):
    write_issue(publication, "long", body="\n\n".join(f"Paragraph {n} " + "words " * 60 for n in range(400)))
    result = run("-C", str(publication), "build", "--drafts")
    assert result.exit_code == 0
    assert "Warning: " in result.stderr and "long/email.html: email.html is 1" in result.stderr
    assert "Gmail clips messages over 102 KB" in result.stderr


def test_the_index_is_kept_while_an_issue_is_broken(run, publication):
    assert run("-C", str(publication), "build", "--drafts").exit_code == 0
    index = (publication / "build" / "index.html").read_bytes()
    write_issue(publication, "hello", raw="---\ntitle: broken\n---\nbody\n")
    write_issue(publication, "new", title="A new one")
    result = run("-C", str(publication), "build", "--drafts")
    clean_error(result, "index.html was not updated: 1 issue cannot be read")
    assert (publication / "build" / "index.html").read_bytes() == index


def test_links_in_notes_and_body_share_one_numbering(run, sent):
    assert (
        run(
            "-C",
            str(sent),
            "correct",
            "hello",
            "--kind",
            "update",
            "--note",
            "See [the source](https://source.example/).",
        ).exit_code
        == 0
    )
    assert run("-C", str(sent), "build", "--drafts").exit_code == 0
    text = (sent / "build" / "hello" / "email.txt").read_text(encoding="utf-8")
    assert "the source [1]" in text and "link [2]" in text
    assert text.count("[1] https://source.example/") == 1
    assert text.count("[2] https://news.example.com/page.html") == 1


def test_markdown_in_passages_is_rendered_in_the_notice(run, sent):
    result = run(
        "-C",
        str(sent),
        "correct",
        "hello",
        "--kind",
        "correction",
        "--replaces",
        "Some *text*",
        "--with",
        "Some **bold** text",
        "--note",
        "n",
    )
    assert result.exit_code == 0, result.output
    record_id = result.stdout.split()[2]
    folder = sent / "build" / "hello" / "corrections" / record_id
    assert run("-C", str(sent), "build", "--drafts").exit_code == 0
    html = (folder / "email.html").read_text(encoding="utf-8")
    text = (folder / "email.txt").read_text(encoding="utf-8")
    assert "<strong" in html and "**" not in html and "*text*" not in html
    assert "Originally: Some text\n" in text and "Corrected: Some bold text\n" in text


@pytest.mark.parametrize("key", ["sender_name", "unsubscribe_url", "name"])
def test_a_line_break_in_a_header_value_is_refused(run, publication, key):
    config = (publication / "notice.toml").read_text(encoding="utf-8")
    start = config.index(f"\n{key} = ") + 1
    end = config.index("\n", start)
    broken = config[:start] + f'{key} = "x\\nBcc: evil@example.org"' + config[end:]
    (publication / "notice.toml").write_text(broken, encoding="utf-8")
    clean_error(run("-C", str(publication), "build", "--drafts"), f"'{key}' contains a line break")


def test_a_cache_that_is_a_file(run, publication):
    (publication / ".notice-cache").write_text("", encoding="utf-8")
    clean_error(run("-C", str(publication), "build", "--drafts"), ".notice-cache is a file")


def test_an_email_template_that_renders_nothing_is_reported_once(run, publication):
    write_issue(publication, "second", title="Second")
    (publication / "templates").mkdir()
    (publication / "templates" / "email.html").write_text("<!-- nothing -->\n", encoding="utf-8")
    result = run("-C", str(publication), "build", "--drafts")
    clean_error(result, "the template 'email.html' rendered no HTML")
    assert result.stderr.count("rendered no HTML") == 1


def test_a_wrong_type_for_check_disable_gets_a_list_example(run, publication):
    config = (publication / "notice.toml").read_text(encoding="utf-8")
    (publication / "notice.toml").write_text(config + '\n[check]\ndisable = "image-width"\n', encoding="utf-8")
    clean_error(run("-C", str(publication), "check"), "must be a list", 'disable = ["preheader-missing"]')


def test_send_without_a_password_or_a_terminal(run, publication):
    clean_error(
        run(
            "-C",
            str(publication),
            "send",
            "hello",
            "--to",
            "me@example.com",
            "--smtp",
            "127.0.0.1:9",
            "--starttls",
            "--user",
            "me",
        ),
        "no terminal to ask for one",
        "NOTICE_SMTP_PASSWORD",
    )


@pytest.mark.parametrize("body", ["<span>" * 400 + "deep" + "</span>" * 400, "*" * 700 + "deep" + "*" * 700])
def test_markup_nested_hundreds_deep_is_the_authors_error_not_ours(run, publication, body):
    """The text part walks the element tree: nesting this deep once ended in a RecursionError,
    reported as an internal error of notice."""
    issue = write_issue(publication, "deep", body=body + "\n")
    line = issue.read_text(encoding="utf-8").splitlines().index(body) + 1
    result = run("-C", str(publication), "build", "--drafts")
    clean_error(result, f"deep.md:{line}: the issue's markup is nested too deeply to render")
    assert "internal error" not in result.output
    assert (publication / "build" / "hello" / "email.html").is_file()  # the other issue is built


def test_markdown_files_named_otherwise_than_md_are_said_to_be_unread(run, publication):
    """A campaign found news.markdown and News.MD left out of every build without a word."""
    for name in ("news.markdown", "Notes.MD"):
        (publication / "issues" / name).write_text("---\ntitle: x\ndate: 2026-01-05\n---\nBody\n", encoding="utf-8")
    (publication / "issues" / "README.txt").write_text("not Markdown: not mentioned\n", encoding="utf-8")
    for _ in range(2):  # the second build has nothing to do, and says it again
        result = run("-C", str(publication), "build", "--drafts")
        assert result.exit_code == 0, result.output
        assert "news.markdown is not read: an issue is a file ending in .md (lowercase)" in result.stderr
        assert "hint: rename it to news.md to build it, or move it out of issues/" in result.stderr
        assert "Notes.MD is not read" in result.stderr and "README.txt" not in result.stderr
