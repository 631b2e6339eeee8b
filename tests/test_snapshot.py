"""notice snapshot: real headless Chromium, and a look at the pictures it takes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import chromium_path, make_publication, write_issue


@pytest.fixture
def japanese(tmp_path):
    root = make_publication(tmp_path / "ja")
    return root


def picture(path: Path):
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB").copy()


@pytest.mark.browser
def test_snapshot_at_each_width_full_height(run, japanese):
    chromium_path()
    write_issue(
        japanese,
        "ja",
        raw="---\ntitle: 訂正のお知らせ\ndate: 2018-07-14\nlang: ja\n---\n\n"
        + "今回の情報収集の範囲に、LINE@でのお客様とのやりとりも含まれます。\n\n" * 30,
    )
    result = run("-C", str(japanese), "snapshot", "ja", "--width", "375,600")
    assert result.exit_code == 0, result.output
    shots = {w: picture(japanese / "snapshots" / f"ja-{w}.png") for w in (375, 600)}
    assert shots[375].width == 375 and shots[600].width == 600
    assert shots[375].height > shots[600].height > 1500  # full page, and the narrow one is taller
    assert "Saved snapshots/ja-375.png" in result.stdout or "ja-375.png" in result.stdout


@pytest.mark.browser
def test_japanese_is_drawn_as_glyphs_not_tofu(run, japanese, tmp_path):
    """Tofu boxes look alike whatever the character: two different lines of kanji must differ."""
    chromium_path()
    for slug, text in (("one", "訂正追記補足撤回更新確認"), ("two", "情報収集範囲対象公式登録")):
        write_issue(japanese, slug, raw=f"---\ntitle: 号\ndate: 2018-07-14\nlang: ja\n---\n\n# {text}\n")
        assert (
            run("-C", str(japanese), "snapshot", slug, "--width", "600", "--out", str(tmp_path / "shots")).exit_code
            == 0
        )
    one, two = picture(tmp_path / "shots" / "one-600.png"), picture(tmp_path / "shots" / "two-600.png")
    assert one.size == two.size
    from PIL import ImageChops

    difference = ImageChops.difference(one, two).getbbox()
    assert difference is not None, "both lines rendered identically: kanji are drawn as empty boxes (tofu)"
    left, top, right, bottom = difference
    assert right - left > 200  # the whole heading differs, not one stray pixel


def test_no_browser_is_a_clear_error(run, publication):
    result = run("-C", str(publication), "snapshot", "hello", "--browser", "/nonexistent/chromium")
    assert result.exit_code == 1
    assert "no browser at '/nonexistent/chromium'" in result.stderr
    assert "apt-get install chromium" in result.stderr


def test_no_browser_on_path(run, publication, monkeypatch):
    monkeypatch.setenv("PATH", str(publication))  # an empty PATH: the edge is the system
    result = run("-C", str(publication), "snapshot", "hello")
    assert result.exit_code == 1 and "no Chromium or Chrome found on PATH" in result.stderr


@pytest.mark.browser
def test_warns_without_a_japanese_font(run, japanese, tmp_path, monkeypatch):
    executable = chromium_path()
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "fc-list").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")  # fontconfig finds nothing
    (fake_bin / "fc-list").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    write_issue(japanese, "ja", raw="---\ntitle: 号\ndate: 2018-07-14\nlang: ja\n---\n\n本文です。\n")
    result = run("-C", str(japanese), "snapshot", "ja", "--width", "375", "--browser", executable)
    assert result.exit_code == 0, result.output
    assert "no Japanese font found" in result.stderr and "fonts-noto-cjk" in result.stderr


@pytest.mark.parametrize("widths", ["", "abc", "375,50", "99999"])
def test_bad_widths(run, publication, widths):
    result = run("-C", str(publication), "snapshot", "hello", "--width", widths)
    assert result.exit_code == 1 and "is not a list of widths" in result.stderr
