"""The built email as one message file: ``<out>/<slug>/message.eml``, ready for an MTA or a mail service.

multipart/alternative (text first, HTML second, as RFC 2046 orders them: the last part is the
preferred one), with the newsletter headers of RFC 2369, RFC 2919 and RFC 8058. ``Date:`` is the
time of the export (issue 10: a Date days before delivery costs DATE_IN_PAST_96_XX, +2.6 in
SpamAssassin); with ``SOURCE_DATE_EPOCH`` set (reproducible-builds.org) it is that time, and the
file is byte-identical on every export: a Message-ID from the slug and the sender's domain, and a
MIME boundary from a hash of the content. It is made with the email package's compat32 API because
only that API lets headers be encoded in a charset other than UTF-8 (ISO-2022-JP, RFC 1468).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.policy
import hashlib
import os
import quopri
import re
import unicodedata
from dataclasses import dataclass, field, replace
from email.header import Header
from email.message import Message
from email.policy import Policy
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from .build import build
from .config import Config, line_of
from .deliveries import check_channel, combined_id, pending_records
from .errors import BuildError, ConfigError, Diagnostic, ToolkitError, unique, warning
from .issue_state import IssueState, load_issue, subject_of
from .limits import MAX_LINE
from .output import BuildCache, write_atomic
from .render import IssueRenderer, notice_subject
from .services import is_tag
from .source import confine

MESSAGE_NAME = "message.eml"


@dataclass(frozen=True)
class Headers:
    """What a message says about itself, apart from its parts."""

    subject: str
    sender_name: str
    sender_email: str
    date: dt.datetime
    message_id: str
    lang: str
    unsubscribe_url: str = ""
    unsubscribe_mailto: str = ""
    in_reply_to: str = ""
    list_name: str = ""
    list_id: str = ""


@dataclass
class Export:
    """What `export` wrote: the issue's message and one per correction notice (by record id)."""

    slug: str
    message: Path
    notices: dict[str, Path] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)
    #: Built under .notice-cache/ (a draft), not into the output folder.
    private: bool = False
    #: `--pending-notices`: the combined notice's id, its records (strongest first) and message.
    combined: str = ""
    combined_records: list[Any] = field(default_factory=list)
    #: What `export -v` says the headers leave to the mail service.
    notes: list[str] = field(default_factory=list)


def export(
    config: Config,
    slug: str,
    *,
    now: dt.datetime | None = None,
    pending_notices: bool = False,
    channel: str | None = None,
) -> Export:
    """Build issue *slug*, then write message.eml beside its email and beside each notice; with
    *pending_notices*, only one combined notice of every record whose notice has not gone out
    (issue 12; on *channel*, if given), in ``corrections/combined-<id>/``.

    Every message is dated *now* (the export, which `send` runs just before sending); the
    issue's own date stays in the body."""
    sender = check_sender(config)
    date = now or export_time(config)
    where = private_build(config, slug, "export")
    report = build(config, slugs=[slug], **where)
    if report.errors:
        raise BuildError(report.errors)
    state = report.states[slug]
    issue, folder = state.issue, report.out_dir / slug
    original_id = message_id(config, slug)
    # A service's unsubscribe tag is no URI for List-Unsubscribe: the service writes that header itself.
    unsubscribe = (
        "" if is_tag(config.publication.unsubscribe_url, config.service) else config.publication.unsubscribe_url
    )
    headers = Headers(
        subject_of(state, config),
        config.publication.sender_name,
        sender,
        date,
        original_id,
        issue.lang,
        unsubscribe,
        config.publication.unsubscribe_mailto,
        list_name=config.publication.name,
        list_id=list_id(sender),
    )
    result = Export(
        slug,
        folder / MESSAGE_NAME,
        warnings=unique([*report.warnings, *unsubscribe_warnings(config)]),
        private=bool(where),
        notes=unsubscribe_notes(config),
    )
    if pending_notices:
        messages = combined_message(config, state, folder, headers, result, channel)
    else:
        messages = {result.message: message_in(config, state, folder, headers)}
    for record in (r for r in state.records if r.notify and not pending_notices):
        notice = Headers(
            notice_subject(record, issue),
            headers.sender_name,
            sender,
            date,
            message_id(config, slug, record.id),
            issue.lang,
            headers.unsubscribe_url,
            headers.unsubscribe_mailto,
            in_reply_to=original_id,
            list_name=headers.list_name,
            list_id=headers.list_id,
        )
        notice_folder = folder / "corrections" / record.id
        result.notices[record.id] = notice_folder / MESSAGE_NAME
        messages[notice_folder / MESSAGE_NAME] = message_in(config, state, notice_folder, notice, [record.path])
    for path in messages:  # an unchanged issue's folder may have been swapped for a link since (issue 14)
        confine(
            path.parent,
            report.out_dir,
            ToolkitError,
            action=f"write {MESSAGE_NAME}",
            root_name="the output folder",
            hint="delete the link and build again: the build makes the folder itself",
        )
    files = {path.relative_to(report.out_dir).as_posix(): data for path, data in messages.items()}
    cache = BuildCache.load(config.cache_dir)
    cache.journal(report.out_dir, slug, files)  # known before written: a rebuild removes them
    for path, data in messages.items():  # all or nothing: one bad notice writes no message at all
        write_atomic(path, data)
    cache.add_files(report.out_dir, slug, files)
    cache.save()
    return result


