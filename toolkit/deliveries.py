"""What went out, and when: delivery records, and which readers still have to hear of a record.

`notice send` only sends test copies; the author's mail service (or LINE's console) sends the
real thing, so the author says what it sent with `notice sent` (issue 12). Each delivery is one
more file of the issue's record chain, ``corrections/<slug>/<seq>-<id>.sent.yml``: created
exclusively, hashed and chained to the record before it exactly as a correction record is
(`toolkit.records`), and named by the issue's ``last_correction:`` line once written. So the one
chain mechanism guards both: a delivery edited by hand breaks its own hash, one removed from the
middle breaks the chain, and the newest one removed (or all of them) no longer matches the
issue's ``last_correction:`` line. No second chain, no second anchor.

A record readers must hear of (the kinds table's *notice*) has gone out on a channel when a
delivery on that channel names it, or when the issue itself first went out on that channel
after the record was made (those readers got the corrected text). The channels it must go out
on are the channels the issue's deliveries name; an issue with no delivery records has none, so
`notice check` says nothing of it (nothing is known of who got what).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import SourceError, ToolkitError, did_you_mean
from .kinds import kind_of, strength
from .output import create_exclusive
from .records import (
    DELIVERY_RE,
    RESTORE_HINT,
    Record,
    canonical_hash,
    date_field,
    dump_yaml,
    read_link,
    record_files,
    seq_field,
    text_field,
)
from .schema import Invalid, declare, declared

#: Where an issue or a notice can go out, in the order they are listed. `web` is not one: the
#: web page shows every record the moment it is built.
CHANNELS: dict[str, str] = {
    "email": "the mail magazine itself (your mail service)",
    "line": "a LINE official account broadcast",
    "x": "a post on X",
    "facebook": "a Facebook page post",
    "bluesky": "a Bluesky post",
    "mastodon": "a Mastodon post",
}
#: The channel of `notice sent` without --channel.
DEFAULT_CHANNEL = "email"


def check_channel(name: str) -> str:
    """*name* if it is a declared channel; a ToolkitError with the nearest one otherwise."""
    if name not in CHANNELS:
        raise ToolkitError(
            f"unknown channel '{name}'{did_you_mean(name, CHANNELS)}", hint=f"channels: {', '.join(CHANNELS)}"
        )
    return name


def _channels(value: Any, key: str, tz: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Invalid("'channels' must be a list of channel names, such as [email, line]", RESTORE_HINT)
    for name in value:
        if name not in CHANNELS:
            raise Invalid(f"unknown channel '{name}'{did_you_mean(name, CHANNELS)}", RESTORE_HINT)
    return tuple(value)


def _ids(value: Any, key: str, tz: Any) -> tuple[str, ...]:
    value = value or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(f"'{key}' must be a list of record ids", RESTORE_HINT)
    return tuple(value)


def _optional(value: Any, key: str, tz: Any) -> str:
    return "" if value is None else text_field(value, key, tz)


@dataclass(frozen=True)
class Delivery:
    """One delivery record, as stored: the issue, or these notices, went out then on those channels."""

    path: Path
    id: str = declare(doc="the first 7 hex digits of `hash`; also in the file name", parse=text_field, required=True)
    seq: int = declare(
        doc="its place in the issue's chain, shared with the correction records", parse=seq_field, required=True
    )
    issue: str = declare(doc="the slug of the issue", parse=text_field, required=True)
    date: dt.datetime = declare(doc="when it went out, with its offset", parse=date_field, required=True)
    channels: tuple[str, ...] = declare(
        (),
        doc="where it went out: `email`, `line`, `x`, `facebook`, `bluesky`, `mastodon`",
        parse=_channels,
        required=True,
    )
    notices: tuple[str, ...] = declare(
        (), doc="the ids of the records whose notice went out; empty: the issue itself", parse=_ids
    )
    combined: str = declare("", doc="the id of the combined notice they went out in, if one", parse=_optional)
    note: str = declare("", doc="the author's words on it, such as the mail service's campaign", parse=_optional)
    previous: str = declare(
        "",
        doc="the hash of the record before it in the chain (the lock's, for the first)",
        parse=text_field,
        required=True,
    )
    hash: str = declare(
        "", doc="sha256 of the record's canonical JSON, without `id` and `hash`", parse=text_field, required=True
    )
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)


DELIVERY_KEYS = tuple(declared(Delivery))


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data.get(key) for key in DELIVERY_KEYS if key not in ("id", "hash")}


def read_deliveries(corrections_dir: Path, slug: str, tz: ZoneInfo) -> list[Delivery]:
    """Every delivery record of *slug*, by seq; SourceError for one edited or damaged."""
    found = [
        _parse(path, tz)
        for path in record_files(corrections_dir, slug)
        if DELIVERY_RE.fullmatch(path.name) and path.is_file() and not path.is_symlink()
    ]
    return sorted(found, key=lambda d: d.seq)


def _parse(path: Path, tz: ZoneInfo) -> Delivery:
    values, data, lines = read_link(path, Delivery, tz)
    try:
        expected = canonical_hash(_content(data))
    except TypeError:  # a value JSON cannot hold: edited by hand
        expected = ""
    if expected != data["hash"]:
        raise SourceError(
            "this delivery record was edited after it was made: its hash no longer matches",
            path=path,
            line=lines.get("hash", 1),
            hint="records are append-only: restore it (`git checkout -- FILE`) and record a "
            "new delivery with `notice sent` instead",
        )
    if not data["hash"].startswith(data["id"]) or path.name != f"{data['seq']:04d}-{data['id']}.sent.yml":
        raise SourceError(
            "the record's id does not match its hash or its file name",
            path=path,
            line=lines.get("id", 1),
            hint=RESTORE_HINT,
        )
    return Delivery(path=path, lines=lines, **values)


def append_delivery(
    corrections_dir: Path,
    slug: str,
    *,
    seq: int,
    date: dt.datetime,
    channels: tuple[str, ...],
    notices: tuple[str, ...],
    combined: str,
    note: str,
    previous: str,
) -> tuple[str, Path]:
    """Create delivery number *seq* exclusively (inside `records.exclusive`); returns id and path."""
    data: dict[str, Any] = {
        "id": "",
        "seq": seq,
        "issue": slug,
        "date": date.isoformat(),
        "channels": list(channels),
        "notices": list(notices),
        "combined": combined,
        "note": note,
        "previous": previous,
        "hash": "",
    }
    data["hash"] = canonical_hash(_content(data))
    data["id"] = data["hash"][:7]
    path = corrections_dir / slug / f"{seq:04d}-{data['id']}.sent.yml"
    try:
        create_exclusive(
            path, dump_yaml(data, "# A delivery record, made by `notice sent`. Append-only: never edit or delete it.\n")
        )
    except FileExistsError:
        raise ToolkitError(f"{path} already exists", hint="run `notice history` to see the records") from None
    return data["id"], path


# --- who has heard of what ---------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeStatus:
    """A record readers must hear of: where its notice went out (channel: first date) and where
    it still has to go."""

    record: Record
    sent: dict[str, dt.datetime]
    missing: tuple[str, ...]
    #: Whether the issue has any delivery record, and so channels.
    known: bool = True

    @property
    def pending(self) -> bool:
        """Not yet out on every channel, or (no channel known) never recorded as out at all."""
        return bool(self.missing) or not self.known and not self.sent

    def pending_on(self, channel: str | None) -> bool:
        """`pending`, on *channel* only when one is given."""
        if channel is None:
            return self.pending
        return channel in self.missing or not self.known and not self.sent


def issue_channels(deliveries: list[Delivery]) -> tuple[str, ...]:
    """The channels the issue's readers are on: every channel any delivery of it names."""
    named = {c for d in deliveries for c in d.channels}
    return tuple(c for c in CHANNELS if c in named)


