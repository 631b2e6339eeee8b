"""Words and dates in the issue's language (English and Japanese; English is the fallback).

A dict per language rather than gettext catalogues: the theme needs a few dozen short
labels, and a publication can override any of them in its own templates. Dates go through
Babel, and what it answered is kept in `.notice-cache/dates.json` (`FormattedDates`).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .kinds import kind_labels
from .output import write_atomic

if TYPE_CHECKING:
    from babel import Locale

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "view_in_browser": "View this issue in your browser",
        "unsubscribe": "Unsubscribe",
        "unsubscribe_note": "You receive this because you subscribed to {name}. You can stop it at any time:",
        "issue_number": "No. {number}",
        "draft": "Draft",
        "drafts_note": "Drafts are shown for review and are not published.",
        "archive": "All issues",
        "published": "Published",
        "sent_by": "Sent by",
        "links": "Links",
        "by": "by {author}",
        # Between the date and the author in the plain text: ASCII, which every charset carries
        # (U+00B7 is not in ISO-2022-JP, issue 10).
        "separator": ", ",
        "contact": "Questions and complaints",
        "no_issues": "No issues yet.",
        # corrections
        "marker_corrected": "[Corrected]",
        "marker_updated": "[Updated]",
        "marker_retracted": "[Retracted]",
        "errata_label": "{label}:",
        "pending": "Pending",
        "resolved": "Resolved on {date}",
        "errata": "Corrections and updates",
        "summary_retracted": "This issue was retracted:",
        "summary_corrected": "This issue has been corrected:",
        "summary_updated": "This issue has been updated:",
        "retracted_banner": "This issue was retracted on {date}.",
        "retracted_below": "The retracted text is kept below for the record.",
        "was": "Originally",
        "now": "Corrected",
        "mark_del": "[Originally: ",
        "mark_ins": " [Corrected: ",
        "mark_end": "]",
        "apology": "",
        # the next issue's block of earlier issues' corrections (toolkit.next_issue)
        "next_issue": "Corrections since the last issue",
        "next_issue_title": "in “{title}”",
        # line.txt and post.txt of a notice (toolkit.social): what was wrong and what is right
        "line_corrected": "In the issue sent on {date} we wrote “{was}”; it should have read “{now}”.",
        "line_changed": "In the issue sent on {date} we changed “{was}” to “{now}”.",
        "line_more": "{count} more changes are on the page.",
        # components (issue 11): an untitled box's title, a figure's image in the plain text
        "box_note": "Note",
        "box_warning": "Warning",
        "box_tip": "Tip",
        "box_title_text": "[{title}]",
        "figure_image": "image",
    },
    "ja": {
        "view_in_browser": "ブラウザで表示する",
        "unsubscribe": "配信停止",
        "unsubscribe_note": "このメールは{name}にご登録いただいた方にお送りしています。配信停止はいつでもこちらから:",
        "issue_number": "第{number}号",
        "draft": "下書き",
        "drafts_note": "下書きは確認用に表示しています。まだ公開されていません。",
        "archive": "バックナンバー",
        "published": "発行",
        "sent_by": "発行者",
        "links": "リンク",
        "by": "{author}",
        # JIS X 0208 has no U+00B7: with it, no Japanese issue with an author could be sent as
        # ISO-2022-JP (issue 10). The katakana middle dot is the Japanese separator.
        "separator": "・",
        "contact": "お問い合わせ・苦情の連絡先",
        "no_issues": "まだ号がありません。",
        "marker_corrected": "【訂正追記有り】",
        "marker_updated": "【訂正追記有り】",
        "marker_retracted": "【撤回】",
        "errata_label": "【{label}】",
        "pending": "確認中",
        "resolved": "{date}に解決",
        "errata": "訂正・追記",
        "summary_retracted": "この号は撤回されています:",
        "summary_corrected": "この号は訂正されています:",
        "summary_updated": "この号には追記があります:",
        "retracted_banner": "この号は{date}に撤回しました。",
        "retracted_below": "撤回した本文は記録のため以下に残しています。",
        "was": "誤",
        "now": "正",
        "mark_del": "[訂正前] ",
        "mark_ins": " [訂正後] ",
        "mark_end": "",
        "apology": "ご迷惑をおかけし、申し訳ございません。",
        "next_issue": "前号までの訂正・追記",
        "next_issue_title": "「{title}」",
        "line_corrected": "{date}にお送りした号で「{was}」としておりましたが、正しくは「{now}」です。",
        "line_changed": "{date}にお送りした号の「{was}」を「{now}」に改めました。",
        "line_more": "ほか{count}か所はリンク先をご覧ください。",
        "box_note": "お知らせ",
        "box_warning": "ご注意",
        "box_tip": "ヒント",
        "box_title_text": "【{title}】",
        "figure_image": "画像",
    },
}

#: Languages whose text is set in full-width characters, where East Asian "ambiguous"
#: characters (※, ○, ■, …) take two columns in a mail client's monospace font.
WIDE_LANGUAGES = ("ja", "zh", "ko")
#: Languages written right to left: their pages say dir="rtl" beside lang (WCAG 1.3.2).
RTL_LANGUAGES = ("ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb")


def base_language(lang: str) -> str:
    return lang.split("-")[0].lower()


def labels_for(lang: str) -> dict[str, str]:
    """The label table for *lang*, falling back to English for anything missing; the words
    of each correction kind come from its entry in `toolkit.kinds`. A copy, the caller's own."""
    return dict(_labels(base_language(lang)))


@lru_cache(maxsize=64)
def _labels(base: str) -> dict[str, str]:
    """`labels_for`'s table, merged once per language: a render asks for it about ten times,
    and merging four tables was 2.3 us each time against 0.2 us for a copy (issue 13)."""
    return {**LABELS["en"], **kind_labels("en"), **LABELS.get(base, {}), **kind_labels(base)}