def combined_message(
    config: Config, state: IssueState, folder: Path, headers: Headers, result: Export, channel: str | None = None
) -> dict[Path, bytes]:
    """The combined notice's email.html, email.txt and message.eml, by path; a ToolkitError when
    no notice is pending. Threaded to the issue as a single notice is (RFC 5322 3.6.4)."""
    records = pending_records(state.records, state.deliveries, channel and check_channel(channel))
    slug = state.issue.slug
    if not records:
        where = f"on {channel}" if channel else "on every channel"
        raise ToolkitError(
            f"no notice of {slug} is pending: every record's notice has gone out {where}",
            hint=f"`notice history {slug}` shows where each went out",
        )
    cid = combined_id([r.id for r in records])
    notice_folder = folder / "corrections" / f"combined-{cid}"
    rendered = IssueRenderer(config).combined_notice(state, records, f"corrections/combined-{cid}")
    # What the sanitizer removed: said by the build already, for the single notices; once is enough.
    result.warnings = unique([*result.warnings, *(Diagnostic.of(w, severity="warning") for w in rendered.warnings)])
    files = {folder / name: data for name, data in rendered.items()}
    notice = replace(
        headers,
        subject=notice_subject(records[0], state.issue),
        message_id=message_id(config, slug, cid),
        in_reply_to=headers.message_id,
    )
    text, html = (files[notice_folder / name].decode("utf-8") for name in ("email.txt", "email.html"))
    files[notice_folder / MESSAGE_NAME] = compose_checked(
        config, state, notice_folder, notice, text, html, [r.path for r in records]
    )
    result.combined, result.combined_records = cid, records
    result.notices[cid] = notice_folder / MESSAGE_NAME
    result.message = notice_folder / MESSAGE_NAME
    return files


def private_build(config: Config, slug: str, purpose: str) -> dict[str, Any]:
    """Where a command builds issue *slug*: a draft privately, under .notice-cache/PURPOSE/
    (never into the output folder, which is published; issue 9), a published one as usual."""
    try:
        draft = load_issue(config, slug).is_draft
    except ToolkitError:
        return {}  # unknown or unreadable: the build says what is wrong
    return {"out_dir": config.cache_dir / purpose, "drafts": True} if draft else {}


def message_in(
    config: Config, state: IssueState, folder: Path, headers: Headers, sources: list[Path] | None = None
) -> bytes:
    """The message made of the email.txt and email.html the build wrote in *folder*."""
    text = (folder / "email.txt").read_text(encoding="utf-8")
    html = (folder / "email.html").read_text(encoding="utf-8")
    return compose_checked(config, state, folder, headers, text, html, sources)