def notice_status(records: list[Record], deliveries: list[Delivery]) -> list[NoticeStatus]:
    """The status of every record that sends a notice, in chain order."""
    channels = issue_channels(deliveries)
    first_issue: dict[str, dt.datetime] = {}
    for d in deliveries:
        if not d.notices:
            for c in d.channels:
                first_issue[c] = min(first_issue.get(c, d.date), d.date)
    out = []
    for record in records:
        if not record.notify:
            continue
        sent: dict[str, dt.datetime] = {}
        for d in deliveries:
            if record.id in d.notices:
                for c in d.channels:
                    sent[c] = min(sent.get(c, d.date), d.date)
        # Readers on a channel the issue first reached after the record was made got the corrected text.
        missing = tuple(
            c for c in channels if c not in sent and not (c in first_issue and first_issue[c] > record.date)
        )
        ordered = {c: sent[c] for c in CHANNELS if c in sent}
        out.append(NoticeStatus(record, ordered, missing, known=bool(deliveries)))
    return out


def pending_records(records: list[Record], deliveries: list[Delivery], channel: str | None = None) -> list[Record]:
    """The records whose notice has not gone out everywhere (on *channel*, if given), strongest
    kind first (a correction before a clarification of the same strength: it apologises), then
    oldest first."""
    waiting = [s.record for s in notice_status(records, deliveries) if s.pending_on(channel)]
    return sorted(waiting, key=lambda r: (-strength(r.kind), not kind_of(r.kind).apology, r.date, r.seq))


def combined_id(record_ids: list[str]) -> str:
    """The id of the one notice for these records: 7 hex digits of a hash of the sorted ids, so
    the same records give the same id on every export, whatever their order."""
    return hashlib.sha256(("combined\0" + "\0".join(sorted(record_ids))).encode()).hexdigest()[:7]


def combined_records(cid: str, records: list[Record], deliveries: list[Delivery]) -> list[Record] | None:
    """The records of combined notice *cid*, or None if no export could have made it.

    The chain is append-only, so any export was made when the chain was one of its prefixes:
    the combined notice of each prefix's pending records is every id an export could have given.
    """
    chain: list[Any] = sorted([*records, *deliveries], key=lambda r: r.seq)
    for end in range(len(chain), -1, -1):
        seqs = {r.seq for r in chain[:end]}
        for channel in (None, *CHANNELS):  # `export --pending-notices [--channel C]`
            pending = pending_records(
                [r for r in records if r.seq in seqs], [d for d in deliveries if d.seq in seqs], channel
            )
            if pending and combined_id([r.id for r in pending]) == cid:
                return pending
    return None
