"""What was sent, and every correction since: the lock and the append-only record chain.

``corrections/<slug>/published.yml`` is the lock written by `notice publish`: the text readers
received. Each correction is one more file, ``corrections/<slug>/<seq>-<id>.yml``, created
exclusively and never rewritten. Every record carries the hash of its own content and the
hash of the record before it (the lock, for the first), so an edited record breaks its own
hash and a removed one breaks the chain. The files are YAML so that version control shows
readable diffs; the hashes are over canonical JSON so formatting does not matter. A delivery
record (`notice sent`, ``<seq>-<id>.sent.yml``, read by `toolkit.deliveries`) is a link of the
same chain, so it is guarded the same way (issue 12).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

try:
    import fcntl
except ImportError:  # Windows: exclusive file creation still prevents any overwrite
    fcntl = None  # type: ignore[assignment]

from .errors import SourceError, ToolkitError, did_you_mean
from .kinds import NAMES as KIND_NAMES
from .kinds import kind_of
from .output import create_exclusive, write_atomic
from .schema import Invalid, declare, declared, read_mapping
from .source import FENCE, Issue, decode, parse_date, parse_yaml_mapping, read_regular

LOCK_NAME = "published.yml"
RECORD_RE = re.compile(r"(\d{4})-([0-9a-f]{7})\.yml")
#: A delivery record (`notice sent`, `toolkit.deliveries`): in the same chain, told apart by its name.
DELIVERY_RE = re.compile(r"(\d{4})-([0-9a-f]{7})\.sent\.yml")
#: The names of the kinds of record; each kind is declared in `toolkit.kinds`.
KINDS = KIND_NAMES
#: The fields of an issue that readers see, and so are locked when it is published.
LOCKED_FIELDS = ("title", "date", "preheader", "author", "number", "summary", "lang")
#: The issue's front-matter field naming its newest record (``0004-530bfbb``), written by
#: `notice correct` and `notice sent`: the anchor outside corrections/ that the chain alone
#: cannot give. A delivery record is a link of the same chain, so the field names it too.
HEAD_FIELD = "last_correction"
HEAD_RE = re.compile(r"(\d{4})-([0-9a-f]{7})")


class RecordMissingError(SourceError):
    """A lock or record that the issue itself says exists is gone: readers would get the
    uncorrected text, so the build refuses the issue and keeps its old outputs."""


class LockMissingError(RecordMissingError):
    """No lock, though the issue has a `published:` date, and nothing says it was corrected:
    deleted, or published by hand. `notice publish` may lock it now."""


@dataclass(frozen=True)
class Replacement:
    """One passage a record corrects: the text as it was, and as it is now."""

    original: str
    corrected: str


@dataclass(frozen=True)
class Lock:
    """The issue as readers first received it."""

    path: Path
    slug: str
    published: dt.datetime
    fields: dict[str, Any]
    body: str
    hash: str
    #: The "corrections since the last issue" block it went out with (`toolkit.next_issue`):
    #: None for an issue locked without `[corrections] in_next_issue`, as every lock before it.
    next_issue: tuple[dict[str, Any], ...] | None = None
    #: The local images readers received: each file's path in the publication -> its sha256, so
    #: a photo replaced under the same name is a silent edit too. None for a lock of an issue
    #: without local images, and for every lock written before it existed (nothing is checked).
    images: dict[str, str] | None = None


# The field parsers below are shared with the delivery records (`toolkit.deliveries`): one chain,
# one way of reading its fields.
def text_field(value: Any, key: str, tz: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"'{key}' must be text", RESTORE_HINT)
    return value


def _optional_text(value: Any, key: str, tz: Any) -> str:
    return "" if value is None else text_field(value, key, tz)


def seq_field(value: Any, key: str, tz: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Invalid("'seq' must be a whole number", RESTORE_HINT)
    return value


def _kind(value: Any, key: str, tz: Any) -> str:
    kind = text_field(value, key, tz)
    if kind not in KIND_NAMES:
        raise Invalid(f"unknown kind '{kind}'{did_you_mean(kind, KIND_NAMES)}", f"kinds: {', '.join(KIND_NAMES)}")
    return kind


def date_field(value: Any, key: str, tz: ZoneInfo) -> dt.datetime:
    try:
        return parse_date(text_field(value, key, tz), tz)
    except ValueError as exc:
        raise Invalid(str(exc), RESTORE_HINT) from None


def _pending(value: Any, key: str, tz: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("'pending' must be true or false", RESTORE_HINT)
    return value


def _resolves(value: Any, key: str, tz: Any) -> str | None:
    return _optional_text(value, key, tz) or None


def _replaces(value: Any, key: str, tz: Any) -> tuple[Replacement, ...]:
    pairs = value or []
    if not isinstance(pairs, list) or not all(
        isinstance(p, dict) and set(p) == {"original", "corrected"} and all(isinstance(v, str) for v in p.values())
        for p in pairs
    ):
        raise Invalid("'replaces' must be a list of {original, corrected} texts", RESTORE_HINT)
    return tuple(Replacement(p["original"], p["corrected"]) for p in pairs)


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _is_images(value: Any) -> bool:
    """Whether *value* maps file paths to sha256 digests, as locks and records keep images."""
    return isinstance(value, dict) and all(
        isinstance(path, str) and isinstance(digest, str) and _SHA256.fullmatch(digest)
        for path, digest in value.items()
    )


def _record_images(value: Any, key: str, tz: Any) -> dict[str, str] | None:
    """A record's or a lock's images as stored: file path -> sha256 (None: none kept)."""
    if value is None:
        return None
    if not _is_images(value):
        raise Invalid("'images' must map each image's path to its sha256", RESTORE_HINT)
    return dict(value)


def _lock_images(data: dict[str, Any]) -> dict[str, str] | None:
    """`_record_images` for a lock, whose damage is a TypeError (`read_lock`); an ``images:`` that is
    there but empty (null) is damage too: `write_lock` never writes one."""
    if "images" not in data:
        return None
    try:
        images = _record_images(data["images"], "images", None)
    except Invalid as exc:
        raise TypeError(exc.message) from None
    if images is None:
        raise TypeError("'images' must map each image's path to its sha256")
    return images


@dataclass(frozen=True)
class Record:
    """One correction record, as stored; the declared fields are the keys of its file."""

    path: Path
    id: str = declare(doc="the first 7 hex digits of `hash`; also in the file name", parse=text_field, required=True)
    seq: int = declare(doc="its place in the chain: 1, 2, 3...; also in the file name", parse=seq_field, required=True)
    issue: str = declare(doc="the slug of the issue it corrects", parse=text_field, required=True)
    kind: str = declare(doc="one of the kinds in the table above", parse=_kind, required=True)
    date: dt.datetime = declare(doc="when the correction was made, with its offset", parse=date_field, required=True)
    note: str = declare("", doc="what was wrong and what is right, in Markdown", parse=_optional_text)
    pending: bool = declare(False, doc="`true` while it awaits something, such as an answer", parse=_pending)
    resolves: str | None = declare(None, doc="the id of the pending record this one resolves", parse=_resolves)
    replaces: tuple[Replacement, ...] = declare((), doc="the `original` and `corrected` passages", parse=_replaces)
    images: dict[str, str] | None = declare(
        None,
        doc="each local image its note and new text show: the file's path in the publication -> its "
        "sha256 (absent when they show none, and in records made before images were recorded)",
        parse=_record_images,
    )
    previous: str = declare(
        "", doc="the hash of the record before it (the lock's, for the first)", parse=text_field, required=True
    )
    hash: str = declare(
        "", doc="sha256 of the record's canonical JSON, without `id` and `hash`", parse=text_field, required=True
    )
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def visible(self) -> bool:
        """Whether readers see it: struck text and an errata entry (not for a minor typo fix)."""
        return kind_of(self.kind).visible

    @property
    def notify(self) -> bool:
        """Whether readers who got the original are sent a notice of it."""
        return kind_of(self.kind).notice


RESTORE_HINT = "restore it from version control"
RECORD_KEYS = tuple(declared(Record))


def records_dir(corrections_dir: Path, slug: str) -> Path:
    return corrections_dir / slug


# --- hashing -----------------------------------------------------------------------------------


def canonical_hash(data: dict[str, Any]) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def locked_content(issue: Issue) -> dict[str, Any]:
    """The reader-visible fields as written in the front-matter, and the body."""
    fields = {name: _plain(issue.front.get(name)) for name in LOCKED_FIELDS}
    return {"fields": fields, "body": issue.body}


def _plain(value: Any) -> Any:
    """A front-matter value as JSON can hold it (YAML may give floats or other scalars)."""
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)


def _lock_content(
    slug: str, published: str, fields: dict[str, Any], body: str, next_issue: Any = None, images: Any = None
) -> dict[str, Any]:
    """What a lock's hash covers: everything in it. `next_issue` and `images` only when the lock
    has them, so the hash of every lock written before they existed is unchanged."""
    content = {"slug": slug, "published": published, "fields": fields, "body": body}
    if next_issue is not None:
        content["next_issue"] = next_issue
    if images is not None:
        content["images"] = images
    return content


#: Keys added after records were first made: under the hash only where a record has them, so
#: every record made before keeps its hash.
LATER_KEYS = frozenset({"images"})


def _record_content(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: data.get(key)
        for key in RECORD_KEYS
        if key not in ("id", "hash") and (key not in LATER_KEYS or key in data)
    }


# --- reading -----------------------------------------------------------------------------------


def read_lock(corrections_dir: Path, slug: str) -> Lock | None:
    path = records_dir(corrections_dir, slug) / LOCK_NAME
    if not os.path.lexists(path):  # a FIFO or a link out is read_regular's error, not "no lock"
        return None
    data, lines = load_record_yaml(path)
    try:
        lock = Lock(
            path=path,
            slug=str(data["slug"]),
            published=dt.datetime.fromisoformat(str(data["published"])),
            fields=dict(data["fields"]),
            body=str(data["body"]),
            hash=str(data["hash"]),
            next_issue=_carried(data.get("next_issue", None), "next_issue" in data),
            images=_lock_images(data),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SourceError(
            f"the publication lock is damaged ({exc})",
            path=path,
            line=1,
            hint=f"restore it from version control: `git checkout -- {path.name}`",
        ) from None
    try:
        carried = data.get("next_issue") if "next_issue" in data else None
        expected = canonical_hash(
            _lock_content(lock.slug, lock.published.isoformat(), lock.fields, lock.body, carried, lock.images)
        )
    except TypeError:  # a value JSON cannot hold: the file was edited by hand
        expected = ""
    if expected != lock.hash:
        raise SourceError(
            "the publication lock was edited: its hash no longer matches its text",
            path=path,
            line=lines.get("hash", 1),
            hint="the lock records what readers received; restore it from version control",
        )
    return lock


#: What a lock keeps of each record its issue carried in its next-issue block.
CARRIED_KEYS = ("record", "hash", "issue", "title", "kind", "date", "note", "pending")


def _carried(value: Any, present: bool) -> tuple[dict[str, Any], ...] | None:
    """A lock's next-issue block as stored: a list of mappings of CARRIED_KEYS (TypeError
    otherwise, reported as a damaged lock)."""
    if not present:
        return None
    if not isinstance(value, list) or not all(
        isinstance(item, dict) and set(item) == set(CARRIED_KEYS) for item in value
    ):
        raise TypeError("next_issue must be a list of the records the issue carried")
    return tuple(dict(item) for item in value)


def record_files(corrections_dir: Path, slug: str) -> list[Path]:
    """The entries of ``corrections/<slug>/`` other than the lock and hidden files, by name.

    The one place that decides what counts as a record: counting, reading and appending all
    use it, so a stray folder or link can never make them disagree.
    """
    folder = records_dir(corrections_dir, slug)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name != LOCK_NAME and not p.name.startswith("."))


def read_records(corrections_dir: Path, slug: str, tz: ZoneInfo) -> list[Record]:
    """Every correction record of *slug* in chain order; SourceError for a file that is not a
    valid record. Delivery records (``NNNN-xxxxxxx.sent.yml``) are `toolkit.deliveries`' to read."""
    records = []
    for path in record_files(corrections_dir, slug):
        if DELIVERY_RE.fullmatch(path.name) and path.is_file() and not path.is_symlink():
            continue
        if not RECORD_RE.fullmatch(path.name) or not path.is_file() or path.is_symlink():
            raise SourceError(
                f"'{path.name}' is not a correction record",
                path=path,
                hint="records are files made by `notice correct` (NNNN-xxxxxxx.yml) and `notice sent` "
                "(NNNN-xxxxxxx.sent.yml); move anything else out of corrections/",
            )
        records.append(_parse_record(path, tz))
    return sorted(records, key=lambda r: (r.seq, r.path.name))


