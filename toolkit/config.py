"""notice.toml: find it, read it, and turn it into one typed, validated `Config`.

Every problem in the file is collected and reported at once (as MkDocs does), each with its
line, so an author fixes them in one pass. Each key is declared once, below, with its default
(which gives its type), its checks and its one-line doc (`setting`); the README's table of keys
is compared with these declarations by tests/test_schema.py.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError, did_you_mean
from .inline import ENGINES as INLINERS
from .kinds import LEVELS
from .limits import IMAGE_KB
from .root import CACHE_NAME, CONFIG_NAME
from .schema import Invalid, declare, declared, read_mapping
from .services import CHOICES as SERVICES
from .services import Service, service_for
from .source import LANG_RE, decode, read_regular
from .utm import FIELDS as UTM_FIELDS
from .utm import KEYS as UTM_KEYS

#: What an output folder may never be, or be inside of: a build would overwrite the author's files.
RESERVED = ("issues", "corrections", "templates", CACHE_NAME, CONFIG_NAME, ".git")


def setting(
    default: Any = None,
    doc: str = "",
    *checks: Callable[[Any, str], None],
    factory: Callable[[], Any] | None = None,
    example: str = "",
) -> Any:
    """A notice.toml key: its default (which gives its type), its doc and its checks.

    Each check takes ``(value, key)`` and raises `Invalid`; they run in order once the type
    is right, so a check may rely on it.
    """
    expected = type(default if factory is None else factory())
    example = example or (f'"{default}"' if isinstance(default, str) else str(default).lower())

    def parse(value: Any, key: str, section: str) -> Any:
        # bool is an int in Python; a TOML `true` for text_width is still the wrong type.
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise Invalid(
                f"'{key}' in [{section}] must be {_type_name(expected)}, not {_type_name(type(value))}",
                f"for example: {key} = {example}",
            )
        for check in checks:
            check(value, key)
        return value

    return declare(default if factory is None else dataclasses.MISSING, doc=doc, parse=parse, factory=factory)


# --- the checks beyond the type ------------------------------------------------------------------


def _one_line(value: str, key: str) -> None:
    if re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", value):
        # These values go into mail headers, where a line break would start a new header;
        # str.splitlines() also breaks at NEL (U+0085) and U+2028/U+2029.
        raise Invalid(
            f"'{key}' contains a line break or another control character", "write it on one line, without tabs"
        )


#: Loosely an address: what smtplib can send to without SMTPUTF8, and no name or <> around it;
#: sending's and export's test, kept here so that notice.toml is checked by it when it is read.
ADDRESS_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")


def _address(value: str, key: str) -> None:
    """A setting that is an email address, when set (a test campaign found ``not-an-email``
    built and checked without a word, and refused only by `notice export`)."""
    _one_line(value, key)
    if value.strip() and not ADDRESS_RE.fullmatch(value.strip()):
        raise Invalid(f"'{key}' is not an email address: '{value}'", 'write it as "letter@example.com"')


def _timezone(value: str, key: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a folder of zones
        raise Invalid(f"unknown time zone '{value}'", 'use an IANA name such as "Asia/Tokyo" or "UTC"') from None


def _base_url(value: str, key: str) -> None:
    if value and not re.match(r"https?://[^/]+", value):
        raise Invalid(
            f"base_url '{value}' is not an http(s) URL", 'for example: base_url = "https://example.com/letter/"'
        )


def _absolute_url(value: str, key: str) -> None:
    if value and not re.match(r"https?://[^/]+", value):
        raise Invalid(
            f"{key} '{value}' is not an absolute http(s) URL", f'for example: {key} = "https://example.com/policy"'
        )


def _lang(value: str, key: str) -> None:
    if not LANG_RE.fullmatch(value):
        raise Invalid(f"lang '{value}' is not a language tag", 'use a BCP 47 tag such as "ja" or "en"')


def _mailto(value: str, key: str) -> None:
    if value and not value.startswith("mailto:"):
        raise Invalid(
            f"unsubscribe_mailto '{value}' must start with mailto:",
            'for example: unsubscribe_mailto = "mailto:unsubscribe@example.com?subject=unsubscribe"',
        )


def _text_width(value: int, key: str) -> None:
    if not 20 <= value <= 998:
        raise Invalid(
            f"text_width must be between 20 and 998, not {value}",
            "70 columns (35 Japanese characters) is the usual width",
        )


def _one_of(choices: tuple[str, ...], what: str, fold: bool = False) -> Callable[[str, str], None]:
    def check(value: str, key: str) -> None:
        word = value.lower() if fold else value
        if word not in choices:
            raise Invalid(
                f"unknown {what} '{value}'{did_you_mean(word, choices)}", f"choose one of: {', '.join(choices)}"
            )

    return check


def _out(value: str, key: str) -> None:
    out = Path(value)
    if not value or out.is_absolute() or ".." in out.parts or not out.parts or out.parts[0] in RESERVED:
        raise Invalid(
            f"out '{value}' must be a new folder inside the publication",
            'for example: out = "build"; use `notice build --out DIR` to build elsewhere',
        )


def _placement(value: str, key: str) -> None:
    if value not in PLACEMENTS:
        raise Invalid(f'placement must be "top" or "bottom", not "{value}"', 'for example: placement = "top"')


def _markers(value: dict[str, Any], key: str) -> None:
    for lang, table in value.items():
        if not isinstance(table, dict):
            raise Invalid(
                f"markers.{lang} must be a table of markers",
                f'write [corrections.markers.{lang}] then corrected = "..."',
            )
        for level, marker in table.items():
            if level not in MARKER_LEVELS:
                raise Invalid(
                    f"unknown marker '{level}' in [corrections.markers.{lang}]{did_you_mean(level, MARKER_LEVELS)}",
                    f"markers are {', '.join(MARKER_LEVELS)}, each a string",
                )
            if not isinstance(marker, str):
                raise Invalid(
                    f"marker '{level}' in [corrections.markers.{lang}] must be a string",
                    f"markers are {', '.join(MARKER_LEVELS)}, each a string",
                )


def _utm(value: dict[str, Any], key: str) -> None:
    for name, text in value.items():
        if name not in UTM_KEYS:
            raise Invalid(
                f"unknown key '{name}' in [email.utm]{did_you_mean(name, UTM_KEYS)}",
                f"keys are {', '.join(UTM_KEYS)}, each a string",
            )
        if not isinstance(text, str) or not text.strip():
            raise Invalid(
                f"'{name}' in [email.utm] must be a non-empty string", 'for example: campaign = "issue-{number}"'
            )
        fields = re.findall(r"\{([^{}]*)\}", text)
        if any(f not in UTM_FIELDS for f in fields) or re.sub(r"\{[^{}]*\}", "", text).count("{") + re.sub(
            r"\{[^{}]*\}", "", text
        ).count("}"):
            raise Invalid(
                f"'{name}' in [email.utm] may name only {{slug}} and {{number}}: '{text}'",
                'for example: campaign = "{slug}"',
            )


def _rule_ids(value: list[Any], key: str) -> None:
    if not all(isinstance(rule, str) for rule in value):
        raise Invalid("disable must be a list of rule ids", 'for example: disable = ["preheader-missing"]')


# --- the sections ------------------------------------------------------------------------------

MARKER_LEVELS = LEVELS
PLACEMENTS = ("top", "bottom")
CHARSETS = ("utf-8", "iso-2022-jp")
FORMATS = ("html", "text")


@dataclass(frozen=True)
class PublicationSettings:
    """[publication]: who sends the issues and where they live on the web."""

    name: str = setting("My newsletter", "shown in every email's masthead", _one_line)
    lang: str = setting("en", "default language of issues", _one_line, _lang)
    base_url: str = setting(
        "", "where the output is published; links are made absolute against it", _one_line, _base_url
    )
    timezone: str = setting("UTC", "IANA time zone name; dates without an offset are read in it", _one_line, _timezone)
    sender_name: str = setting("", "the sender's name, which the law asks for", _one_line)
    sender_email: str = setting("", "the sender's address: `From` of exported messages", _address)
    postal_address: str = setting("", "a postal address, which the law asks for", _one_line)
    unsubscribe_url: str = setting(
        "", "a way to stop the mail: linked in every email and in `List-Unsubscribe`", _one_line
    )
    unsubscribe_mailto: str = setting("", "optional `mailto:...` added to `List-Unsubscribe`", _one_line, _mailto)
    contact: str = setting(
        "",
        "where readers send complaints and questions (an address, a phone number or a URL), "
        "which 特定電子メール法 asks for; `sender_email` serves when it is empty",
        _one_line,
    )


@dataclass(frozen=True)
class BuildSettings:
    """[build]: where outputs go and how they are made."""

    out: str = setting("build", "output folder, inside the publication", _out)
    text_width: int = setting(70, "plain-text width in display columns (20 to 998)", _text_width)
    inliner: str = setting(
        "premailer", "`premailer` or `css-inline` (a fast Rust inliner)", _one_of(INLINERS, "inliner")
    )


@dataclass(frozen=True)
class CorrectionsSettings:
    """[corrections]: where the errata go, and the title markers per language
    (``[corrections.markers.ja] corrected = "【訂正あり】"``) over the built-in ones."""

    placement: str = setting("top", "errata above the body (`top`) or below it (`bottom`)", _placement)
    markers: dict[str, dict[str, str]] = setting(
        None,
        "title markers per language over the built-in ones: `retracted`, `corrected`, `updated`",
        _markers,
        factory=dict,
        example='{ ja = { corrected = "【訂正あり】" } }',
    )
    in_next_issue: bool = setting(
        False,
        "the next issue published after a record carries it in a block "
        "(前号までの訂正・追記 / Corrections since the last issue), locked with that issue",
    )


@dataclass(frozen=True)
class EmailSettings:
    """[email]: how messages are encoded for `notice export` and `notice send`."""

    charset: str = setting(
        "utf-8", "`utf-8` or `iso-2022-jp` (for old Japanese mail clients)", _one_of(CHARSETS, "charset", fold=True)
    )
    format: str = setting(
        "html",
        "`html` (text and HTML parts) or `text` (one text/plain part: a text-only mail magazine)",
        _one_of(FORMATS, "format", fold=True),
    )
    service: str = setting(
        "none",
        "the mail service that sends it, whose merge tags pass through untouched: "
        "`mailchimp`, `brevo`, `sendgrid`, `listmonk`, `myasp`, `benchmark`, `custom` or `none`",
        _one_of(SERVICES, "service", fold=True),
    )
    unsubscribe_tag: str = setting(
        "", "the service's unsubscribe tag, for `custom` (or over a service's own)", _one_line
    )
    name_tag: str = setting("", "the service's recipient-name tag, for `custom` (or over a service's own)", _one_line)
    adds_unsubscribe: bool = setting(
        False,
        "for `custom`: the service adds its own unsubscribe link to every message, so `unsubscribe_url` "
        "may stay empty (`benchmark` always does)",
    )
    utm: dict[str, str] = setting(
        None,
        "UTM parameters for the email's outbound links: `source`, `medium`, "
        "`campaign` (which may name `{slug}` and `{number}`)",
        _utm,
        factory=dict,
        example='{ source = "newsletter", medium = "email", campaign = "{slug}" }',
    )


@dataclass(frozen=True)
class CheckSettings:
    """[check]: rules of `notice check` switched off, by id."""

    disable: list[str] = setting(
        None, "rule ids of `notice check` to switch off", _rule_ids, factory=list, example='["preheader-missing"]'
    )


def _positive(value: int, key: str) -> None:
    if value < 1:
        raise Invalid(f"'{key}' must be a positive whole number, not {value}", f"for example: {key} = 20")


def _tagging_entity(value: str, key: str) -> None:
    # RFC 4151: taggingEntity = authorityName "," date; a domain or an email address you own.
    if value and not re.fullmatch(r"[A-Za-z0-9.@-]+,\d{4}(-\d{2}(-\d{2})?)?", value):
        raise Invalid(
            f"tag '{value}' is not a domain (or email address) and a date",
            'for example: tag = "letter.example.jp,2018" (a domain you owned then; RFC 4151)',
        )


def _shares(value: list[Any], key: str) -> None:
    for name in value:
        if not isinstance(name, str) or name not in SHARE_NETWORKS:
            word = name if isinstance(name, str) else repr(name)
            raise Invalid(
                f"unknown share network '{word}'{did_you_mean(str(word), SHARE_NETWORKS)}",
                f"choose from: {', '.join(SHARE_NETWORKS)}",
            )


#: The networks `[web] share` knows, each a plain link to its share URL (no scripts).
SHARE_NETWORKS = ("line", "x", "facebook", "hatena")
SCHEMA_TYPES = ("BlogPosting", "NewsArticle")


@dataclass(frozen=True)
class FeedSettings:
    """[feed]: the Atom and JSON feeds of the published issues."""

    entries: int = setting(20, "how many of the newest issues the feeds carry", _positive)
    tag: str = setting(
        "",
        "the feeds' identity (RFC 4151): a domain or email you own and a date, set once, "
        "e.g. `letter.example.jp,2018`; default: sender_email's domain and the first issue's year",
        _one_line,
        _tagging_entity,
    )


@dataclass(frozen=True)
class WebSettings:
    """[web]: what web.html tells people and machines beyond the issue itself."""

    schema_type: str = setting(
        "BlogPosting",
        "the schema.org type of each issue: `BlogPosting` or `NewsArticle`",
        _one_of(SCHEMA_TYPES, "schema_type"),
    )
    corrections_policy_url: str = setting(
        "", "your corrections policy: linked in the footer and in JSON-LD", _one_line, _absolute_url
    )
    share: list[str] = setting(
        None,
        "share links on web.html: `line`, `x`, `facebook`, `hatena`",
        _shares,
        factory=list,
        example='["line", "hatena"]',
    )


def _line_chars(value: int, key: str) -> None:
    # LINE's Messaging API refuses a text message over 5,000 characters (its reference, "Text
    # message": `text`, max 5000; counted in UTF-16 code units, docs "Text character count").
    if not 1 <= value <= LINE_TEXT_LIMIT:
        raise Invalid(
            f"max_chars must be between 1 and {LINE_TEXT_LIMIT} (LINE's limit for a text message), not {value}",
            "for example: max_chars = 500",
        )


#: LINE Messaging API: a text message holds at most 5,000 characters (UTF-16 code units).
LINE_TEXT_LIMIT = 5000


@dataclass(frozen=True)
class LineSettings:
    """[line]: the LINE official account broadcast the build writes beside each email (line.txt)."""

    max_chars: int = setting(
        500, "most characters in a line.txt, as LINE counts them (UTF-16 units; at most 5000)", _line_chars
    )


@dataclass(frozen=True)
class ImagesSettings:
    """[images]: the local images an issue shows (toolkit.images)."""

    max_kb: int = setting(IMAGE_KB, "`notice check` warns about a local image larger than this, in KB", _positive)


@dataclass(frozen=True)
class Config:
    """A publication's settings, with the folder they came from."""

    root: Path
    publication: PublicationSettings = declare(doc="who sends the issues", factory=PublicationSettings)
    build: BuildSettings = declare(doc="where outputs go", factory=BuildSettings)
    corrections: CorrectionsSettings = declare(doc="errata placement and markers", factory=CorrectionsSettings)
    email: EmailSettings = declare(doc="message encoding", factory=EmailSettings)
    check: CheckSettings = declare(doc="rules switched off", factory=CheckSettings)
    feed: FeedSettings = declare(doc="the feeds", factory=FeedSettings)
    web: WebSettings = declare(doc="page data and share links", factory=WebSettings)
    line: LineSettings = declare(doc="the LINE broadcast text", factory=LineSettings)
    images: ImagesSettings = declare(doc="local images", factory=ImagesSettings)

    @property
    def path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def issues_dir(self) -> Path:
        return self.root / "issues"

    @property
    def corrections_dir(self) -> Path:
        return self.root / "corrections"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def cache_dir(self) -> Path:
        return self.root / CACHE_NAME

    @property
    def preview_dir(self) -> Path:
        """Where `notice preview` builds: never the published output."""
        return self.cache_dir / "preview"

    @property
    def out_dir(self) -> Path:
        return self.root / self.build.out

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.publication.timezone)

    @property
    def service(self) -> Service | None:
        """The mail service's profile (its merge tags), or None without one."""
        return service_for(
            self.email.service.lower(),
            self.email.unsubscribe_tag,
            self.email.name_tag,
            adds_unsubscribe=self.email.adds_unsubscribe,
            publication=self.publication,
        )


