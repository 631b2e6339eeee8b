from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.errors import SourceError
from toolkit.source import issue_files, parse_date, read_issue, read_issues, read_regular, suggest_slug

TOKYO = ZoneInfo("Asia/Tokyo")


def issue_file(tmp_path: Path, text: str, name: str = "an-issue") -> Path:
    path = tmp_path / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_field(tmp_path):
    path = issue_file(
        tmp_path,
        (
            "---\ntitle: Spring news\ndate: 2018-07-13 10:00\nstatus: published\npreheader: Pre\n"
            "author: Ann\nlang: ja\ntags: [a, b]\nnumber: 12\nsummary: Sum\n---\n\n# Body\n"
        ),
    )
    issue = read_issue(path, tz=TOKYO)
    assert issue.slug == "an-issue"
    assert issue.title == "Spring news"
    assert issue.date == dt.datetime(2018, 7, 13, 10, 0, tzinfo=TOKYO)
    assert (issue.status, issue.preheader, issue.author, issue.lang) == ("published", "Pre", "Ann", "ja")
    assert issue.tags == ("a", "b") and issue.number == 12 and issue.summary == "Sum"
    assert issue.body == "\n# Body\n"
    assert issue.body_line == 12
    assert len(issue.digest) == 64


def test_defaults(tmp_path):
    issue = read_issue(issue_file(tmp_path, "---\ntitle: T\ndate: 2018-07-13\n---\nBody"), default_lang="ja")
    assert issue.status == "draft" and issue.lang == "ja" and issue.number is None and issue.tags == ()
    assert issue.date == dt.datetime(2018, 7, 13, tzinfo=dt.UTC)


def test_offset_is_kept_and_naive_uses_publication_zone():
    assert parse_date("2018-07-13T10:00+09:00", dt.UTC).utcoffset() == dt.timedelta(hours=9)
    assert parse_date("2018-07-13 10:00", TOKYO).tzinfo is TOKYO
    assert parse_date("2018-07-13 10:00Z", TOKYO).utcoffset() == dt.timedelta(0)


def test_windows_line_endings_and_bom(tmp_path):
    path = tmp_path / "crlf.md"
    path.write_bytes("\ufeff---\r\ntitle: T\r\ndate: 2018-07-13\r\n---\r\nBody\r\n".encode("utf-8"))
    assert read_issue(path).body == "Body\n"


BAD = [
    ("---\ntitle: x\ndate: 2018-07-13\n\nbody", 1, "the front-matter opened on line 1 is never closed"),
    ("# No front-matter", 1, "the file does not start with front-matter"),
    ("---\ntitle: x\ndate: 2018-07-13\ntittle: y\n---\nb", 4, "unknown field 'tittle' (did you mean 'title'?)"),
    ("---\ntitle: x\n---\nb", 1, "the required field 'date' is missing"),
    ("---\ndate: 2018-07-13\ntitle: ''\n---\nb", 3, "the required field 'title' is empty"),
    ("---\ntitle: x\ndate: 2018-02-30\n---\nb", 3, "'2018-02-30' is not a real date (day is out of range for month)"),
    ("---\ntitle: x\ndate: 13/07/2018\n---\nb", 3, "'13/07/2018' is not a date"),
    (
        "---\ntitle: x\ndate: 2018-07-13 25:00\n---\nb",
        3,
        "'2018-07-13 25:00' is not a real date (hour must be in 0..23)",
    ),
    ("---\n- a\n- b\n---\nb", 2, "the front-matter must be a list of 'field: value' lines"),
    (
        "---\ntitle: x: y\ndate: 2018-01-01\n---\nb",
        2,
        "invalid YAML in the front-matter: mapping values are not allowed here",
    ),
    ("---\ntitle: x\ntitle: y\ndate: 2018-01-01\n---\nb", 3, "the field 'title' is given twice (also on line 2)"),
    ("---\ntitle: x\ndate: 2018-01-01\n---\n\n  \n", 5, "the issue has no body"),
    (
        "---\ntitle: x\ndate: 2018-01-01\nstatus: publishd\n---\nb",
        4,
        "unknown status 'publishd' (did you mean 'published'?)",
    ),
    ("---\ntitle: [x]\ndate: 2018-01-01\n---\nb", 2, "'title' must be text, not a list"),
    ("---\ntitle: x\ndate: 2018-01-01\nnumber: twelve\n---\nb", 4, "'number' must be a whole number, not 'twelve'"),
    ("---\ntitle: x\ndate: 2018-01-01\ntags: {a: 1}\n---\nb", 4, "'tags' must be a list of words"),
    # issue 14: a blank title would be an empty Subject:
    ('---\ntitle: "   "\ndate: 2018-01-01\n---\nb', 2, "the required field 'title' is empty"),
    # issue 14: nesting deep enough to exhaust Python's stack, and an int too long to convert
    (
        "---\ntitle: x\ndate: 2018-01-01\ntags: " + "[" * 20000 + "]" * 20000 + "\n---\nb",
        4,
        "the front-matter is nested too deeply (more than 20 levels of lists or mappings)",
    ),
    (
        "---\ntitle: x\ndate: 2018-01-01\nsummary: " + "{a: " * 20000 + "1" + "}" * 20000 + "\n---\nb",
        4,
        "the front-matter is nested too deeply (more than 20 levels of lists or mappings)",
    ),
    ("---\ntitle: x\ndate: 2018-01-01\nnumber: " + "9" * 5000 + "\n---\nb", 4, "a number of 5000 digits is too long"),
    # A campaign found a NUL in the body dropped without a word ("Hello\0World" became "HelloWorld").
    (
        "---\ntitle: x\ndate: 2018-01-01\n---\n\nHello.\n\nHello\x00World\n",
        8,
        "the body holds a NUL character (U+0000): no mail client shows it, and notice would drop it",
    ),
]


