"""Writing outputs safely, and remembering what was built so unchanged issues are skipped.

Every file is written under a temporary name in its own folder and renamed over the old
one, so a reader (or a crash) never sees half a file. The build cache lives in
``.notice-cache/`` beside notice.toml, never in the output folder, which must hold only
what is published.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ToolkitError

CACHE_FORMAT = 1


def write_atomic(path: Path, data: bytes) -> bool:
    """Write *data* to *path* by rename; return False (and touch nothing) if it is unchanged."""
    try:
        # Only a regular file is compared: reading a FIFO left in its place would block forever.
        if stat.S_ISREG(path.lstat().st_mode) and path.read_bytes() == data:
            return False
    except OSError:
        pass  # missing, or not a file: writing says what is wrong
    _publish(path, data, os.replace)
    return True


def create_exclusive(path: Path, data: bytes) -> None:
    """Create *path* with *data*; FileExistsError if it exists. Never overwrites."""
    _publish(path, data, os.link)  # link() fails if the name exists, unlike replace()


def _publish(path: Path, data: bytes, move: Callable[[str, Path], None]) -> None:
    """Write a temporary file beside *path*, then move it into place with *move*.

    FileExistsError passes through (create_exclusive's answer); any other failure to write
    is the user's to fix (a file where a folder should be, a full disk), so it is a ToolkitError.
    """
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name[:80]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        move(temporary, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise ToolkitError(f"cannot write {path}: {exc.strerror or exc}", path=path,
                           hint="check that the folder exists, is a folder and is writable") from None
    finally:
        if temporary is not None:  # gone after a rename; still there after a link or a failure
            Path(temporary).unlink(missing_ok=True)


@dataclass
class BuildCache:
    """What each output folder holds: slug -> (inputs key, files written)."""

    path: Path
    outputs: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)

    @classmethod
    def load(cls, cache_dir: Path) -> BuildCache:
        path = cache_dir / "build.json"
        if cache_dir.exists() and not cache_dir.is_dir():
            raise ToolkitError(f"{cache_dir.name} is a file, where notice keeps its cache folder", path=cache_dir,
                               hint="delete it: notice makes the folder again (it only holds what builds remember)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError, UnicodeDecodeError):
            return cls(path)  # a missing or damaged cache only costs a full rebuild
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return cls(path)
        return cls(path, data.get("outputs", {}))

    def entries(self, out_dir: Path) -> dict[str, dict[str, object]]:
        return self.outputs.setdefault(str(out_dir.resolve()), {})

    def is_fresh(self, out_dir: Path, slug: str, key: str) -> bool:
        """True when *slug* was built from inputs *key* and its files are all still there."""
        entry = self.entries(out_dir).get(slug)
        if not entry or entry.get("key") != key:
            return False
        files = entry.get("files")
        return isinstance(files, list) and all((out_dir / str(name)).is_file() for name in files)

    def record(self, out_dir: Path, slug: str, key: str, files: list[str]) -> None:
        self.entries(out_dir)[slug] = {"key": key, "files": sorted(files)}

    def add_files(self, out_dir: Path, slug: str, files: list[str]) -> None:
        """Files made from an issue's build after it (message.eml): pruned with the issue, and
        removed when it is rebuilt, so they are never stale."""
        entry = self.entries(out_dir).get(slug)
        if entry is not None:
            entry["files"] = sorted(set(entry.get("files") or []) | set(files))  # type: ignore[arg-type]

    def forget(self, out_dir: Path, slug: str) -> list[str]:
        entry = self.entries(out_dir).pop(slug, None) or {}
        files = entry.get("files")
        return [str(name) for name in files] if isinstance(files, list) else []

    def save(self) -> None:
        text = json.dumps({"format": CACHE_FORMAT, "outputs": self.outputs}, indent=1, sort_keys=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        gitignore = self.path.parent / ".gitignore"
        if not gitignore.exists():
            write_atomic(gitignore, b"# notice's build cache: safe to delete\n*\n")
        write_atomic(self.path, text.encode("utf-8"))


def remove_outputs(out_dir: Path, files: list[str]) -> None:
    """Delete files notice wrote for an issue that no longer exists, then empty folders."""
    folders = set()
    for name in files:
        target = (out_dir / name).resolve()
        if out_dir.resolve() not in target.parents:
            continue  # never delete outside the output folder, whatever the cache says
        target.unlink(missing_ok=True)
        folders.update(p for p in target.parents if out_dir.resolve() in p.parents)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty: something of the author's is in it