#: The tables of notice.toml, each a dataclass of declared keys.
SECTIONS: dict[str, type] = {name: f.default_factory for name, f in declared(Config).items()}  # type: ignore[misc]


def load_config(root: Path) -> Config:
    """Read ``root/notice.toml``; raise one ConfigError listing every problem in it."""
    path = root / CONFIG_NAME
    if not path.exists():
        raise ConfigError(f"{CONFIG_NAME} not found", path=path, hint="run `notice init` to create a publication")
    raw = read_regular(path, root=root, error=ConfigError)  # not a FIFO, a device or a link out
    text = decode(raw, path, ConfigError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = str(exc)[: match.start()].strip() if match else str(exc)
        raise ConfigError(
            f"invalid TOML: {reason}",
            path=path,
            line=int(match.group(1)) if match else None,
            hint='check quotes and brackets; strings need double quotes, e.g. name = "My letter"',
        ) from None
    except RecursionError:  # issue 14: arrays nested thousands deep; no key takes more than one level
        raise ConfigError(
            "a value is nested too deeply",
            path=path,
            line=_deepest_line(text),
            hint="a value is a string, a number or a list of strings",
        ) from None
    except ValueError as exc:  # an integer of more than 4,300 digits (sys.get_int_max_str_digits)
        long = re.search(r"\d{100,}", text)
        raise ConfigError(
            f"a number is too long: {exc}".split(" for ")[0].replace("Exceeds", "over"),
            path=path,
            line=text.count("\n", 0, long.start()) + 1 if long else None,
            hint="write a number of a few digits",
        ) from None
    return parse_config(root, data, text)


def _deepest_line(text: str, limit: int = 100) -> int | None:
    """The line where brackets first nest *limit* deep: tomllib's RecursionError has no position."""
    depth = 0
    for offset, char in enumerate(text):
        depth += (char in "[{") - (char in "]}")
        if depth >= limit:
            return text.count("\n", 0, offset) + 1
    return None


def parse_config(root: Path, data: dict[str, Any], text: str = "") -> Config:
    """Validate TOML data into a Config; every problem is gathered before raising."""
    problems: list[tuple[str, int | None, str]] = []
    sections: dict[str, Any] = {}
    for name, value in data.items():
        if name not in SECTIONS:
            problems.append(
                (
                    f"unknown section [{name}]{did_you_mean(name, SECTIONS)}",
                    line_of(text, None, name),
                    f"known sections: {', '.join(SECTIONS)}",
                )
            )
        elif not isinstance(value, dict):
            problems.append((f"'{name}' must be a table, written [{name}]", line_of(text, None, name), ""))
        else:
            values, found = read_mapping(SECTIONS[name], value, name, unknown=_unknown_key(name))
            problems += [(message, line_of(text, name, key or ""), hint) for key, message, hint in found]
            sections[name] = SECTIONS[name](**values)
    problems += _adds_unsubscribe_problems(sections.get("email"), text)
    if problems:
        raise _config_error(root / CONFIG_NAME, problems)
    return Config(root=root, **sections)


def _adds_unsubscribe_problems(email: EmailSettings | None, text: str) -> list[tuple[str, int | None, str]]:
    """``adds_unsubscribe`` is the author's word for a `custom` service; a named one either adds
    the link itself (Benchmark Email) or does not, and then readers would get no way out."""
    name = email.service.lower() if email else ""
    if not email or not email.adds_unsubscribe or name == "custom" or name not in SERVICES:
        return []
    profile = service_for(name)
    if profile and profile.adds_unsubscribe:
        return []
    return [
        (
            f"adds_unsubscribe is for service = \"custom\": service '{email.service}' adds no unsubscribe link itself",
            line_of(text, "email", "adds_unsubscribe"),
            "remove it and set unsubscribe_url (to the service's unsubscribe tag, if it has one)",
        )
    ]


def _unknown_key(section: str) -> Callable[[str, list[str]], tuple[str, str]]:
    return lambda key, known: (
        f"unknown key '{key}' in [{section}]{did_you_mean(key, known)}",
        f"known keys: {', '.join(known)}",
    )


def _config_error(path: Path, problems: list[tuple[str, int | None, str]]) -> ConfigError:
    """One problem as itself; several as one list, each with its line."""
    if len(problems) == 1:
        message, line, hint = problems[0]
        return ConfigError(message, path=path, line=line, hint=hint or None)
    lines = "\n".join(
        f"  {path.name}:{line}: {message}" if line else f"  {path.name}: {message}" for message, line, _ in problems
    )
    return ConfigError(
        f"{len(problems)} problems:\n{lines}", path=path, hint="fix each line above; README.md lists every key"
    )


def check_out_dir(config: Config, out_dir: Path) -> None:
    """Refuse an output folder that is the publication itself or holds the author's files."""
    out_dir, root = out_dir.resolve(), config.root.resolve()
    if config.cache_dir.resolve() in out_dir.parents:
        return  # a private build of notice's own (the preview's, check's), inside the cache
    clash = out_dir == root or any(out_dir == (root / name) or (root / name) in out_dir.parents for name in RESERVED)
    if clash or out_dir in root.parents or (out_dir.exists() and not out_dir.is_dir()):
        raise ConfigError(
            f"cannot build into {out_dir}: it would overwrite the publication's own files",
            hint="choose a folder of its own, such as build/ (the default)",
        )


def line_of(text: str, section: str | None, key: str) -> int | None:
    """The line of ``key =`` inside ``[section]`` (or of ``[key]`` when section is None).

    tomllib gives no positions, and a config file is short: scanning it is simpler and
    faster than a second, position-aware TOML parser.
    """
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]\s*(#.*)?", stripped)
        if header:
            current = header.group(1).strip('"')
            if current == key if section is None else current.startswith(f"{section}.{key}"):
                return number
            continue
        if current == section and re.match(rf'"?{re.escape(key)}"?\s*=', stripped):
            return number
    return None


def _type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "a whole number",
        bool: "true or false",
        float: "a number",
        list: "a list",
        dict: "a table",
    }.get(kind, kind.__name__)
