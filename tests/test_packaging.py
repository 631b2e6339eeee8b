"""The installed package, not the checkout: a wheel carries the theme and the `notice` script."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, make_publication, write_issue

pytestmark = pytest.mark.slow  # each test builds or installs a wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build_dir = tmp_path_factory.mktemp("setuptools-build")
    # --no-build-isolation: the test extra brings setuptools and wheel, no download needed.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        cwd=build_dir,
        env={**os.environ, "PIP_NO_INPUT": "1"},
    )
    return next(out.glob("notice-*.whl"))


def test_wheel_ships_one_copy_of_the_theme_inside_the_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    theme = sorted(n for n in names if n.startswith("toolkit/templates/"))
    assert theme == sorted(f"toolkit/templates/{p.name}" for p in (REPO / "templates").iterdir() if p.is_file())
    assert not any(n.startswith(("templates/", "tests/", "issues/")) for n in names)
    # The preview's own pages and check's client-support data travel with the package too.
    assert {
        "toolkit/ui/preview.html",
        "toolkit/ui/preview.css",
        "toolkit/ui/preview.js",
        "toolkit/data/caniemail.json",
    } <= set(names)
    # Every Python module of the package, subpackages (toolkit.cli) included.
    modules = sorted(str(p.relative_to(REPO)) for p in (REPO / "toolkit").rglob("*.py"))
    assert sorted(n for n in names if n.endswith(".py")) == modules
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "notice = toolkit.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_notice_builds_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
    )
    pub = make_publication(tmp_path / "pub")
    write_issue(pub, "hello")
    env = {**os.environ, "PYTHONPATH": str(target), "NO_COLOR": "1"}
    script = target / "bin" / "notice"
    result = subprocess.run([str(script), "build", "--drafts"], cwd=pub, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    html = (pub / "build" / "hello" / "email.html").read_text(encoding="utf-8")
    assert "<table" in html
    located = subprocess.run(
        [sys.executable, "-c", "import toolkit.templating as t; print(t.theme_dir())"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(target)


def test_a_publication_made_by_init_gets_the_theme_s_fixes(wheel, tmp_path):
    # notice installed, a publication made with its `init`, then notice's theme changes (as an
    # upgrade changes it): the next build uses the new theme, since init copied none of it.
    target = tmp_path / "site-packages"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "NO_COLOR": "1"}
    script = str(target / "bin" / "notice")
    subprocess.run(
        [script, "init", "pub", "--name", "Shop news"], cwd=tmp_path, env=env, check=True, capture_output=True
    )
    theme_email = target / "toolkit" / "templates" / "email.html"
    theme_email.write_text(
        theme_email.read_text(encoding="utf-8").replace("</body>", "<p>theme fix 2</p></body>"), encoding="utf-8"
    )
    result = subprocess.run(
        [script, "build", "--drafts"], cwd=tmp_path / "pub", env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    built = next((tmp_path / "pub" / "build").glob("*/email.html")).read_text(encoding="utf-8")
    assert "theme fix 2" in built
