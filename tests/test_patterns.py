"""The regular expressions a build keeps for the next one (issue 13): the same patterns, never
another Python's, and a damaged file only costs compiling them again."""

from __future__ import annotations

import marshal
import os
import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit import patterns
from toolkit.build import build
from toolkit.config import load_config
from toolkit.patterns import CompiledPatterns

pytestmark = pytest.mark.skipif(patterns._CACHE is None, reason="CPython's regex internals only")

#: Of the kinds a build compiles: wide character classes, named groups, lookbehinds, flags, bytes.
SAMPLES = [
    ("(?<=[\u1100-\u115f\u3041-\u33ff\u4e00-\u9fff])[ \\t]*\\n[ \\t\\n]*(?=[\u3041-\u33ff\u4e00-\u9fff])", 0),
    ("(?P<scheme>https?://|mailto:)[!#-;=?-~]+", re.IGNORECASE),
    ("^---[ \\t]*$", re.MULTILINE),
    ("[^\u0000-\u10ff\u2000-\u200d]", 0),
    ("(\\s*+)([\U0001f300-\U0001f64f\U00020000-\U0003fffd])", 0),
    (b"(\\d{4})-([0-9a-f]{7})\\.yml", 0),
    ("colou?r", 0),
    ("a.b", re.DOTALL | re.VERBOSE),
]


def fresh(pattern: str | bytes, flags: int) -> re.Pattern:
    """*pattern* compiled by `re` itself, past its cache."""
    re.purge()
    return re.compile(pattern, flags)


def entries_of(path) -> dict:
    """The entries of a kept file, read as `patterns.read_file` reads them."""
    entries = patterns.read_file(path)
    assert entries is not None
    return entries


def kept(tmp_path, samples=SAMPLES) -> CompiledPatterns:
    """A memo saved with *samples* compiled, loaded again into an emptied `re` cache."""
    path = tmp_path / "patterns.marshal"
    memo = CompiledPatterns()
    memo.load(path)
    re.purge()
    for pattern, flags in samples:
        re.compile(pattern, flags)
    memo.save()
    re.purge()
    again = CompiledPatterns()
    again.load(path)
    return again


def test_a_kept_pattern_is_the_one_re_compiles_and_re_serves_it(tmp_path):
    memo = kept(tmp_path)
    served = {key: re.compile(*key) for key in SAMPLES}  # from re's cache, as the memo filled it
    assert set(memo.entries) == set(SAMPLES)
    for (pattern, flags), compiled in served.items():
        assert re._cache[type(pattern), pattern, int(flags)] is compiled  # not compiled again
    for (pattern, flags), compiled in served.items():
        assert compiled == fresh(pattern, flags)  # Pattern.__eq__ compares the code
        assert compiled.groupindex == fresh(pattern, flags).groupindex


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet="abc ぁあ漢字\n\t😀-:/", max_size=30))
def test_kept_patterns_match_as_fresh_ones(tmp_path_factory, text):
    tmp_path = tmp_path_factory.mktemp("patterns")
    samples = [(p, f) for p, f in SAMPLES if isinstance(p, str)]
    kept(tmp_path, samples)
    for pattern, flags in samples:
        served = re.compile(pattern, flags)
        assert [m.span() for m in served.finditer(text)] == [m.span() for m in fresh(pattern, flags).finditer(text)]


def opened(path) -> tuple[bytes, tuple, dict]:
    """A kept file's parts as `patterns.write_file` lays them out: digest, header, entries."""
    digest, _, payload = path.read_bytes().partition(b"\n")
    header, entries = marshal.loads(payload)
    return digest, header, entries


def test_another_pythons_file_is_not_used(tmp_path):
    path = tmp_path / "patterns.marshal"
    kept(tmp_path)
    _, header, entries = opened(path)
    patterns.write_file(path, entries, (header[0], "2.7.0 elsewhere", *header[2:]))  # its digest right
    re.purge()
    memo = CompiledPatterns()
    memo.load(path)
    assert memo.entries == {} and (type(SAMPLES[0][0]), *SAMPLES[0]) not in re._cache  # noqa: RUF005