def compose_checked(
    config: Config,
    state: IssueState,
    folder: Path,
    headers: Headers,
    text: str,
    html: str,
    sources: list[Path] | None = None,
) -> bytes:
    """The message of *text* and *html*, once the charset is known to carry them."""
    charset = config.email.charset.lower()
    where = [*(sources or []), state.issue.path, config.path]
    check_charset(text, charset, folder / "email.txt", where)
    check_charset(headers.subject, charset, state.issue.path, where, what="the subject")
    check_charset(headers.sender_name, charset, config.path, [config.path], what="sender_name")
    return compose(headers, text, html, charset, text_only=config.email.format.lower() == "text")


def check_sender(config: Config) -> str:
    """sender_email, which From, the envelope and every Message-ID's domain need."""
    sender = config.publication.sender_email.strip()
    if not sender:
        raise ConfigError(
            "sender_email is not set: a message needs a From address",
            path=config.path,
            line=_line_of(config.path, "sender_email"),
            hint='add it under [publication], e.g. sender_email = "letter@example.com"',
        )
    for name in ("unsubscribe_url", "unsubscribe_mailto"):
        value = getattr(config.publication, name)
        if is_tag(value, config.service):
            continue  # the mail service puts a URL there, per reader
        if not value.isascii() or any(c in value for c in ' <>"'):
            raise ConfigError(
                f"{name} must be a URL of plain ASCII, without spaces or <>",
                path=config.path,
                line=_line_of(config.path, name),
                hint="percent-encode other characters (%E3%81%82...) as a browser does",
            )
    return sender


def export_time(config: Config) -> dt.datetime:
    """Now, in the publication's time zone, to the second; or ``SOURCE_DATE_EPOCH`` when it is
    set, the reproducible-builds convention (https://reproducible-builds.org/specs/source-date-epoch/),
    so a fixed value gives byte-identical messages."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None:
        return dt.datetime.now(config.tz).replace(microsecond=0)
    if not epoch.strip().isdigit():  # the spec: a malformed value SHOULD stop the build
        raise ToolkitError(
            f"SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds",
            hint="set it to a Unix time such as 1700000000, or unset it to date messages now",
        )
    try:
        return dt.datetime.fromtimestamp(int(epoch), tz=config.tz)
    except (OverflowError, OSError, ValueError):
        raise ToolkitError(
            f"SOURCE_DATE_EPOCH '{epoch}' is out of range", hint="set it to a Unix time such as 1700000000"
        ) from None


def list_id(sender: str) -> str:
    """RFC 2919's list identifier, ``letter.example.jp`` for letter@example.jp: a name under
    the sender's own domain, the same on every issue, so filters and clients can group them."""
    local, _, domain = sender.lower().partition("@")
    return f"{local}.{domain}"


def message_id(config: Config, slug: str, record_id: str = "") -> str:
    """``<slug.HASH@domain>``: the same on every export, so a notice can refer to the original
    (In-Reply-To) and a re-export is byte-identical."""
    domain = config.publication.sender_email.rpartition("@")[2].lower()
    key = hashlib.sha256(f"{slug}\0{record_id}\0{domain}".encode()).hexdigest()[:16]
    return f"<{slug}.{record_id + '.' if record_id else ''}{key}@{domain}>"


def unsubscribe_notes(config: Config) -> list[str]:
    """Why the message has no List-Unsubscribe: the mail service adds the link and its headers."""
    service = config.service
    if config.publication.unsubscribe_url or not (service and service.adds_unsubscribe):
        return []
    return [
        f"no List-Unsubscribe header: {service.label} adds its own unsubscribe link to every message, "
        "and only it knows each reader's URL for that header"
    ]