def _laughs(levels: int) -> str:
    """A "billion laughs": each anchor holds nine aliases of the one before (9 ** levels values)."""
    text, previous = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n", "a0"
    for n in range(1, levels + 1):
        text += f"a{n}: &a{n} [{', '.join(['*' + previous] * 9)}]\n"
        previous = f"a{n}"
    return text


# A few hundred bytes of aliases of aliases: refused at once (a walk of every expanded value took a
# minute at six levels, and an hour at seven), at the line where the count passes the limit. An
# alias of a deep list placed deeper is too deep, though neither part is (reported at the anchor:
# an alias is its anchor's node, and keeps no line of its own).
BAD += [
    (
        "---\ntitle: x\ndate: 2018-01-01\n" + _laughs(7) + "---\nb",
        8,
        "the front-matter expands to more than 10,000 values (YAML aliases, *name, repeat what their anchor holds)",
    ),
    (
        "---\ntitle: x\ndate: 2018-01-01\nsummary: &deep " + "[" * 15 + "]" * 15 + "\ntags: " + "[" * 10 + "*deep"
        + "]" * 10 + "\n---\nb",
        4,
        "the front-matter is nested too deeply (more than 20 levels of lists or mappings)",
    ),
]  # fmt: skip


@pytest.mark.parametrize("text, line, message", BAD)
def test_bad_input_names_file_line_and_fix(tmp_path, text, line, message):
    path = issue_file(tmp_path, text)
    with pytest.raises(SourceError) as info:
        read_issue(path)
    assert info.value.message == message
    assert info.value.line == line
    assert info.value.path == path
    assert info.value.hint


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "sjis.md"
    path.write_bytes(b"---\ntitle: x\ndate: 2018-01-01\n---\nok\n" + "テスト".encode("shift_jis"))
    with pytest.raises(SourceError) as info:
        read_issue(path)
    assert (info.value.message, info.value.line) == ("this file is not UTF-8", 6)


@pytest.mark.parametrize("name", ["Bad_Slug", "émoji", "two words", "trailing-"])
def test_slug_must_be_lowercase_ascii(tmp_path, name):
    path = issue_file(tmp_path, "---\ntitle: x\ndate: 2018-01-01\n---\nb", name=name)
    with pytest.raises(SourceError) as info:
        read_issue(path)
    assert "is not a valid slug" in info.value.message


def test_read_issues_collects_errors_and_keeps_good_ones(tmp_path):
    issue_file(tmp_path, "---\ntitle: Good\ndate: 2018-01-01\n---\nb", name="good")
    issue_file(tmp_path, "---\ntitle: Bad\n---\nb", name="bad")
    issues, errors = read_issues(tmp_path)
    assert [i.slug for i in issues] == ["good"]
    assert [e.path.name for e in errors] == ["bad.md"]