@contextlib.contextmanager
def exclusive(cache_dir: Path, slug: str) -> Iterator[None]:
    """Hold the issue's correction lock, so two `notice correct` runs never fork the chain."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f"corrections-{slug}.lock", "a+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)


def load_record_yaml(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    # corrections/<slug>/<file>: a link out of the publication, a FIFO or a huge file is an error.
    raw = read_regular(
        path, root=path.parents[2], hint="records are files made by notice; restore this one from version control"
    )
    data, lines = parse_yaml_mapping(
        decode(raw, path),
        1,
        path,
        what="record",
        hint="records are written by notice; restore this one from version control",
    )
    if not data:
        raise SourceError("this file is empty", path=path, line=1, hint="restore it from version control")
    return data, lines


def read_link(path: Path, cls: type, tz: ZoneInfo) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    """A link of the chain (a correction or a delivery record) read against *cls*'s declared
    fields: its parsed values, the raw mapping its hash is over, and each key's line."""
    data, lines = load_record_yaml(path)
    values, problems = read_mapping(
        cls,
        data,
        tz,
        unknown=lambda key, known: (f"unknown field '{key}'{did_you_mean(key, known)}", RESTORE_HINT),
        missing=lambda key, given: (f"the field '{key}' is missing", RESTORE_HINT),
    )
    if problems:
        key, message, hint = problems[0]
        raise SourceError(message, path=path, line=lines.get(key or "", 1), hint=hint)
    return values, data, lines


