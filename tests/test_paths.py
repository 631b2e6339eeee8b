"""Which files notice reads and writes: slugs, links, FIFOs and devices (issue 14, items 3 and 6).

Every command that takes a slug checks it the same way; nothing outside the publication (or
the output folder) is read or written, however a slug or a link points; only regular files of
at most 5 MB are read, so a FIFO or a device is an error rather than a hang.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.cli import cli
from toolkit.config import load_config
from toolkit.publishing import publish
from toolkit.source import SLUG_RE, stays_inside

from conftest import make_publication, write_issue

VICTIM = "---\ntitle: Victim\ndate: 2026-01-01\n---\nNot yours to publish.\n"

#: Every command that takes a slug, with the options it needs besides the slug.
SLUG_COMMANDS = {
    "build": [],
    "publish": [],
    "history": [],
    "check": [],
    "export": [],
    "snapshot": [],
    "correct": ["--kind", "minor", "--replaces", "text", "--with", "words"],
    "send": ["--to", "me@example.com", "--smtp", "127.0.0.1:9"],
}


def clean_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


def snapshot_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below *folder* with its content and mtime, links not followed."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def outside(tmp_path):
    """A folder beside the publication, holding a file an attacker would like notice to touch."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "victim.md").write_text(VICTIM, encoding="utf-8")
    return folder


# --- slugs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(SLUG_COMMANDS))
@pytest.mark.parametrize(
    "slug",
    [
        "../outside/victim",
        "../../outside/victim",
        "{outside}/victim",
        "hello/../hello",
        "issues/hello.md",
        "Hello",
        "hello.md",
        "",
    ],
)
def test_every_slug_command_refuses_a_path(run, publication, outside, command, slug):
    before = snapshot_of(outside)
    result = run("-C", str(publication), command, slug.format(outside=outside), *SLUG_COMMANDS[command])
    clean_error(result, "is not a valid slug")
    assert snapshot_of(outside) == before
    assert not (outside / ".notice-cache").exists() and not (publication / "corrections" / "victim").exists()


def test_a_path_to_an_issue_gets_the_slug_as_hint(run, publication):
    clean_error(run("-C", str(publication), "history", "issues/hello.md"), "hint: give the slug alone: hello")


def test_publish_an_absolute_slug_never_rewrites_the_file(run, publication, outside):
    clean_error(run("-C", str(publication), "publish", str(outside / "victim")), "is not a valid slug")
    assert (outside / "victim.md").read_text(encoding="utf-8") == VICTIM


def test_correct_a_dotted_slug_that_exists_is_a_clean_error(run, publication, outside):
    (publication.parent / "x.md").write_text(VICTIM, encoding="utf-8")
    clean_error(
        run("-C", str(publication), "correct", "../x", "--kind", "minor", "--replaces", "a", "--with", "b"),
        "is not a valid slug",
    )


def test_the_library_checks_slugs_too(publication, outside):
    config = load_config(publication)
    with pytest.raises(Exception, match="is not a valid slug"):
        publish(config, "../outside/victim", dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    assert (outside / "victim.md").read_text(encoding="utf-8") == VICTIM


SLUG_TEXT = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from([*"abc-./\\ ~_\x00é", "..", "hello", "issues", "sentinel"]), max_size=8).map("".join),
    st.sampled_from(["hello", "hello.md", "/hello", "./hello", "hello/", "~/hello", "-", "a--b"]),
    # Paths that lead to the files beside the publication, which must stay untouched.
    st.builds(
        str.__add__,
        st.sampled_from(["../", "../../pub/../", "{base}/", "./", "issues/../../", "{base}/pub/../"]),
        st.sampled_from(["hello", "sentinel", "hello.md"]),
    ),
).filter(lambda slug: not slug.startswith("-"))  # an option to click, not a slug


