"""The Jinja environment over templates/: which stylesheets the emails use, and how big they are."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from toolkit.templating import LARGE_THEME_RULES, inliner_warnings, make_environment, theme_dir

from conftest import make_publication, write_issue

BUILTIN_CSS = (theme_dir() / "email.css").read_text(encoding="utf-8")


def large_theme(root: Path, rules: int) -> Path:
    """The built-in email.css with *rules* more rules after it, as a publication's override."""
    path = root / "templates" / "email.css"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BUILTIN_CSS + "".join(f".extra-{n} td {{ color: #333 }}\n" for n in range(rules)), encoding="utf-8")
    return path


def test_the_built_in_theme_is_not_large():
    assert inliner_warnings(make_environment(Path("/nonexistent/templates")), "premailer") == []


def test_a_large_theme_with_premailer_is_a_warning_naming_the_file(tmp_path):
    path = large_theme(tmp_path, LARGE_THEME_RULES)
    [warning] = inliner_warnings(make_environment(tmp_path / "templates"), "premailer")
    assert warning.path == path
    assert warning.message.startswith("email.css has ") and "premailer takes seconds per email" in warning.message
    assert 'inliner = "css-inline"' in warning.hint
    assert inliner_warnings(make_environment(tmp_path / "templates"), "css-inline") == []


def test_a_stylesheet_included_under_another_name_is_measured_too(tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "extra.css").write_text(
        "".join(f".x{n} {{ color: red }}\n" for n in range(LARGE_THEME_RULES + 1)), encoding="utf-8"
    )
    email = (theme_dir() / "email.html").read_text(encoding="utf-8")
    (folder / "email.html").write_text(
        email.replace('{% include "email.css" %}', '{% include "email.css" %}\n{% include "extra.css" %}'),
        encoding="utf-8",
    )
    [warning] = inliner_warnings(make_environment(folder), "premailer")
    assert warning.message.startswith(f"extra.css has {LARGE_THEME_RULES + 1} rules")


def test_build_warns_of_a_large_theme_once(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    write_issue(root, "one")
    write_issue(root, "two")
    large_theme(root, LARGE_THEME_RULES)
    result = run("-C", str(root), "build", "--drafts")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("Warning: ") == 1
    assert "templates/email.css: email.css has" in result.stderr and "premailer takes seconds" in result.stderr


def test_a_missing_stylesheet_is_the_builds_error_not_the_warnings(run, tmp_path):
    root = make_publication(tmp_path / "pub")
    write_issue(root, "one")
    email = (theme_dir() / "email.html").read_text(encoding="utf-8")
    (root / "templates").mkdir()
    (root / "templates" / "email.html").write_text(email.replace('"email.css"', '"gone.css"'), encoding="utf-8")
    result = run("-C", str(root), "build", "--drafts")
    assert result.exit_code == 1 and "template 'gone.css' not found" in result.stderr


def test_a_builds_environment_keeps_the_templates_it_loaded_and_the_previews_reloads(tmp_path: Path) -> None:
    """One build renders every issue from one version of its templates (the one its cache keys
    name), without a stat of each file per render; the preview's lives across builds."""
    folder = tmp_path / "templates"
    folder.mkdir()
    page = folder / "page.txt"
    page.write_text("first", encoding="utf-8")
    build_env, preview_env = make_environment(folder, reload=False), make_environment(folder)
    assert build_env.get_template("page.txt").render() == preview_env.get_template("page.txt").render() == "first"
    page.write_text("second, longer", encoding="utf-8")
    stats = page.stat()
    os.utime(page, ns=(stats.st_atime_ns, stats.st_mtime_ns + 2_000_000_000))  # a later time, whatever the clock
    assert build_env.get_template("page.txt").render() == "first"
    assert preview_env.get_template("page.txt").render() == "second, longer"


def test_a_cache_folder_deleted_while_templates_compile_costs_only_the_compile(tmp_path):
    """`.notice-cache/` is always safe to delete, also while a build runs: Jinja's write of a
    compiled template into the folder that is gone was an internal error (review of issue 13)."""
    (tmp_path / "templates").mkdir()
    env = make_environment(tmp_path / "templates", tmp_path / ".notice-cache" / "jinja", reload=False)
    shutil.rmtree(tmp_path / ".notice-cache")
    text = env.get_template("email.txt")  # compiled, and not kept
    assert text is not None and not (tmp_path / ".notice-cache").exists()
    again = make_environment(tmp_path / "templates", tmp_path / ".notice-cache" / "jinja", reload=False)
    again.get_template("email.txt")
    assert list((tmp_path / ".notice-cache" / "jinja").iterdir())  # kept again once it can be