def _parse_record(path: Path, tz: ZoneInfo) -> Record:
    values, data, lines = read_link(path, Record, tz)

    def fail(message: str, key: str, hint: str = RESTORE_HINT) -> SourceError:
        return SourceError(message, path=path, line=lines.get(key, 1), hint=hint)

    if canonical_hash(_record_content(data)) != data["hash"]:
        raise fail(
            "this record was edited after it was made: its hash no longer matches",
            "hash",
            "records are append-only: restore it (`git checkout -- FILE`) and add a "
            "new record with `notice correct` instead",
        )
    if not data["hash"].startswith(data["id"]) or path.name != f"{data['seq']:04d}-{data['id']}.yml":
        raise fail("the record's id does not match its hash or its file name", "id")
    return Record(path=path, lines=lines, **values)


def chain_problems(lock: Lock | None, records: list[Record]) -> list[ToolkitError]:
    """Records out of order, missing, or not chained to the one before: an edit or a deletion."""
    problems: list[ToolkitError] = []
    previous = lock.hash if lock else None
    for expected, record in enumerate(records, start=1):
        if record.seq != expected:
            problems.append(
                RecordMissingError(
                    f"record {expected} is missing (found record {record.seq} next): was a record deleted?",
                    path=record.path,
                    line=record.lines.get("seq"),
                    hint="records are append-only: restore the deleted one from version control",
                )
            )
            break
        if previous is not None and record.previous != previous:
            problems.append(
                SourceError(
                    "this record does not follow the one before it: the chain of hashes is broken",
                    path=record.path,
                    line=record.lines.get("previous"),
                    hint="a record before it was edited, replaced or deleted; restore it from version control",
                )
            )
            break
        previous = record.hash
    return problems


