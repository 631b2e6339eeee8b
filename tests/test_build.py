from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit import build as build_module
from toolkit.build import BODY_NOT_KEPT, CHUNK, RenderPool, _batches, body_of, build, render_encoded
from toolkit.config import load_config
from toolkit.errors import TemplateError, ToolkitError
from toolkit.issue_state import load_state
from toolkit.output import Journal
from toolkit.publishing import correct, publish
from toolkit.render import IssueRenderer
from toolkit.source import read_issue
from toolkit.templating import make_environment, render_template, theme_dir

from conftest import make_publication, write_issue


def outputs(root: Path, out: str = "build") -> dict[str, bytes]:
    base = root / out
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def test_build_writes_the_three_renderings_and_index_only(publication):
    report = build(load_config(publication), drafts=True)
    assert report.ok and report.built == ["hello"]
    # a draft is in no feed: with no published issue there are none, but the corrections log is there (issue 9)
    assert sorted(outputs(publication)) == [
        "corrections.html",
        "hello/email.html",
        "hello/email.txt",
        "hello/line.txt",
        "hello/post.txt",
        "hello/web.html",
        "index.html",
    ]
    assert not any(p.name.startswith(".") for p in (publication / "build").rglob("*"))
    assert [path.suffix for path in (publication / ".notice-cache" / "outputs").iterdir()] == [".json"]


