"""The declared fields (notice.toml, front-matter, records) and the table of correction kinds.

The README's tables are compared with the declarations, so neither can drift; random mappings
thrown at each validator give a clean result or a clean ToolkitError, never another exception.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit import kinds
from toolkit.config import SECTIONS, Config, parse_config
from toolkit.errors import ConfigError, SourceError, ToolkitError
from toolkit.labels import labels_for
from toolkit.records import RECORD_KEYS, Record, read_records
from toolkit.schema import declared, markdown_rows, spec_of
from toolkit.source import FIELDS, Issue, read_issue

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def table_after(header: str, section: str = "") -> list[str]:
    """The rows of the README table whose header line is *header* (the first after *section*)."""
    start = README.index(header + "\n", README.index(section))
    lines = README[start:].split("\n\n")[0].splitlines()
    return lines[2:]


def required(name: str, field: dataclasses.Field) -> list[str]:
    return ["yes" if spec_of(field).required else "no"]


def default(name: str, field: dataclasses.Field) -> list[str]:
    value = field.default if field.default is not dataclasses.MISSING else field.default_factory()
    return [f"`{json.dumps(value, ensure_ascii=False)}`"]


def test_readme_front_matter_table_is_the_declared_fields():
    assert table_after("| field | required | meaning |", "## Issue format") == markdown_rows(Issue, required)


def test_readme_notice_toml_table_is_the_declared_keys():
    rows = [
        row.replace("| `", f"| `{section}.", 1)
        for section, cls in SECTIONS.items()
        for row in markdown_rows(cls, default)
    ]
    assert table_after("| key | default | meaning |") == rows


def test_readme_record_table_is_the_declared_fields():
    assert table_after("| field | required | meaning |", "A record file (") == markdown_rows(Record, required)


def test_readme_kinds_table_is_the_kinds_table():
    rows = [
        f"| `{k.name}` | {k.words['ja'].label} | {k.words['en'].label} | {k.level or 'none'} | "
        f"{'yes' if k.visible else 'no'} | {'yes' if k.notice else 'no'} |"
        for k in kinds.KINDS
    ]
    assert table_after("| kind | 日本語 | English | marker | shown (struck text, errata) | notice to readers |") == rows


def test_every_declared_key_has_a_one_line_doc():
    for cls in (Issue, Record, *SECTIONS.values()):
        for name, field in declared(cls).items():
            doc = spec_of(field).doc
            assert doc and "\n" not in doc and "|" not in doc, (cls.__name__, name)


# --- the kinds ---------------------------------------------------------------------------------


def test_every_kind_readers_are_told_of_has_its_own_words_in_each_language():
    for lang in ("en", "ja"):
        t = labels_for(lang)
        told = [k for k in kinds.KINDS if k.notice]
        for key in ("subject", "lead", "read"):
            words = [t[f"{key}_{k.name}"] for k in told]
            assert len(set(words)) == len(words) or key == "read" and lang == "en", (lang, key, words)
        assert all(t[f"kind_{k.name}"] for k in kinds.KINDS)
    ja = labels_for("ja-JP")
    assert ja["lead_supplement"].endswith("に補足しました。") and ja["read_supplement"] == "補足後の本文を読む"
    assert ja["lead_addendum"].endswith("に追記しました。") and ja["read_addendum"] == "追記後の本文を読む"


def test_strength_orders_retraction_over_correction_over_update():
    order = sorted(kinds.NAMES, key=kinds.strength, reverse=True)
    assert order[0] == "retraction" and kinds.strength("correction") > kinds.strength("addendum") > 0
    assert kinds.strength("minor") == kinds.strength("no-such-kind") == 0


# --- random mappings: a clean result or a clean error --------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)
TOML_VALUES = st.recursive(
    st.one_of(st.booleans(), st.integers(min_value=-(10**6), max_value=10**6), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)


def key_names(known: tuple[str, ...]):
    return st.one_of(st.sampled_from(known), st.text(max_size=8))


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        key_names(tuple(SECTIONS)),
        st.one_of(
            TOML_VALUES,
            st.dictionaries(
                key_names(tuple({k for c in SECTIONS.values() for k in declared(c)})), TOML_VALUES, max_size=5
            ),
        ),
        max_size=4,
    )
)
def test_any_config_mapping_is_a_config_or_a_clean_error(data):
    try:
        config = parse_config(Path("/nowhere"), data)
    except ConfigError as error:
        assert error.message and error.path == Path("/nowhere/notice.toml")
    else:
        assert isinstance(config, Config)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(key_names(FIELDS), VALUES, max_size=8))
def test_any_front_matter_is_an_issue_or_a_clean_error(tmp_path, meta):
    path = tmp_path / "fuzz.md"
    path.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\nBody\n", encoding="utf-8")
    try:
        issue = read_issue(path)
    except SourceError as error:
        assert error.path == path and error.line is not None and error.hint
    else:
        assert issue.title.strip() and issue.date.tzinfo is not None


def sha256_of(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


VALID = {
    "seq": 1,
    "issue": "hello",
    "kind": "addendum",
    "date": "2026-01-06T10:00:00+00:00",
    "pending": False,
    "resolves": None,
    "replaces": [],
    "note": "A note.",
    "previous": "0" * 64,
}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(key_names(RECORD_KEYS), VALUES, max_size=4), st.sets(st.sampled_from(RECORD_KEYS), max_size=2))
def test_any_record_is_a_record_or_a_clean_error(tmp_path, changes, removed):
    """A valid record with fields changed, added or removed, and its hash made to match, so
    the validation of every field is reached, not only the hash check."""
    data = {**VALID, **changes}
    for key in removed:
        data.pop(key, None)
    content = {key: data.get(key) for key in RECORD_KEYS if key not in ("id", "hash")}
    try:
        data.setdefault("hash", sha256_of(content))
        data.setdefault("id", str(data["hash"])[:7])
    except (TypeError, ValueError):  # a value JSON cannot hold, such as NaN's keys: hash what is there
        data["hash"] = data["id"] = "x"
    seq = data.get("seq")
    name = (
        f"{seq:04d}-{data['id']}.yml"
        if isinstance(seq, int) and 0 <= seq <= 9999 and re.fullmatch(r"[0-9a-f]{7}", str(data["id"]))
        else "0001-abcdef0.yml"
    )
    folder = tmp_path / "corrections" / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        records = read_records(tmp_path / "corrections", "hello", ZoneInfo("UTC"))
    except SourceError as error:
        assert error.path == path and error.line is not None and error.message
    else:
        assert [r.kind in kinds.NAMES for r in records] == [True]


def test_a_clean_error_is_a_toolkit_error():
    assert issubclass(ConfigError, ToolkitError) and issubclass(SourceError, ToolkitError)