def head_name(record: Record) -> str:
    """What `last_correction` says for *record*: its file name without ``.yml``."""
    return f"{record.seq:04d}-{record.id}"


def disappearance_problems(
    issue: Issue, lock: Lock | None, records: list[Record], corrections_dir: Path
) -> list[SourceError]:
    """What the issue says exists and ``corrections/<slug>/`` no longer holds.

    Each record names the one before it, so a deleted record in the middle breaks the chain;
    but the newest record, or the whole folder, can vanish and leave a sound chain behind
    (issue 14). The issue file is the anchor that survives both: its `published:` date says a
    lock exists, its `last_correction:` which record is newest. Call it after `chain_problems`
    found nothing, so *records* run 1, 2, ... without a gap.
    """
    folder = records_dir(corrections_dir, issue.slug)
    head = issue.last_correction  # its form is checked where the issue is read
    problems: list[SourceError] = []
    if lock is None and not issue.is_draft and issue.published is not None:
        error = LockMissingError if not head and not records else RecordMissingError
        problems.append(
            error(
                f"the publication lock is missing, but the issue says it was published on "
                f"{issue.published:%Y-%m-%d %H:%M}",
                path=folder / LOCK_NAME,
                hint="the lock records what readers received: restore it from version control or a backup"
                + (
                    "; if this issue was published by hand and never locked, `notice publish "
                    f"{issue.slug}` locks it now"
                    if error is LockMissingError
                    else ""
                ),
            )
        )
    if not head:
        if records:
            problems.append(
                RecordMissingError(
                    f"the issue does not say which correction record is its last ('{HEAD_FIELD}:'), so a deleted "
                    "record would go unnoticed",
                    path=issue.path,
                    line=1,
                    hint=f"if corrections/{issue.slug}/ holds every record (see `notice history {issue.slug}` and your "
                    f"version control), add the line `{HEAD_FIELD}: {head_name(records[-1])}` to the front-matter",
                )
            )
        return problems
    line = _front_matter_line(issue, HEAD_FIELD)
    match = HEAD_RE.fullmatch(head)
    if match is None:  # refused where the issue is read (source._last_correction)
        return problems
    seq, record_id = int(match[1]), match[2]
    if seq > len(records) or seq < 1:
        missing = [f"{n:04d}" for n in range(len(records) + 1, seq + 1)] or [f"{seq:04d}"]
        what = f"record {missing[0]}" if len(missing) == 1 else f"records {missing[0]} to {missing[-1]}"
        problems.append(
            RecordMissingError(
                f"the issue's last correction is {head}, but corrections/{issue.slug}/ holds "
                f"{len(records)} record{'s' if len(records) != 1 else ''}: {what} "
                f"{'is' if len(missing) == 1 else 'are'} missing, and readers would get the text without "
                f"{'it' if len(missing) == 1 else 'them'} (or, for a delivery record, notice would forget what "
                "was sent)",
                path=issue.path,
                line=line,
                hint=f"records are append-only: restore corrections/{issue.slug}/{head}.yml and any other missing one "
                f"from version control or a backup (a delivery record of `notice sent` is {head}.sent.yml)",
            )
        )
    elif records[seq - 1].id != record_id:
        problems.append(
            RecordMissingError(
                f"the issue's last correction is {head}, but record {seq:04d} is {head_name(records[seq - 1])}: "
                "the records were replaced",
                path=records[seq - 1].path,
                line=1,
                hint="records are append-only: restore the originals from version control or a backup",
            )
        )
    elif seq < len(records):
        problems.append(
            SourceError(
                f"record {head_name(records[-1])} is newer than the issue's last correction ({head})",
                path=issue.path,
                line=line,
                hint=f"a `notice correct` stopped before it could update the issue: set "
                f"`{HEAD_FIELD}: {head_name(records[-1])}` in {issue.path.name}",
            )
        )
    return problems