def unsubscribe_warnings(config: Config) -> list[Diagnostic]:
    """Gmail and Yahoo require one-click unsubscribe (RFC 8058) of bulk senders since 2024."""
    url = config.publication.unsubscribe_url
    if url.startswith("https://") or is_tag(url, config.service):  # a service writes its own headers
        return []
    service = config.service
    if not url and service and service.adds_unsubscribe:
        # The service adds the link, so only it knows each reader's URL, and a List-Unsubscribe
        # (RFC 2369) or one-click (RFC 8058) header names that URL: it is the service's to write
        # when it sends. This message, with none, is for reference; the service's form takes the
        # HTML and the text (`export --for`), never headers.
        return []
    why = "no unsubscribe_url" if not url else f"unsubscribe_url '{url}' is not https"
    return [
        warning(
            f"{why}: the message has no one-click unsubscribe (List-Unsubscribe-Post)",
            path=config.path,
            line=_line_of(config.path, "unsubscribe_url"),
            hint='set unsubscribe_url = "https://..." under [publication]; Gmail '
            "and Yahoo require one-click unsubscribe of bulk senders",
        )
    ]


# --- composing ---------------------------------------------------------------------------------


def compose(headers: Headers, text: str, html: str, charset: str = "utf-8", *, text_only: bool = False) -> bytes:
    """The whole message as bytes, CRLF line ends (as SMTP carries it), lines under 998 octets.
    *text_only*: one text/plain part, as a text-only mail magazine sends ([email] format = "text")."""
    policy = email.policy.compat32.clone(linesep="\r\n")
    parts = [_part("plain", text, charset, policy)] + ([] if text_only else [_part("html", html, charset, policy)])
    msg = Message(policy=policy)
    name = headers.sender_name.strip()
    msg["From"] = formataddr((name, headers.sender_email), charset=charset) if name else headers.sender_email
    subject = " ".join(headers.subject.split())  # a title never needs a line break in a header
    # email.message takes a Header object for an encoded word (typeshed says str only).
    msg["Subject"] = subject if subject.isascii() else Header(subject, charset, header_name="Subject")  # type: ignore[assignment]
    msg["Date"] = format_datetime(headers.date)
    msg["Message-ID"] = headers.message_id
    if headers.in_reply_to:  # RFC 5322 3.6.4: a notice is a reply to the issue it corrects
        msg["In-Reply-To"] = headers.in_reply_to
        msg["References"] = headers.in_reply_to
    msg["MIME-Version"] = "1.0"
    msg["Content-Language"] = headers.lang
    if headers.list_id:  # RFC 2919: the phrase names the publication, encoded as the From name is
        name = " ".join(headers.list_name.split())
        msg["List-Id"] = formataddr((name, headers.list_id), charset=charset) if name else f"<{headers.list_id}>"
    unsubscribe = [f"<{uri}>" for uri in (headers.unsubscribe_url, headers.unsubscribe_mailto) if uri]
    if unsubscribe:  # RFC 2369; RFC 8058 one-click needs an https URI
        msg["List-Unsubscribe"] = ", ".join(unsubscribe)
    if headers.unsubscribe_url.startswith("https://"):
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if text_only:
        (part,) = parts
        msg["Content-Type"] = part["Content-Type"]
        msg["Content-Transfer-Encoding"] = part["Content-Transfer-Encoding"]
        msg.set_payload(part.get_payload())
    else:
        msg["Content-Type"] = f'multipart/alternative; boundary="{_boundary(parts, headers)}"'
        for part in parts:
            msg.attach(part)
    data = msg.as_bytes(policy=policy)
    header = ""
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):  # only a header can be this long
        if not line[:1].isspace():
            header = line.split(b":", 1)[0].decode("ascii", "replace")  # a folded line continues it
        if len(line) > MAX_LINE:
            raise ToolkitError(
                f"the {header} header has a line over {MAX_LINE} octets, which mail cannot carry",
                hint="shorten it: a very long word in the title (Subject) or a URL in notice.toml",
            )
    return data