@pytest.fixture(scope="module")
def fuzz_publication(tmp_path_factory):
    """One publication for every example: what it is written into is compared, not rebuilt."""
    base = tmp_path_factory.mktemp("fuzz")
    root = make_publication(base / "pub")
    write_issue(root, "hello")
    (base / "sentinel.md").write_text(VICTIM, encoding="utf-8")
    (base / "hello.md").write_text(VICTIM, encoding="utf-8")
    return root


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=SLUG_TEXT, command=st.sampled_from(sorted([*SLUG_COMMANDS, "new"])))
def test_random_slugs_work_or_fail_cleanly_and_never_leave_the_publication(fuzz_publication, slug, command):
    base = fuzz_publication.parent
    sentinels = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in base.glob("*.md")}
    outside_before = sorted(p.name for p in base.iterdir())
    slug = slug.replace("{base}", str(base))
    args = ["new", "A title", "--slug", slug] if command == "new" else [command, slug, *SLUG_COMMANDS[command]]
    result = CliRunner().invoke(cli, ["-C", str(fuzz_publication), *args], env={"NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    if slug == "hello" and command != "send":  # the one real issue (send has no server to reach)
        assert result.exit_code in (0, 1), result.output
    elif command == "new" and SLUG_RE.fullmatch(slug):  # a new issue, or one of that name exists already
        assert result.exit_code in (0, 1), result.output
    else:
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "Error:" in result.stderr
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in base.glob("*.md")} == sentinels
    assert sorted(p.name for p in base.iterdir()) == outside_before
    for made in (fuzz_publication / "issues").glob("*.md"):  # keep later examples as quick as the first
        if made.name != "hello.md":
            made.unlink()


# --- links out of the publication ---------------------------------------------------------------


def test_an_issue_linked_from_outside_is_an_error(run, publication, outside):
    (publication / "issues" / "stolen.md").symlink_to(outside / "victim.md")
    result = run("-C", str(publication), "build", "--drafts")
    clean_error(result, "issues/stolen.md: cannot read this file: it leads through a link", "outside the publication")
    assert not (publication / "build" / "stolen").exists()
    clean_error(run("-C", str(publication), "publish", "stolen"), "outside the publication")
    assert (outside / "victim.md").read_text(encoding="utf-8") == VICTIM
    clean_error(run("-C", str(publication), "list"), "issues/stolen.md")


def test_an_issue_linked_from_inside_the_publication_is_read(run, publication):
    (publication / "drafts").mkdir()
    write_issue(publication, "hello").rename(publication / "drafts" / "hello.md")
    (publication / "issues" / "hello.md").symlink_to(Path("..") / "drafts" / "hello.md")
    result = run("-C", str(publication), "build", "--drafts")
    assert result.exit_code == 0, result.output
    assert (publication / "build" / "hello" / "email.html").is_file()


def test_issues_folder_linked_out_is_an_error(run, tmp_path, outside):
    root = make_publication(tmp_path / "pub")
    (root / "issues").rmdir()
    (root / "issues").symlink_to(outside)
    clean_error(
        run("-C", str(root), "build", "--drafts"), "victim.md: cannot read this file", "outside the publication"
    )
    clean_error(run("-C", str(root), "publish", "victim"), "outside the publication")
    assert (outside / "victim.md").read_text(encoding="utf-8") == VICTIM


def test_corrections_linked_out_are_never_written(run, publication, outside):
    (publication / "corrections").rmdir()
    (publication / "corrections").symlink_to(outside)
    before = snapshot_of(outside)
    clean_error(run("-C", str(publication), "publish", "hello"), "outside the publication")
    assert snapshot_of(outside) == before and not (outside / "hello").exists()
    assert "status: draft" in (publication / "issues" / "hello.md").read_text(encoding="utf-8")


def test_a_record_folder_linked_out_is_never_read_or_written(run, publication, outside):
    (publication / "corrections" / "hello").symlink_to(outside, target_is_directory=True)
    clean_error(run("-C", str(publication), "publish", "hello"), "outside the publication")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.md"]
    (outside / "published.yml").write_text("slug: hello\n", encoding="utf-8")
    clean_error(
        run("-C", str(publication), "build", "--drafts"),
        "published.yml: cannot read this file",
        "outside the publication",
    )


def test_the_cache_linked_out_is_never_written(run, publication, outside):
    (publication / ".notice-cache").symlink_to(outside, target_is_directory=True)
    clean_error(run("-C", str(publication), "build", "--drafts"), "outside the publication")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.md"]


def test_an_output_folder_linked_out_is_never_written_through(run, publication, outside):
    (publication / "build").mkdir()
    (publication / "build" / "hello").symlink_to(outside, target_is_directory=True)
    clean_error(run("-C", str(publication), "build", "--drafts"), "its folder is a link out of build/")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.md"]


def test_a_linked_output_folder_itself_is_the_configured_one(run, publication, outside):
    """`[build] out` may be a link (to a web server's folder, say): that is where the author sends it."""
    (publication / "build").symlink_to(outside, target_is_directory=True)
    result = run("-C", str(publication), "build", "--drafts")
    assert result.exit_code == 0, result.output
    assert (outside / "hello" / "email.html").is_file()


def test_a_template_linked_out_is_an_error(run, publication, outside):
    (publication / "templates").mkdir()
    (publication / "templates" / "email.html").symlink_to(outside / "victim.md")
    clean_error(
        run("-C", str(publication), "build", "--drafts"),
        "templates/email.html: cannot use this template",
        "outside the publication",
    )


def test_templates_folder_linked_out_is_an_error(run, publication, outside):
    (publication / "templates").symlink_to(outside, target_is_directory=True)
    clean_error(run("-C", str(publication), "build", "--drafts"), "cannot use templates/", "outside the publication")


def test_templates_that_is_a_file_is_an_error(run, publication):
    (publication / "templates").write_text("oops", encoding="utf-8")
    clean_error(run("-C", str(publication), "build", "--drafts"), "templates: templates is not a folder")


def test_a_template_that_is_a_folder_is_an_error(run, publication):
    (publication / "templates" / "email.html").mkdir(parents=True)
    clean_error(run("-C", str(publication), "build", "--drafts"), "email.html is a folder, where the theme has a file")


def test_folders_of_ones_own_in_templates_are_fine(run, publication):
    (publication / "templates" / "partials").mkdir(parents=True)
    assert run("-C", str(publication), "build", "--drafts").exit_code == 0


# --- FIFOs, devices and huge files --------------------------------------------------------------


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))  # reading /dev/zero whole fails fast