def test_suggest_slug():
    assert suggest_slug("Spring News: 2026!") == "spring-news-2026"
    assert suggest_slug("創刊号") == ""


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_an_issue_or_a_clear_error(tmp_path_factory, text):
    """Whatever an author saves, reading it gives an Issue or a SourceError, never a crash."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.md"
    path.write_text("---\n" + text, encoding="utf-8")
    try:
        read_issue(path)
    except SourceError as error:
        assert error.path == path and error.message


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["title", "date", "status", "tags", "number", "lang", "x"]),
        st.one_of(
            st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.lists(st.text(max_size=5), max_size=3)
        ),
        max_size=7,
    )
)
def test_any_front_matter_mapping_is_an_issue_or_a_clear_error(tmp_path_factory, meta):
    import yaml

    path = tmp_path_factory.mktemp("fm") / "fm.md"
    path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\nBody\n", encoding="utf-8")
    try:
        issue = read_issue(path)
    except SourceError as error:
        assert error.line is not None and error.hint
    else:
        assert issue.title and issue.date.tzinfo is not None


# --- libyaml and the cache of parsed front-matter (issue 13) ----------------------------------

from toolkit import source  # noqa: E402

yaml_value = st.one_of(
    st.text(alphabet="ab あ:#-'\"[]{}!&*|>%@`,?\t\x85\u2028", max_size=12),
    st.integers(),
    st.sampled_from(
        [
            "2018-07-13",
            "2018-07-13 10:00 +09:00",
            "yes",
            "~",
            "null",
            "1e3",
            ".inf",
            "0x1f",
            "[a, b]",
            "{a: 1}",
            "!!binary aGk=",
            "!!set {a}",
            "|\n  two\n  lines",
            "'quoted: yes'",
            '"\\u3042"',
            "&a x",
            "*a",
            "- x",
        ]
    ),
)
yaml_text = st.lists(
    st.tuples(
        st.sampled_from(["title", "date", "tags", "number", "a b", "? k", "- x", ""]),
        yaml_value,
        st.sampled_from(["", "  ", "\t", " # note"]),
    ),
    max_size=6,
).map(lambda rows: "\n".join(f"{key}: {value}{tail}" if key else f"{value}{tail}" for key, value, tail in rows))


@pytest.mark.skipif(source._FastLoader is None, reason="PyYAML without libyaml")
@settings(max_examples=300, deadline=None)
@given(text=yaml_text)
def test_libyaml_reads_front_matter_as_pyyaml_does(text):
    """Same data and key lines, or an error (then the build reports PyYAML's own one)."""

    def parse(loader):
        try:
            return source._parse_mapping(text, 2, Path("x.md"), "front-matter", "hint", loader)
        except SourceError as error:
            return error.format()

    fast, slow = parse(source.fast_loader(text)), parse(source._Loader)
    assert fast == slow or (isinstance(fast, str) and isinstance(slow, str))


def test_a_cached_front_matter_gives_the_same_issue_and_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(source, "PARSED", source.ParsedYAML())
    source.PARSED.load(tmp_path / "cache" / "yaml.json")
    path = tmp_path / "a.md"
    path.write_text("---\ntitle: A\ndate: 2026-01-05\ntags: [x, y]\n---\n\nBody\n", encoding="utf-8")
    first = read_issue(path)
    source.PARSED.save()
    bad = tmp_path / "b.md"
    bad.write_text("---\ntitle: B\n\ndate: 2026-01-05\nstatus: sent\n---\n\nBody\n", encoding="utf-8")
    with pytest.raises(SourceError) as before:
        read_issue(bad)
    source.PARSED.save()

    monkeypatch.setattr(source, "PARSED", source.ParsedYAML())  # a new process, the cache on disk
    source.PARSED.load(tmp_path / "cache" / "yaml.json")
    assert len(source.PARSED.entries) == 2
    again = read_issue(path)
    assert again == first and again.front == first.front
    again.front["tags"].append("z")  # what a caller does to its copy stays out of the cache
    assert read_issue(path).front["tags"] == ["x", "y"]
    with pytest.raises(SourceError) as after:
        read_issue(bad)
    assert after.value.format() == before.value.format() and ":5:" in after.value.format()


def test_each_cache_gets_what_its_build_read_though_the_process_parsed_it_before(tmp_path, monkeypatch):
    # A build that found every front-matter in memory (the preview, or tests in one process)
    # saved nothing, so the next process parsed them all again, PyYAML's import included.
    monkeypatch.setattr(source, "PARSED", source.ParsedYAML())
    for name in ("one", "two"):
        path = tmp_path / name / "a.md"
        path.parent.mkdir()
        path.write_text("---\ntitle: A\ndate: 2026-01-05\n---\n\nBody\n", encoding="utf-8")
        source.PARSED.load(tmp_path / name / "yaml.json")
        read_issue(path)
        source.PARSED.save()
    assert (tmp_path / "two" / "yaml.json").is_file()


@pytest.mark.parametrize("size", [0, 1, 4095, 4096])
def test_read_regular_returns_a_file_of_up_to_its_limit_whole(tmp_path, size):
    """Read by its size, not by a buffer of the limit (issue 13); the limit itself still holds."""
    path = tmp_path / "a.md"
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    assert read_regular(path, root=tmp_path, limit=4096) == path.read_bytes()


def test_read_regular_refuses_a_file_one_byte_over_its_limit(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes(b"x" * 4097)
    with pytest.raises(SourceError, match="larger than"):
        read_regular(path, root=tmp_path, limit=4096)


def test_issue_files_are_what_the_glob_finds_in_its_order_with_the_links_marked(tmp_path):
    folder = tmp_path / "issues"
    folder.mkdir()
    for name in ("b.md", "a-2.md", "a.md", ".hidden.md", "notes.txt", "md", "Z.md"):
        (folder / name).write_text("x", encoding="utf-8")
    (folder / "sub.md").mkdir()
    (folder / "linked.md").symlink_to(tmp_path / "elsewhere.md")
    found = issue_files(folder)
    assert [path for path, _ in found] == sorted(folder.glob("*.md"))
    assert [path.name for path, link in found if link] == ["linked.md"]
    assert issue_files(tmp_path / "missing") == [] and issue_files(folder / "b.md") == []


# --- what YAML 1.1 reads as another number (found by a test campaign) ---------------------------


def test_check_warns_where_yaml_read_a_title_or_number_as_another_number(run, publication):
    """``title: 12:30`` is 750 to YAML 1.1 (base 60), ``number: 010`` is 8 (octal): the issue
    builds with what nobody typed, so `notice check` says so, at the line, with the quoting."""
    import json

    path = publication / "issues" / "nums.md"
    path.write_text(
        "---\ntitle: 12:30\ndate: 2026-01-05\nnumber: 010\npreheader: 1.10\nsummary: 1_000 things\n"
        "author: 2024\n---\n\nBody.\n",
        encoding="utf-8",
    )
    result = run("-C", str(publication), "check", "nums", "--format", "json")
    found = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "yaml-number"]
    assert [(f["severity"], f["line"], f["message"], f["hint"]) for f in found] == [
        ("warning", 2, "'title: 12:30' is read by YAML as the number 750, so the title is '750'",
         "quote it to keep it as written: title: \"12:30\""),
        ("warning", 4, "'number: 010' is read by YAML as the number 8, so the number is '8'",
         "write it in plain digits, without a leading 0, '_' or ':' (number: 42)"),
        ("warning", 5, "'preheader: 1.10' is read by YAML as the number 1.1, so the preheader is '1.1'",
         "quote it to keep it as written: preheader: \"1.10\""),
    ]  # fmt: skip
    path.write_text(
        '---\ntitle: "12:30"\ndate: 2026-01-05\nnumber: 10\npreheader: 1.5\nauthor: 2024\n---\n\nBody.\n',
        encoding="utf-8",
    )
    result = run("-C", str(publication), "check", "nums", "--format", "json")
    assert not [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "yaml-number"]


def test_for_a_published_issue_yaml_number_says_what_readers_received(run, publication):
    """Quoting the title of a published issue would be a silent edit: readers received the number."""
    import json

    (publication / "issues" / "hello.md").write_text(
        "---\ntitle: 12:30\ndate: 2026-01-05\n---\n\nBody.\n", encoding="utf-8"
    )
    assert run("-C", str(publication), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    result = run("-C", str(publication), "check", "--format", "json")
    (found,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "yaml-number"]
    assert found["hint"] == "readers received '750': keep it so, or change it with `notice correct hello`"