def _part(subtype: str, text: str, charset: str, policy: Policy) -> Message:
    """One text part. UTF-8: quoted-printable or base64, whichever is shorter. ISO-2022-JP: 7bit,
    as old Japanese clients expect; base64 only if a line would pass 998 octets. The HTML part
    turns what ISO-2022-JP cannot carry (the preheader's U+200C padding) into character references."""
    errors = "xmlcharrefreplace" if subtype == "html" else "strict"
    if subtype == "html":
        text = declare_charset(text, charset)
    raw = text.replace("\r\n", "\n").encode(charset, errors)
    canonical = raw.replace(b"\n", b"\r\n")  # RFC 2046 4.1.1: CRLF line breaks before encoding
    if charset == "utf-8":
        qp = quopri.encodestring(raw).decode("ascii")
        b64 = base64.encodebytes(canonical).decode("ascii")
        cte, body = ("quoted-printable", qp) if len(qp) <= len(b64) else ("base64", b64)
    elif max((len(line) for line in raw.split(b"\n")), default=0) <= MAX_LINE:
        cte, body = "7bit", raw.decode("ascii")
    else:
        cte, body = "base64", base64.encodebytes(canonical).decode("ascii")
    part = Message(policy=policy)
    part["Content-Type"] = f'text/{subtype}; charset="{charset}"'
    part["Content-Transfer-Encoding"] = cte
    part.set_payload(body)
    return part


_META_CHARSET = re.compile(
    r"""(<meta\s+charset\s*=\s*["']?|<meta\s[^>]*?content\s*=\s*["'][^"']*?charset=)"""
    r"""utf-8""",
    re.IGNORECASE,
)


def declare_charset(html: str, charset: str) -> str:
    """The HTML part's own ``<meta charset>`` naming the part's charset: saved from a mail
    client and opened alone, an ISO-2022-JP part that said utf-8 would be mojibake (issue 10)."""
    return html if charset == "utf-8" else _META_CHARSET.sub(lambda m: m[1] + charset, html, count=1)


def _boundary(parts: list[Message], headers: Headers) -> str:
    """A boundary from a hash of the content: stable across exports, and in no part."""
    digest = hashlib.sha256(headers.message_id.encode())
    for part in parts:
        digest.update(str(part.get_payload()).encode("ascii"))  # each part is a leaf: its payload is text
    boundary = f"=_{digest.hexdigest()[:40]}"
    while any(boundary in part.get_payload() for part in parts):
        boundary = f"=_{hashlib.sha256(boundary.encode()).hexdigest()[:40]}"
    return boundary


# --- what ISO-2022-JP cannot carry -------------------------------------------------------------


def check_charset(text: str, charset: str, path: Path, sources: list[Path], what: str = "") -> None:
    """Raise for the first character *charset* cannot encode, naming it and its line in *path*
    (a header, *what*, is shown where it is written: the first of *sources* that holds it).

    ISO-2022-JP carries JIS X 0208 only: no emoji, no 髙 or ①, no half-width katakana, and not
    Windows' ～ (U+FF5E; JIS has 〜, U+301C)."""
    if charset == "utf-8":
        return
    for number, line in enumerate(text.splitlines(), start=1):
        bad = next((char for char in line if not _encodes(char, charset)), None)
        if bad is None:
            continue
        name = unicodedata.name(bad, "")
        shown = f"'{bad}' (U+{ord(bad):04X}{' ' + name if name else ''})"
        found = next(((source, n) for source in sources for n, written in _numbered(source) if bad in written), None)
        hint = f'set [email] charset = "utf-8" in notice.toml (every current mail client reads it), or replace {shown}'
        if what:
            where = found or (path, None)
            raise ToolkitError(
                f"{what} has {shown}, which {charset.upper()} cannot carry", path=where[0], line=where[1], hint=hint
            )
        if found:
            hint += f" where it is written ({found[0].name}:{found[1]})"
        raise ToolkitError(f"{shown} cannot be carried by {charset.upper()}", path=path, line=number, hint=hint)


def _encodes(char: str, charset: str) -> bool:
    try:
        char.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def _numbered(path: Path) -> list[tuple[int, str]]:
    try:
        return list(enumerate(path.read_text(encoding="utf-8").splitlines(), start=1))
    except (OSError, UnicodeDecodeError):
        return []


def _line_of(path: Path, key: str) -> int | None:
    """The line of ``key =`` in [publication] of notice.toml at *path*, else of [publication]
    itself (where a missing key goes), as `check` reports them."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return line_of(text, "publication", key) or line_of(text, None, "publication")