def notice(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`notice ARGS` in a subprocess, so a command that blocks on a FIFO (or reads a device
    without end) fails the test rather than hanging it or exhausting the machine's memory."""
    return subprocess.run(
        [sys.executable, "-m", "toolkit", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=_limit_memory,
    )


@pytest.mark.parametrize(
    "where, command",
    [
        ("issues/p.md", ["build", "--drafts"]),
        ("issues/p.md", ["list"]),
        ("issues/p.md", ["check"]),
        ("issues/hello.md", ["history", "hello"]),
        ("corrections/hello/published.yml", ["build", "--drafts"]),
        ("corrections/hello/published.yml", ["history", "hello"]),
        ("templates/email.html", ["build", "--drafts"]),
        ("templates/_footer.txt", ["check"]),
    ],
)
def test_a_fifo_is_an_error_not_a_hang(publication, where, command):
    fifo = publication / where
    fifo.parent.mkdir(parents=True, exist_ok=True)
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    result = notice(publication, *command)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{where}: " in result.stderr and "named pipe (FIFO)" in result.stderr, result.stderr


def test_a_fifo_does_not_hang_the_preview(publication):
    os.mkfifo(publication / "issues" / "p.md")
    code = (
        "import sys; from pathlib import Path; from toolkit.preview import Previewer; "
        "print([e.format() for e in Previewer(Path(sys.argv[1])).rebuild().errors])"
    )
    result = subprocess.run([sys.executable, "-c", code, str(publication)], capture_output=True, text=True, timeout=20)
    assert result.returncode == 0, result.stderr
    assert "issues/p.md: cannot read this file: it is a named pipe (FIFO)" in result.stdout


def test_notice_toml_as_a_fifo_is_not_read(tmp_path):
    os.mkfifo(tmp_path / "notice.toml")
    result = notice(tmp_path, "list")
    assert result.returncode == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["build"], ["history", "zero"]])