def test_an_edited_body_rebuilds_without_loading_what_earlier_builds_kept(tmp_path, run):
    # Issue 13: a one-changed build spent more time starting than rendering. The front-matter
    # was parsed before (PyYAML), the date formatted before (Babel, .notice-cache/dates.json),
    # there is no image (Pillow), every character is one the line breaker measures without
    # wcwidth, and one issue needs no process pool; Markdown is given its
    # extensions rather than their names, so it searches no package metadata for them (with
    # css-inline: premailer's cssutils reads its own version from the package metadata).
    publication = make_publication(tmp_path / "pub", inliner="css-inline")
    write_issue(publication, "hello", body="First.")
    assert run("-C", str(publication), "build", "--drafts").exit_code == 0
    write_issue(publication, "hello", body="Second.")
    unwanted = ("yaml", "PIL", "babel", "wcwidth", "concurrent.futures.process", "importlib.metadata")
    script = (
        "import sys\n"
        "from toolkit.cli import main\n"
        f"sys.argv = ['notice', '-C', {str(publication)!r}, 'build', '--drafts']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"print(sorted(name for name in {unwanted!r} if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "Built 1 issue" in done.stdout
    assert done.stdout.splitlines()[-1] == "[]"
    assert "Second." in (publication / "build" / "hello" / "web.html").read_text(encoding="utf-8")


def test_email_html_is_inlined_table_layout_with_absolute_links(publication):
    build(load_config(publication), drafts=True)
    html = (publication / "build" / "hello" / "email.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'width="600"' in html and "<table" in html
    assert 'href="https://news.example.com/page.html"' in html
    assert "<link" not in html and "<script" not in html
    assert html.count("<style") == 1 and "@media" in html and "prefers-color-scheme" in html
    assert 'class="preheader"' in html and "A short preview line." in html
    assert "Test Sender" in html and "1 Example Street, London" in html
    assert 'href="https://news.example.com/unsubscribe"' in html
    assert 'href="https://news.example.com/hello/web.html"' in html
    assert 'style="' in html
    assert len(html.encode("utf-8")) < 102 * 1024


def test_plain_text_part(publication):
    build(load_config(publication), drafts=True)
    text = (publication / "build" / "hello" / "email.txt").read_text(encoding="utf-8")
    assert text.startswith("Test Letter\n")
    assert "Hello\n" in text and "January 5, 2026" in text
    assert "Some text with a link [1]." in text
    assert "[1] https://news.example.com/page.html" in text
    assert "https://news.example.com/unsubscribe" in text
    assert "*" not in text.split("[1]")[0]
    assert all(len(line) <= 70 or line.startswith("http") for line in text.splitlines())


def test_web_version_keeps_css_in_a_style_block(publication):
    build(load_config(publication), drafts=True)
    web = (publication / "build" / "hello" / "web.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in web
    assert "<style>" in web and 'style="' not in web
    assert '<link rel="canonical" href="https://news.example.com/hello/web.html">' in web


def test_index_lists_newest_first_and_marks_drafts(publication):
    write_issue(publication, "older", title="Older one", date="2025-03-01", status="published")
    write_issue(publication, "newer", title="Newer one", date="2026-06-01", status="published")
    build(load_config(publication), drafts=True)
    index = (publication / "build" / "index.html").read_text(encoding="utf-8")
    assert index.index("Newer one") < index.index("Hello") < index.index("Older one")
    assert 'href="older/web.html"' in index
    assert index.count('class="draft"') == 1


def test_same_inputs_give_byte_identical_outputs(publication, tmp_path):
    config = load_config(publication)
    build(config, drafts=True)
    first = outputs(publication)
    build(config, drafts=True, out_dir=tmp_path / "again", force=True)
    assert outputs(tmp_path, "again") == first


def test_unchanged_issues_are_not_rebuilt(publication):
    config = load_config(publication)
    write_issue(publication, "second", title="Second")
    assert build(config, drafts=True).built == ["hello", "second"]
    email = publication / "build" / "hello" / "email.html"
    mtime = email.stat().st_mtime_ns
    report = build(config, drafts=True)
    assert report.built == [] and report.unchanged == ["hello", "second"]
    assert email.stat().st_mtime_ns == mtime
    write_issue(publication, "second", title="Second, edited")
    assert build(config, drafts=True).built == ["second"]


@pytest.mark.parametrize("change", ["template", "config", "correction", "deleted-output"])
def test_shared_inputs_invalidate_the_cache(publication, change):
    config = load_config(publication)
    build(config, drafts=True)
    if change == "template":
        (publication / "templates").mkdir()
        (publication / "templates" / "web.html").write_text("<p>{{ subject }}</p>\n", encoding="utf-8")
    elif change == "config":
        text = (publication / "notice.toml").read_text(encoding="utf-8")
        (publication / "notice.toml").write_text(text.replace("Test Letter", "Renamed"), encoding="utf-8")
    elif change == "correction":
        publish(config, "hello", dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC))
        assert build(config, drafts=True).built == ["hello"]  # publishing changes the file (status) and adds the lock
        correct(
            config,
            "hello",
            kind="addendum",
            note="More.",
            replaces=[],
            pending=False,
            resolves=None,
            date=dt.datetime(2026, 1, 6, tzinfo=dt.UTC),
        )
    else:
        (publication / "build" / "hello" / "email.txt").unlink()
    assert build(load_config(publication), drafts=True).built == ["hello"]


def test_template_override_is_used_file_by_file(publication):
    (publication / "templates").mkdir()
    (publication / "templates" / "web.html").write_text("<p>custom {{ subject }}</p>\n", encoding="utf-8")
    build(load_config(publication), drafts=True)
    assert (publication / "build" / "hello" / "web.html").read_text(encoding="utf-8") == "<p>custom Hello</p>\n"
    assert "<table" in (publication / "build" / "hello" / "email.html").read_text(encoding="utf-8")


def test_templates_autoescape(publication):
    write_issue(publication, "hello", title="<script>alert(1)</script> & co")
    build(load_config(publication), drafts=True)
    web = (publication / "build" / "hello" / "web.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in web
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in web


def test_one_bad_issue_keeps_its_old_outputs_and_others_build(publication):
    config = load_config(publication)
    write_issue(publication, "other", title="Other")
    build(config, drafts=True)
    before = (publication / "build" / "hello" / "email.html").read_bytes()
    write_issue(publication, "hello", raw="---\ntitle: broken\n---\nbody\n")
    write_issue(publication, "other", title="Other, edited")
    report = build(config, drafts=True)
    assert report.built == ["other"]
    assert [(e.path.name, e.message) for e in report.errors] == [("hello.md", "the required field 'date' is missing")]
    assert (publication / "build" / "hello" / "email.html").read_bytes() == before
    assert "Other, edited" in (publication / "build" / "other" / "web.html").read_text(encoding="utf-8")


def test_template_error_reports_file_and_line_and_writes_nothing(publication):
    config = load_config(publication)
    build(config, drafts=True)
    before = outputs(publication)
    (publication / "templates").mkdir()
    (publication / "templates" / "web.html").write_text("ok\n{% if %}\n", encoding="utf-8")
    report = build(load_config(publication), drafts=True)
    assert report.built == []
    error = report.errors[0]
    assert error.path.name == "web.html" and error.line == 2
    assert "template syntax error" in error.message
    assert outputs(publication) == before


def test_outputs_of_a_deleted_issue_are_removed(publication):
    config = load_config(publication)
    write_issue(publication, "gone", title="Gone")
    build(config, drafts=True)
    (publication / "issues" / "gone.md").unlink()
    report = build(config, drafts=True)
    assert report.removed == ["gone"]
    assert not (publication / "build" / "gone").exists()
    assert "Gone" not in (publication / "build" / "index.html").read_text(encoding="utf-8")


def test_author_files_in_the_output_folder_survive_pruning(publication):
    config = load_config(publication)
    write_issue(publication, "gone", title="Gone")
    build(config, drafts=True)
    (publication / "build" / "gone" / "notes.txt").write_text("mine", encoding="utf-8")
    (publication / "issues" / "gone.md").unlink()
    build(config, drafts=True)
    assert (publication / "build" / "gone" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_no_temporary_files_are_left_behind(publication):
    build(load_config(publication), drafts=True)
    leftovers = [p for p in publication.rglob("*.tmp")]
    assert leftovers == []


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
def test_many_issues_build_in_parallel_and_match_serial(tmp_path, inliner):
    root = make_publication(tmp_path / "many", inliner=inliner)
    for n in range(12):
        write_issue(
            root,
            f"issue-{n:02d}",
            title=f"Issue {n}",
            date=f"2026-01-{n + 1:02d}",
            body=f"## Part {n}\n\nText for issue {n}, with **bold** and a [link](https://e.com/{n}).\n",
        )
    config = load_config(root)
    parallel = build(config, drafts=True)
    assert parallel.ok and len(parallel.built) == 12
    serial_dir = tmp_path / "serial"
    for n in range(12):
        build(config, drafts=True, slugs=[f"issue-{n:02d}"], out_dir=serial_dir)
    assert outputs(root) == {k: v for k, v in outputs(tmp_path, "serial").items()}


def test_japanese_issue_wraps_at_35_characters_with_kinsoku(tmp_path):
    root = make_publication(tmp_path / "ja")
    body = (
        "今回の情報収集の範囲に、LINE@でのお客様とのやりとりは、トーク内容も対象になっていることがわかりました。"
        "情報に誤りがあり申し訳ございません、訂正させていただきます。「公式アカウント」という表現には、LINE@も含まれます。"
    )
    write_issue(root, "ja", raw=f"---\ntitle: 訂正のお知らせ\ndate: 2018-07-14\nlang: ja\n---\n\n{body}\n")
    build(load_config(root), drafts=True)
    text = (root / "build" / "ja" / "email.txt").read_text(encoding="utf-8")
    from toolkit.wrapping import display_width

    lines = text.splitlines()
    assert "2018年7月14日" in lines
    assert all(display_width(line, ambiguous_width=2) <= 70 for line in lines if not line.startswith("http"))
    assert not any(line.startswith(("、", "。", "」", "）")) for line in lines)
    assert "".join(lines).count("訂正させていただきます。") == 1
    html = (root / "build" / "ja" / "email.html").read_text(encoding="utf-8")
    assert '<html lang="ja"' in html and "訂正させていただきます" in html


def test_issue_language_sets_labels(tmp_path):
    root = make_publication(tmp_path / "ja")
    write_issue(root, "ja", raw="---\ntitle: 創刊号\ndate: 2018-07-13\nlang: ja\nnumber: 3\n---\n\n本文です。\n")
    build(load_config(root), drafts=True)
    html = (root / "build" / "ja" / "email.html").read_text(encoding="utf-8")
    assert "第3号" in html and "配信停止" in html and "2018年7月13日" in html


def test_sample_publication_builds_clean(sample_publication):
    report = build(load_config(sample_publication), drafts=True)
    assert report.ok, [e.format() for e in report.errors]
    assert len(report.built) >= 2
    for slug in report.built:
        for name in ("email.html", "email.txt", "web.html"):
            data = (sample_publication / "site" / slug / name).read_bytes()
            assert len(data) < 102 * 1024


def test_out_outside_publication_does_not_touch_default_out(publication, tmp_path):
    build(load_config(publication), drafts=True, out_dir=tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "hello" / "email.html").is_file()
    assert not (publication / "build").exists()


def test_jobs_limits_the_processes_and_changes_no_byte(tmp_path, run):
    root = make_publication(tmp_path / "many", inliner="css-inline")
    for n in range(12):
        write_issue(
            root,
            f"issue-{n:02d}",
            title=f"Issue {n}",
            date=f"2026-01-{n + 1:02d}",
            body=f"## Part {n}\n\nText for issue {n}, with **bold** and a [link](https://e.com/{n}).\n",
        )
    one = run("-C", str(root), "build", "--drafts", "--jobs", "1", "--out", str(tmp_path / "one"))
    two = run("-C", str(root), "build", "--drafts", "-j", "2", "--out", str(tmp_path / "two"))
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert "Built 12 issues" in one.stdout and "Built 12 issues" in two.stdout
    assert outputs(tmp_path, "one") == outputs(tmp_path, "two") != {}
    refused = run("-C", str(root), "build", "--jobs", "0")
    assert refused.exit_code == 2 and "--jobs" in refused.stderr


def test_workers_fed_while_reading_leave_the_bytes_of_one_process(sample_publication, run, tmp_path):
    """Workers start before the issues are read and get each one as it is read (issue 13);
    a draft's block of the corrections since the last issue needs every other issue's
    records, so it must still be what one process renders, and so must the order of the report."""
    root = sample_publication
    with (root / "notice.toml").open("a", encoding="utf-8") as config:
        config.write("\n[corrections]\nin_next_issue = true\n")
    for n in range(10):
        write_issue(root, f"more-{n:02d}", title=f"More {n}", date=f"2026-02-{n + 1:02d}", status="published")
    one = run("-C", str(root), "-v", "build", "--drafts", "--jobs", "1", "--out", str(tmp_path / "one"))
    two = run("-C", str(root), "-v", "build", "--drafts", "--jobs", "2", "--out", str(tmp_path / "two"))
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    assert outputs(tmp_path, "one") == outputs(tmp_path, "two") != {}
    assert 'class="errata next-issue"' in outputs(tmp_path, "two")["pre-send-checklist/email.html"].decode()
    assert one.stdout.replace("one", "two") == two.stdout


def test_a_build_that_keeps_no_bodies_writes_the_same_bytes(tmp_path):
    """`notice build` keeps no body of an issue it sends to the workers while reading (issue
    13: the bodies were a third of its memory at 10,000 issues): the workers, and the feeds
    for their newest entries, read them again, and every byte is a keeping build's."""
    root = make_publication(tmp_path / "many", inliner="css-inline")
    for n in range(36):  # 24 published: more than the feeds' 20 entries
        write_issue(
            root,
            f"issue-{n:02d}",
            title=f"Issue {n}",
            date=f"2026-01-{n % 28 + 1:02d}",
            status="published" if n % 3 else "draft",
            body=f"## Part {n}\n\nText for issue {n}, with **bold** and a [link](https://e.com/{n}).\n",
        )
    config = load_config(root)
    kept = build(config, drafts=True, jobs=2, out_dir=tmp_path / "kept")
    lean = build(config, drafts=True, jobs=2, out_dir=tmp_path / "lean", keep_bodies=False)
    assert kept.ok and lean.ok, [e.format() for e in [*kept.errors, *lean.errors]]
    assert outputs(tmp_path, "kept") == outputs(tmp_path, "lean")
    assert "feed.atom" in outputs(tmp_path, "lean") and len(lean.built) == 36
    assert {issue.body for issue in lean.issues} == {BODY_NOT_KEPT}
    assert {state.issue.body for state in lean.states.values()} == {BODY_NOT_KEPT}
    assert BODY_NOT_KEPT not in {issue.body for issue in kept.issues}


def test_an_issue_changed_after_the_build_read_it_is_not_built_from_the_new_text(publication):
    """A worker reads a body the build did not keep from the issue's file again: a file that
    changed since the build checked and keyed it is the issue's error, never its outputs."""
    config = load_config(publication)
    issue = read_issue(publication / "issues" / "hello.md", default_lang="en", tz=config.tz)
    state = load_state(config, issue)
    lean = dataclasses.replace(state, issue=dataclasses.replace(issue, body=BODY_NOT_KEPT))
    assert body_of(config, lean).issue == issue
    write_issue(publication, "hello", body="Edited meanwhile.")
    with pytest.raises(ToolkitError, match="hello.md changed while the build was reading it: it was not built"):
        body_of(config, lean)


def test_an_issue_written_in_this_process_reads_a_body_not_kept_again(publication, tmp_path):
    """write_issue reads a body the build did not keep, in a worker or in the build's own
    process (`--jobs 1`), so the marker never reaches an output."""
    config = load_config(publication)
    issue = read_issue(publication / "issues" / "hello.md", default_lang="en", tz=config.tz)
    state = load_state(config, issue)
    lean = dataclasses.replace(state, issue=dataclasses.replace(issue, body=BODY_NOT_KEPT))
    renderer, journal = IssueRenderer(config), Journal(config.cache_dir, "test")
    kept = build_module.write_issue(renderer, journal, tmp_path / "kept", state)
    again = build_module.write_issue(renderer, journal, tmp_path / "lean", lean)
    assert not isinstance(kept, ToolkitError) and not isinstance(again, ToolkitError)
    assert again.digests == kept.digests
    assert b"not kept" not in (tmp_path / "lean" / "hello" / "email.html").read_bytes()


def test_the_last_batches_are_smaller_so_the_workers_end_together():
    sizes = [len(batch) for batch in _batches(list(range(200)), 2)]
    assert sum(sizes) == 200 and sizes[0] == CHUNK
    assert sizes == sorted(sizes, reverse=True) and sizes[-3:] == [1, 1, 1]


def test_workers_leave_what_the_build_held_out_of_their_collections(publication, tmp_path):
    """gc.freeze before the fork: a worker's collections would otherwise write to every
    object it inherited, copying the build's pages (issue 13); the build itself unfreezes."""
    config = load_config(publication)
    pool = RenderPool(config, Journal(config.cache_dir, "test"), tmp_path / "out", 2)
    try:
        assert pool.executor.submit(gc.get_freeze_count).result() > 0
        assert gc.get_freeze_count() == 0
    finally:
        pool.executor.shutdown()


def test_the_index_encoded_piece_by_piece_is_the_rendered_text(publication, tmp_path, monkeypatch):
    """render_encoded joins a few pieces at a time (issue 13: joining the 10,000-issue index's
    at once held 11 MB more): the same bytes, and the same error for a mistake."""
    monkeypatch.setattr(build_module, "PIECES", 3)
    for n in range(5):
        write_issue(publication, f"issue-{n}", title=f"Issue {n} 創刊", date=f"2026-01-0{n + 1}")
    config = load_config(publication)
    context = {"names": ["a", "b", "日本語", "d"] * 50}
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "list.html").write_text("{% for n in names %}<i>{{ n }}</i>\n{% endfor %}", encoding="utf-8")
    (tmp_path / "t" / "bad.html").write_text("{% for n in names %}{{ n.missing.deeper }}{% endfor %}", encoding="utf-8")
    own = make_environment(tmp_path / "t")
    assert render_encoded(own, "list.html", context) == render_template(own, "list.html", context).encode()
    with pytest.raises(TemplateError, match="template error") as raised:
        render_encoded(own, "bad.html", context)
    assert raised.value.line == 1
    report = build(config, drafts=True)
    index = (publication / "build" / "index.html").read_bytes()
    assert report.ok and index.count(b"<li ") == 6 and "創刊".encode() in index


def test_a_publication_with_templates_of_its_own_keeps_the_bodies_its_index_may_show(tmp_path):
    """Templates of the publication's own receive each issue whole (README "Templates"): an
    index that shows a body's start shows the real text, not the marker of a body not kept."""
    root = make_publication(tmp_path / "own", inliner="css-inline")
    for n in range(10):
        write_issue(root, f"issue-{n}", status="published", date=f"2026-01-{n + 1:02d}", body=f"Body number {n} here.")
    index = (theme_dir() / "index.html").read_text(encoding="utf-8")
    shown = "{% for e in entries %}<p class=start>{{ e.issue.body.strip()[:20] }}</p>{% endfor %}</body>"
    (root / "templates").mkdir()
    (root / "templates" / "index.html").write_text(index.replace("</body>", shown), encoding="utf-8")
    report = build(load_config(root), force=True, jobs=2, keep_bodies=False)
    assert report.ok, [e.format() for e in report.errors]
    page = (root / "build" / "index.html").read_text(encoding="utf-8")
    assert page.count("<p class=start>Body number") == 10
    assert "not kept" not in page