@pytest.mark.parametrize(
    "damage", ["garbage", "brackets", "cut", "bad code", "not a pattern", "one literal", "its digest"]
)
def test_a_damaged_file_costs_a_compile_and_is_written_again(tmp_path, damage):
    path = tmp_path / "patterns.marshal"
    kept(tmp_path)
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"\x00not marshal at all")
    elif damage == "brackets":  # marshal's list code, its length four more brackets: minutes and gigabytes
        path.write_bytes(b"[" * 100_000)
    elif damage == "cut":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "bad code":  # code _sre cannot run, its digest rewritten: refused, never served
        patterns.write_file(path, {key: (a[0], [999999] * 9, *a[2:]) for key, a in entries_of(path).items()})
    elif damage == "not a pattern":  # keys save never writes, its digest rewritten
        patterns.write_file(path, {(key[0], str(key[1])): a for key, a in entries_of(path).items()})
    elif damage == "one literal":  # code _sre can run, but another pattern's: found by the digest
        digest, header, entries = opened(path)
        key = ("colou?r", 0)
        code = list(entries[key][1])
        code[code.index(ord("c"))] = ord("k")
        entries[key] = (entries[key][0], code, *entries[key][2:])
        path.write_bytes(digest + b"\n" + marshal.dumps((header, entries)))
    else:
        path.write_bytes(b"0" * 64 + data[64:])
    re.purge()
    memo = CompiledPatterns()
    memo.load(path)
    assert memo.entries == {}
    compiled = [re.compile(pattern, flags) for pattern, flags in SAMPLES]
    memo.save()
    assert compiled == [fresh(pattern, flags) for pattern, flags in SAMPLES]
    assert set(entries_of(path)) >= set(SAMPLES)
    if damage == "one literal":
        assert re.search("colou?r", "color") and not re.search("colou?r", "kolor")


def test_a_build_keeps_its_patterns_and_builds_the_same_with_them(publication):
    config = load_config(publication)
    patterns.PATTERNS.path = None  # as in a new process
    build(config, drafts=True, force=True)
    first = {p.relative_to(publication): p.read_bytes() for p in (publication / "build").rglob("*") if p.is_file()}
    entries = entries_of(config.cache_dir / "patterns.marshal")
    assert entries  # what re's cache held: in this long test process, what the build compiled
    for (pattern, flags), arguments in entries.items():
        assert patterns._COMPILE(pattern, *arguments) == fresh(pattern, flags)
    re.purge()
    patterns.PATTERNS.path = None
    build(config, drafts=True, force=True)
    again = {p.relative_to(publication): p.read_bytes() for p in (publication / "build").rglob("*") if p.is_file()}
    assert again == first


#: A new process that runs the `notice` command with *argv* and prints, one per line, each
#: pattern `re` compiled itself (not served from its cache) while it ran.
COUNT_COMPILES = """
import json, re._compiler, sys
compiled, compile = [], re._compiler.compile
re._compiler.compile = lambda pattern, flags=0: compiled.append(str(pattern)) or compile(pattern, flags)
sys.argv = ["notice", *json.loads(sys.argv[1])]
from toolkit.cli import main
try:
    main()
finally:
    print(json.dumps(compiled))
"""


@pytest.mark.slow
def test_the_command_loads_the_kept_patterns_before_its_modules_compile_theirs(publication):
    """Modules such as `toolkit.inline` compile patterns as they are imported: the CLI loads the
    publication's kept ones first, so a new process compiles none of them again."""
    import json
    import os
    import subprocess
    import sys

    from toolkit import inline

    def compiled_in_new_process(*argv: str) -> list[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COV")}
        done = subprocess.run(
            [sys.executable, "-c", COUNT_COMPILES, json.dumps(["-C", str(publication), "-q", *argv])],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return json.loads(done.stdout.splitlines()[-1])

    first = compiled_in_new_process("build", "--drafts")
    assert inline._HTML_PARTS.pattern in first  # nothing kept yet: compiled on import
    (publication / "issues" / "hello.md").write_text(
        (publication / "issues" / "hello.md").read_text() + "\nOne more line.\n"
    )
    again = compiled_in_new_process("build", "--drafts")
    assert inline._HTML_PARTS.pattern not in again
    assert len(again) < len(first) / 4, again


def test_a_cache_folder_linked_out_of_the_publication_is_not_read(tmp_path):
    """Issue 14's rule for every file: a `.notice-cache` that leads elsewhere is not read, even
    though the file there is one `write_file` wrote (its digest proves no author)."""
    root, outside = tmp_path / "pub", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    patterns.write_file(outside / patterns.FILE_NAME, {("colou?r", 0): patterns._arguments("colou?r", 0)})
    (root / ".notice-cache").symlink_to(outside)
    assert patterns.read_file(root / ".notice-cache" / patterns.FILE_NAME) is None
    (root / ".notice-cache").unlink()
    (outside / patterns.FILE_NAME).rename(root / patterns.FILE_NAME)
    (root / ".notice-cache").mkdir()
    (root / patterns.FILE_NAME).rename(root / ".notice-cache" / patterns.FILE_NAME)
    assert patterns.read_file(root / ".notice-cache" / patterns.FILE_NAME)  # the same file, inside


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_fifo_in_place_of_the_file_is_not_waited_for(tmp_path):
    cache = tmp_path / "pub" / ".notice-cache"
    cache.mkdir(parents=True)
    os.mkfifo(cache / patterns.FILE_NAME)
    done = []
    reader = threading.Thread(target=lambda: done.append(patterns.read_file(cache / patterns.FILE_NAME)), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert done == [None]  # at once: a blocking read of the pipe would wait for a writer forever
