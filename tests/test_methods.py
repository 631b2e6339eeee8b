"""The dataclass methods a process keeps for the next (issue 13): the same classes as
`dataclasses` makes, never another Python's code, a damaged file only costs compiling again."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from toolkit import methods
from toolkit.methods import CompiledMethods

from conftest import REPO

#: Declarations of the kinds notice writes: frozen, defaults, factories, slots, order, kw_only.
DECLARATIONS = textwrap.dedent(
    """
    import dataclasses
    from dataclasses import dataclass, field

    @dataclass(frozen=True)
    class Point:
        x: int
        y: int = 0
        tags: list = field(default_factory=list, compare=False)

    @dataclass(order=True)
    class Version:
        major: int
        minor: int = 1

    @dataclass(slots=True, kw_only=True)
    class Token:
        text: str
        width: int = 1

    @dataclass
    class Empty:
        pass
    """
)


@pytest.fixture(autouse=True)
def writes_bytecode(monkeypatch):
    """As a Python that writes bytecode: the file is kept only then (PYTHONDONTWRITEBYTECODE)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def declare(methods_: CompiledMethods | None, module: str, future: bool = False) -> dict:
    """The namespace of DECLARATIONS run as module *module*, its classes made through
    *methods_* (or the built-in `exec` when None)."""
    made = types.ModuleType(module)  # dataclasses hands a class's methods its module's globals
    original = dataclasses.__dict__.get("exec")
    dataclasses.exec = methods_.exec if methods_ else exec  # type: ignore[attr-defined]
    sys.modules[module] = made
    try:
        source = ("from __future__ import annotations\n" if future else "") + DECLARATIONS
        exec(compile(source, f"<{module}>", "exec", dont_inherit=True), made.__dict__)
    finally:
        dataclasses.exec = original  # type: ignore[attr-defined]
        del sys.modules[module]
    return made.__dict__


def same_class(kept: type, made: type) -> None:
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__lt__"):
        a, b = kept.__dict__.get(name), made.__dict__.get(name)
        assert (a is None) == (b is None), name
        if a is not None and b is not None:
            assert a.__code__.co_code == b.__code__.co_code, name
            assert a.__code__.co_consts == b.__code__.co_consts, name
            assert a.__annotations__ == b.__annotations__, name
    assert kept.__doc__ == made.__doc__  # dataclasses writes the signature there


@pytest.mark.parametrize("future", [False, True])
def test_classes_from_kept_code_are_the_ones_dataclasses_makes(tmp_path, future):
    path = tmp_path / "dataclasses.marshal"
    first = CompiledMethods(path, prefix="sample.")
    declare(first, "sample.one", future)
    assert first.added > 0
    first.save()
    again = CompiledMethods(path, prefix="sample.")
    assert set(again.codes) == set(first.codes)
    kept = declare(again, "sample.one", future)
    assert again.added == 0  # every text was served, none compiled
    made = declare(None, "sample.one", future)
    for name in ("Point", "Version", "Token", "Empty"):
        same_class(kept[name], made[name])
    point = kept["Point"](1, tags=["a"])
    assert point == kept["Point"](1, 0, ["b"]) and hash(point) == hash(kept["Point"](1))
    assert repr(point) == "Point(x=1, y=0, tags=['a'])"
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    assert kept["Version"](1, 2) < kept["Version"](2)
    with pytest.raises(TypeError):
        kept["Token"]("a")  # keyword-only, as declared


def test_only_the_named_modules_classes_are_kept(tmp_path):
    memo = CompiledMethods(tmp_path / "dataclasses.marshal", prefix="sample.")
    made = declare(memo, "elsewhere")
    assert memo.added == 0 and memo.codes == {}
    assert made["Point"](1) == made["Point"](1, 0)


def test_texts_no_class_asks_for_give_way_to_the_current_ones(tmp_path, monkeypatch):
    """A file filled to the cap by classes of older notices (each upgrade or edited class leaves
    its texts) still takes this process's classes, and drops old texts, not current ones."""
    monkeypatch.setattr(methods, "MAX_ENTRIES", 40)
    path = tmp_path / "dataclasses.marshal"
    old = {
        (f"def __create_fn__():\n def __init__(self, old_{n}):\n  pass\n return __init__", 0): compile(
            "0", "<s>", "exec"
        )
        for n in range(40)
    }
    methods.write_file(path, old)
    first = CompiledMethods(path, prefix="sample.")
    declare(first, "sample.one")
    assert first.added > 0
    first.save()
    kept = methods.read_file(path)
    assert len(kept) == 40
    assert set(first.used) <= set(kept)  # every text this process's classes made is kept
    assert sum("old_" in text for text, _ in kept) == 40 - len(first.used)
    second = CompiledMethods(path, prefix="sample.")
    declare(second, "sample.one")
    assert second.added == 0 and second.used == first.used  # served from the file, nothing compiled


def test_another_pythons_file_or_a_damaged_one_is_not_used(tmp_path):
    path = tmp_path / "dataclasses.marshal"
    memo = CompiledMethods(path, prefix="sample.")
    declare(memo, "sample.one")
    memo.save()
    good = path.read_bytes()
    expected = methods.read_file(path)
    assert expected
    for n in range(len(good) - 1, 0, -max(1, len(good) // 97)):  # one byte changed, at ~100 places
        path.write_bytes(good[:n] + bytes([good[n] ^ 0x20]) + good[n + 1 :])
        codes = methods.read_file(path)
        assert codes == {} or codes == expected
    path.write_bytes(good[: len(good) // 2])
    assert methods.read_file(path) == {}
    path.write_bytes(b"")
    assert methods.read_file(path) == {}
    header, crc, payload = methods.marshal.loads(good)
    path.write_bytes(methods.marshal.dumps(((1, "another Python", "cpython-399"), crc, payload)))
    assert methods.read_file(path) == {}
    again = CompiledMethods(path, prefix="sample.")
    declare(again, "sample.one")
    again.save()  # compiled again, and the file written for the next process
    assert methods.read_file(path) == expected


def test_nothing_is_written_without_bytecode_or_where_it_cannot_be(tmp_path, monkeypatch):
    path = tmp_path / "dataclasses.marshal"
    memo = CompiledMethods(path, prefix="sample.")
    declare(memo, "sample.one")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    memo.save()
    assert not path.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    blocked = CompiledMethods(tmp_path / "a-file" / "dataclasses.marshal", prefix="sample.")
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    declare(blocked, "sample.one")
    blocked.save()  # only slower next time: never an error
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "not a folder"


def test_a_process_keeps_them_where_python_keeps_its_bytecode(tmp_path):
    # PYTHONPYCACHEPREFIX moves __pycache__ (and so this file) out of the repository.
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path), "PYTHONPATH": str(REPO)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    script = "import toolkit.config, toolkit.methods as m; print(m.kept_path())"
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    kept = Path(first.stdout.strip())
    assert kept.is_file() and kept.is_relative_to(tmp_path)
    codes = methods.read_file(kept)
    assert any("sender_email" in text for text, _ in codes)  # PublicationSettings.__init__
    stamp = kept.stat().st_mtime_ns
    subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert kept.stat().st_mtime_ns == stamp  # nothing new to keep: not written again