def text_direction(lang: str) -> str:
    """``rtl`` or ``ltr``: the ``dir`` of a page in *lang*."""
    return "rtl" if base_language(lang) in RTL_LANGUAGES else "ltr"


def ambiguous_width(lang: str) -> int:
    return 2 if base_language(lang) in WIDE_LANGUAGES else 1


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    from babel import Locale, UnknownLocaleError  # lazy: most builds format no date they have not before

    try:
        return Locale.parse(lang.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def babel_version() -> str | None:
    """The installed Babel's version, read from its ``__init__.py`` without importing it
    (importing it and loading a locale's data is what `FormattedDates` saves)."""
    spec = importlib.util.find_spec("babel")
    try:
        text = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    except (OSError, UnicodeDecodeError):
        return None
    found = re.search(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", text, re.MULTILINE)
    return found.group(1) if found else None


class FormattedDates:
    """Dates as Babel formats them, by language, form and day, kept from one build to the next.

    Issue 13: Babel's locale data (a pickle per locale, merged with the root locale's) took
    about 50 ms of every process that formats a date, and a build formats the same few
    dates again and again. A build loads the file from ``.notice-cache/dates.json`` and saves
    it when something was added; it holds the versions of Babel and notice that made it, and
    one made by any other version is not used. A process that loads no file (a test that
    renders without building) keeps its dates in memory only.
    """

    #: Past this many dates, a save keeps only those this process asked for.
    LIMIT = 100_000

    def __init__(self) -> None:
        self.entries: dict[str, str] = {}
        self.used: set[str] = set()
        self.path: Path | None = None
        self.version: str | None = None
        self.changed = False
        self.unread = False  # a file to read before the first date (`load`)
        #: Dates formatted since `take_new` last asked: a worker process sends them to the build.
        self.new: dict[str, str] = {}

    def load(self, path: Path) -> None:
        """Use *path*, read when the first date is asked for: a build that formats none (one
        with nothing to do) reads nothing, and worker processes started before then read it
        themselves."""
        self.path, self.changed, self.used, self.new = path, False, set(), {}
        self.entries, self.unread = {}, True

    def _read(self) -> None:
        """The dates the file holds, if this Babel and this notice wrote them."""
        self.unread = False
        self.version = babel_version()
        if self.version is None:
            self.path = None  # no version to key the file by: nothing is kept on disk
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return
        if (
            isinstance(data, dict)
            and data.get("format") == 1
            and data.get("babel") == self.version
            and data.get("notice") == __version__
            and isinstance(data.get("dates"), dict)
        ):
            self.entries = {key: text for key, text in data["dates"].items() if isinstance(text, str)}

    def get(self, key: str) -> str | None:
        if self.unread:
            self._read()
        text = self.entries.get(key)
        if text is not None:
            self.used.add(key)
        return text

    def put(self, key: str, text: str) -> str:
        self.entries[key] = self.new[key] = text
        self.used.add(key)
        self.changed = True
        return text

    def take_new(self) -> dict[str, str]:
        """What was formatted since the last call (in a worker: to return with its results)."""
        new, self.new = self.new, {}
        return new

    def merge(self, dates: dict[str, str]) -> None:
        """Dates a worker process formatted, saved with this build's."""
        if self.unread:
            self._read()
        if dates:
            self.entries.update(dates)
            self.used.update(dates)
            self.changed = True

    def save(self) -> None:
        """Write the file if a date was added to it."""
        if self.path is None or not self.changed:
            return
        if len(self.entries) > self.LIMIT:
            self.entries = {key: self.entries[key] for key in list(self.used) if key in self.entries}
        entries = dict(self.entries)  # one copy: a page the preview renders meanwhile may add to it
        data = {"format": 1, "babel": self.version, "notice": __version__, "dates": dict(sorted(entries.items()))}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        self.changed = False


#: The one memo every date goes through; `build` loads and saves it.
DATES = FormattedDates()
#: Its keys by their parts: a render formats four dates, and `json.dumps` of each key was most
#: of a date's 3 us once the date was in the memo (issue 13).
_KEYS: dict[tuple[str, str, str, dt.date], str] = {}


def _memo(kind: str, day: Any, lang: str, form: str, format_with: Any) -> str:
    """*day* formatted by ``format_with(babel.dates)``, through `DATES` when it is a plain date."""
    if type(day) is not dt.date or not isinstance(lang, str) or not isinstance(form, str):
        return format_with(_babel_dates())  # anything else is formatted (or refused) by Babel as it is
    parts = (kind, lang, form, day)
    key = _KEYS.get(parts)
    if key is None:
        if len(_KEYS) > FormattedDates.LIMIT:
            _KEYS.clear()
        key = _KEYS[parts] = json.dumps([kind, lang, form, day.isoformat()], ensure_ascii=False)
    text = DATES.get(key)
    return text if text is not None else DATES.put(key, format_with(_babel_dates()))


def _babel_dates() -> Any:
    import babel.dates  # lazy: see FormattedDates

    return babel.dates


def format_date(value: dt.date | dt.datetime, lang: str, form: str = "long") -> str:
    """``2018年7月13日`` or ``July 13, 2018``: a date as readers of *lang* write it."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return _memo("date", day, lang, form, lambda dates: dates.format_date(day, format=form, locale=_locale(lang)))


def format_day(value: dt.date | dt.datetime, lang: str) -> str:
    """``7月14日`` or ``Jul 14``: a day of the year, short, for the errata summary."""
    day = value.date() if isinstance(value, dt.datetime) else value
    return _memo("skeleton", day, lang, "MMMd", lambda dates: dates.format_skeleton("MMMd", day, locale=_locale(lang)))