def _front_matter_line(issue: Issue, key: str) -> int:
    """The line of *key* in the issue's front-matter, for messages (1 if it cannot be read)."""
    try:
        lines = decode(issue.path.read_bytes(), issue.path).split("\n")
    except (OSError, SourceError):
        return 1
    for number, text in enumerate(lines[1:], start=2):
        if FENCE.fullmatch(text):
            break
        if re.match(rf"{re.escape(key)}[ \t]*:", text):
            return number
    return 1


# --- writing -----------------------------------------------------------------------------------


@functools.cache
def _dumper() -> type:
    """SafeDumper writing multi-line text as YAML block scalars, so records and locks diff well
    in git; made on first use, as PyYAML is imported only to read or write YAML (a build whose
    front-matter and records were all parsed before loads none, issue 13)."""
    import yaml  # lazy (see the docstring)

    class _Dumper(yaml.SafeDumper):
        pass

    def str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, str_representer)
    return _Dumper


def dump_yaml(data: dict[str, Any], comment: str) -> bytes:
    import yaml  # lazy (see _dumper)

    text = yaml.dump(data, Dumper=_dumper(), allow_unicode=True, sort_keys=False, width=1000)
    return (comment + text).encode("utf-8")


def write_lock(
    corrections_dir: Path,
    issue: Issue,
    published: dt.datetime,
    next_issue: list[dict[str, Any]] | None = None,
    images: dict[str, str] | None = None,
) -> Path:
    """Record what readers received; never replaces an existing lock. *next_issue*: the block
    of earlier issues' records it carries (`toolkit.next_issue`), None when it has none.
    *images*: each local image's path in the publication -> its sha256, None (or empty) for none."""
    content: dict[str, Any] = locked_content(issue)
    data = {"slug": issue.slug, "published": published.isoformat(), **content}
    if next_issue is not None:
        data["next_issue"] = next_issue
    images = dict(sorted(images.items())) if images else None
    if images is not None:
        data["images"] = images
    data["hash"] = canonical_hash(
        _lock_content(issue.slug, data["published"], content["fields"], content["body"], next_issue, images)
    )
    path = records_dir(corrections_dir, issue.slug) / LOCK_NAME
    try:
        create_exclusive(
            path,
            dump_yaml(
                data,
                "# What readers received when this issue was published.\n"
                "# Written by `notice publish`; never edit it.\n",
            ),
        )
    except FileExistsError:
        raise ToolkitError(f"{path} already exists", hint="an issue is locked once, when first published") from None
    return path