def test_a_link_to_dev_zero_is_an_error(publication, command):
    (publication / "issues" / "zero.md").symlink_to("/dev/zero")
    result = notice(publication, *command)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "issues/zero.md: cannot read this file" in result.stderr


def test_a_huge_issue_is_an_error(run, publication):
    write_issue(publication, "huge", body="word " * (1024 * 1024 + 10))
    clean_error(
        run("-C", str(publication), "build", "--drafts"),
        "issues/huge.md: cannot read this file: it is larger than 5 MB",
    )
    assert (publication / "build" / "hello" / "email.html").is_file()


def test_a_huge_template_is_an_error(run, publication):
    (publication / "templates").mkdir()
    (publication / "templates" / "email.css").write_bytes(b" " * (5 * 1024 * 1024 + 1))
    clean_error(
        run("-C", str(publication), "build", "--drafts"), "templates/email.css: this template is larger than 5 MB"
    )


# --- -C --------------------------------------------------------------------------------------


def test_project_folder_that_does_not_exist(run, tmp_path):
    clean_error(run("-C", str(tmp_path / "missing"), "list"), "no such folder")


def test_project_folder_that_is_a_file(run, tmp_path):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    clean_error(run("-C", str(tmp_path / "file"), "list"), "not a folder")


def test_new_never_writes_into_issues_linked_out(run, publication, outside):
    (publication / "issues" / "hello.md").unlink()
    (publication / "issues").rmdir()
    (publication / "issues").symlink_to(outside, target_is_directory=True)
    clean_error(run("-C", str(publication), "new", "Spring news"), "outside the publication")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.md"]


def test_init_never_writes_through_a_linked_templates_folder(run, tmp_path, outside):
    target = tmp_path / "letter"
    target.mkdir()
    (target / "templates").symlink_to(outside, target_is_directory=True)
    clean_error(run("init", str(target)), "outside the publication")
    assert sorted(p.name for p in outside.iterdir()) == ["victim.md"]


def test_an_output_file_that_is_a_fifo_is_replaced_not_read(publication):
    assert notice(publication, "build", "--drafts").returncode == 0
    email = publication / "build" / "hello" / "email.html"
    email.unlink()
    os.mkfifo(email)
    result = notice(publication, "build", "--drafts", "--force")
    assert result.returncode == 0, result.stderr
    assert email.is_file() and "<html" in email.read_text(encoding="utf-8")


def test_export_never_writes_through_an_output_folder_swapped_for_a_link(run, publication, outside):
    write_issue(publication, "hello", status="published")  # a draft's message is built privately (issue 9)
    assert run("-C", str(publication), "build").exit_code == 0
    folder = publication / "build" / "hello"
    for built in folder.iterdir():  # the same files outside, so the build thinks the issue is fresh
        (outside / built.name).write_bytes(built.read_bytes())
    for built in folder.iterdir():
        built.unlink()
    folder.rmdir()
    folder.symlink_to(outside, target_is_directory=True)
    clean_error(run("-C", str(publication), "export", "hello"), "outside the output folder")
    assert not (outside / "message.eml").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_stays_inside_follows_a_link_only_where_there_is_one(tmp_path):
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    (out / "plain" / "corrections").mkdir(parents=True)
    elsewhere.mkdir()
    (out / "away").symlink_to(elsewhere, target_is_directory=True)
    (out / "plain" / "back").symlink_to(out / "plain" / "corrections", target_is_directory=True)
    assert stays_inside(out / "plain" / "corrections" / "abc", out)
    assert stays_inside(out / "new" / "corrections", out)  # the build makes them
    assert not stays_inside(out / "away", out) and not stays_inside(out / "away" / "x", out)
    assert stays_inside(out / "plain" / "back" / "x", out)  # a link that leads inside
