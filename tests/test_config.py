from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.config import BuildSettings, load_config
from toolkit.errors import ConfigError
from toolkit.root import find_root

from conftest import make_publication


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "notice.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_apply_to_missing_keys(tmp_path):
    config = load_config(write(tmp_path, '[publication]\nname = "Letter"\n'))
    assert config.publication.name == "Letter"
    assert config.publication.lang == "en"
    assert config.publication.timezone == "UTC"
    assert config.build == BuildSettings(out="build", text_width=70, inliner="premailer")
    assert config.out_dir == tmp_path / "build"


def test_paths_are_relative_to_the_config_folder(tmp_path):
    config = load_config(write(tmp_path, '[build]\nout = "public/site"\n'))
    assert config.out_dir == tmp_path / "public" / "site"
    assert config.issues_dir == tmp_path / "issues"


def test_find_root_walks_up_like_git(tmp_path):
    write(tmp_path, "")
    deep = tmp_path / "issues" / "drafts"
    deep.mkdir(parents=True)
    assert find_root(deep) == tmp_path.resolve()


def test_missing_config_says_how_to_start(tmp_path):
    with pytest.raises(ConfigError) as info:
        find_root(tmp_path)
    assert "no notice.toml" in info.value.message
    assert "notice init" in info.value.hint


def test_unknown_key_names_line_and_suggests(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[publication]\nname = "x"\nlangauge = "ja"\n'))
    assert info.value.line == 3
    assert "unknown key 'langauge' in [publication] (did you mean 'lang'?)" in info.value.message


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[biuld]\nout = "x"\n'))
    assert "unknown section [biuld] (did you mean 'build'?)" in info.value.message
    assert info.value.line == 1


@pytest.mark.parametrize(
    "line, expected",
    [
        ('text_width = "70"', "'text_width' in [build] must be a whole number, not a string"),
        ("text_width = true", "'text_width' in [build] must be a whole number, not true or false"),
        ("text_width = 5", "text_width must be between 20 and 998, not 5"),
        ('inliner = "premailr"', "unknown inliner 'premailr' (did you mean 'premailer'?)"),
        ('out = "../elsewhere"', "out '../elsewhere' must be a new folder inside the publication"),
        ('out = "/tmp/x"', "out '/tmp/x' must be a new folder inside the publication"),
        ('out = "issues"', "out 'issues' must be a new folder inside the publication"),
    ],
)
def test_wrong_build_values(tmp_path, line, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, f"[build]\n{line}\n"))
    assert info.value.message == expected
    assert info.value.line == 2
    assert info.value.hint


@pytest.mark.parametrize(
    "line, expected",
    [
        ('timezone = "Asia/Tokio"', "unknown time zone 'Asia/Tokio'"),
        ('base_url = "example.com"', "base_url 'example.com' is not an http(s) URL"),
        ("name = 3", "'name' in [publication] must be a string, not a whole number"),
        ('lang = "japanese language"', "lang 'japanese language' is not a language tag"),
    ],
)
def test_wrong_publication_values(tmp_path, line, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, f"[publication]\n{line}\n"))
    assert info.value.message == expected


def test_all_problems_reported_at_once(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[publication]\nlangg = "ja"\n[build]\ntext_width = "x"\n'))
    message = info.value.format()
    assert "2 problems" in message
    assert "notice.toml:2: unknown key 'langg'" in message
    assert "notice.toml:4: 'text_width' in [build] must be a whole number" in message


def test_invalid_toml_has_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, '[publication]\nname = "x"\nlang = ja\n'))
    assert info.value.message.startswith("invalid TOML")
    assert info.value.line == 3


def test_config_not_utf8(tmp_path):
    (tmp_path / "notice.toml").write_bytes('[publication]\nname = "テスト"\n'.encode("shift_jis"))
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert info.value.message == "this file is not UTF-8"
    assert info.value.line == 2


@pytest.mark.parametrize(
    "value, expected",
    [
        ("[" * 20000 + "]" * 20000, "a value is nested too deeply"),  # issue 14: RecursionError in tomllib
        ("9" * 5000, "a number is too long: over the limit (4300 digits)"),  # issue 14: ValueError
    ],
)
def test_values_python_cannot_hold_are_a_clean_error_with_their_line(tmp_path, value, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, f'[publication]\nname = "x"\nlang = {value}\n'))
    assert (info.value.message, info.value.line) == (expected, 3)
    assert info.value.hint


@pytest.mark.parametrize("value", ["not-an-email", "news@", "News <news@example.com>"])
def test_a_sender_email_that_is_no_address_is_refused_when_the_config_is_read(tmp_path, run, value):
    """It built and passed `notice check` without a word, and only `notice export` refused it."""
    root = make_publication(tmp_path / "pub")
    path = root / "notice.toml"
    text = path.read_text(encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("sender_email"))
    path.write_text(
        "\n".join(f'sender_email = "{value}"' if n == line else row for n, row in enumerate(text.splitlines(), 1)),
        encoding="utf-8",
    )
    result = run("-C", str(root), "check")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"notice.toml:{line}: 'sender_email' is not an email address: '{value}'" in result.stderr