def append_record(
    corrections_dir: Path,
    slug: str,
    *,
    seq: int,
    kind: str,
    date: dt.datetime,
    note: str,
    pending: bool,
    resolves: str | None,
    replaces: list[Replacement],
    previous: str,
    images: dict[str, str] | None = None,
) -> tuple[str, Path]:
    """Create record number *seq* exclusively (call it inside `exclusive`); returns id and path.
    *images*: each local image its note and new text show, path -> sha256 (none: no key)."""
    folder = records_dir(corrections_dir, slug)
    data: dict[str, Any] = {
        "id": "",
        "seq": seq,
        "issue": slug,
        "kind": kind,
        "date": date.isoformat(),
        "pending": pending,
        "resolves": resolves,
        "replaces": [{"original": r.original, "corrected": r.corrected} for r in replaces],
        "note": note,
        **({"images": dict(sorted(images.items()))} if images else {}),
        "previous": previous,
        "hash": "",
    }
    data["hash"] = canonical_hash(_record_content(data))
    data["id"] = data["hash"][:7]
    path = folder / f"{seq:04d}-{data['id']}.yml"
    try:
        create_exclusive(
            path,
            dump_yaml(data, "# A correction record, made by `notice correct`. Append-only: never edit or delete it.\n"),
        )
    except FileExistsError:  # the same record made twice in one instant: refuse, never overwrite
        raise ToolkitError(f"{path} already exists", hint="run `notice history` to see the records") from None
    return data["id"], path


def rewrite_front_matter(path: Path, updates: dict[str, str]) -> None:
    """Set top-level front-matter fields in place, keeping the author's formatting and body."""
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw else "\n"  # keep the author's line endings
    text = raw.replace("\r\n", "\n")
    end = FENCE.search(text, text.index("\n") + 1)
    assert end is not None  # the issue was read successfully before this is called
    head, rest = text[: end.start()], text[end.start() :]
    for key, value in updates.items():
        line = f"{key}: {value}"
        pattern = re.compile(rf"^{re.escape(key)}[ \t]*:.*$", re.MULTILINE)
        head = pattern.sub(line, head, count=1) if pattern.search(head) else head.rstrip("\n") + f"\n{line}\n"
    write_atomic(path, (head + rest).replace("\n", newline).encode("utf-8"))
