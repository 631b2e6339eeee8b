"""line.txt and post.txt: the issue, and each correction notice, for LINE and for X (issue 12, item 4).

The seed's author also broadcast the wrong claim on a LINE official account, which can never
be unsent; the correction has to reach those readers where they read. For every issue and
every notice the build writes, beside its email:

- ``line.txt``: a LINE broadcast. Plain text (LINE shows no Markdown or HTML), the title with
  its marker (or, for a notice, its label: 【訂正】TITLE), a short summary (a notice: what was
  wrong and what is right, in one or two sentences, then its note) and the web URL. At most
  ``[line] max_chars`` characters (500 by default), never over LINE's limit: the Messaging
  API refuses a text message over 5,000 characters, counted in UTF-16 code units (LINE
  Developers, Messaging API reference "Text message", and "Counting the number of characters
  in a text": 🍎 counts 2).
- ``post.txt``: a post for X and the like, at most 280 weighted characters as twitter-text
  counts them (config/v3.json of twitter/twitter-text: scale 100, defaultWeight 200, weight 100
  for U+0000-U+10FF, U+2000-U+200D, U+2010-U+201F and U+2032-U+2037, so a CJK character
  counts 2; every URL counts transformedURLLength 23; with emojiParsingEnabled an emoji
  sequence counts 2, however many code points it joins). `post_length` implements exactly
  that. The twitter-text-parser package (a port) was not used: its last release is from 2023,
  it imports ``pkg_resources``, which current setuptools no longer ships, and it takes about
  5 ms per count (its emoji regex), which a build of thousands of issues would feel. Where
  twitter-text's own extractors are richer than ours (its list of TLDs for bare domains, the
  RGI emoji list), ours can only count more, never less: a word such as ``notes.txt`` counts
  as a URL (23), an unqualified © as an emoji (2), so a post that fits here fits on X.

What is shortened to fit is the summary, the note and the quoted passages, never the title
or a URL: at a grapheme cluster boundary (UAX #29, wcwidth's iter_graphemes), at a word or
punctuation boundary where the text has one, with "…". A title too long to fit even alone
is left whole, and `notice check` reports the file and its count (`social-length`).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from .config import LINE_TEXT_LIMIT, Config
from .corrections import subject_with_marker
from .errors import Diagnostic
from .issue_state import IssueState, subject_of
from .kinds import kind_of
from .labels import format_date, labels_for
from .markup import render_fragment
from .records import Record

#: X's limit in weighted characters (twitter-text config/v3.json maxWeightedTweetLength).
POST_LIMIT = 280
ELLIPSIS = "…"
#: Each quoted passage of a notice is cut to this share of the text's limit first, so that a
#: long passage cannot push out the words that say which is wrong and which is right.
PASSAGE_SHARE = 5
#: Where a cut reads naturally: after a space or Japanese/Western punctuation.
_BREAK_AFTER = set(" \t\n、。，．,.!?！？；;:：)）」』】")

Measure = Callable[[str], int]
#: The rank of a part `fit` drops whole, before any other, rather than cut.
DROP = 99


def line_length(text: str) -> int:
    """Characters as LINE counts them: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


#: twitter-text config/v3.json: the code point ranges of weight 100; every other weighs 200.
V3_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
V3_URL_WEIGHT = 23
#: What makes a grapheme cluster an emoji to us: a pictograph, a regional indicator (flags),
#: a skin tone, a tag (subdivision flags), the emoji presentation selector or the keycap.
_EMOJI = re.compile(
    "[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\ufe0f\u20e3\U0001f000-\U0001faff"
    "\U000e0020-\U000e007f]"
)
#: A URL as twitter-text finds one, with a scheme or as a bare ASCII domain (``example.com/x``).
#: A scheme's host may be an international one (``https://お店.jp/``); a path is ASCII, and a
#: final . , : ; ! ? ) or ' is left out, as twitter-text leaves it out (so 「https://a.jp/です」
#: counts です, and "see a.jp." its full stop). Where twitter-text's path allows more (Latin
#: letters), those count on their own: more, never fewer.
_PATH_CHARS = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
_PATH_END = r"[A-Za-z0-9\-_~/#\[\]@$&(*+=%]"
_HOST_CHARS = r"[^\s/?#<>\"「」『』（）()、。，．！？]"
_ANY_URL = re.compile(
    rf"https?://{_HOST_CHARS}*[^\s/?#<>\"「」『』（）()、。，．！？.,:;!')](?:[/?#](?:{_PATH_CHARS}*{_PATH_END})?)?"
    r"|(?<![A-Za-z0-9@＠$#＃./:-])(?=(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}\b)"
    rf"{_PATH_CHARS}*{_PATH_END}"
)


def _weight(char: str) -> int:
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in V3_LIGHT) else 2


def post_length(text: str) -> int:
    """Weighted characters as X counts them (twitter-text, config v3; see the module): NFC,
    line endings as one, every URL 23, every emoji 2, other characters 1 or 2 by the ranges."""
    text = re.sub(r"\r\n?", "\n", unicodedata.normalize("NFC", text))
    total, position = 0, 0
    for match in _ANY_URL.finditer(text):
        total += _plain_weight(text[position : match.start()]) + V3_URL_WEIGHT
        position = match.end()
    return total + _plain_weight(text[position:])


#: The characters outside V3_LIGHT, which weigh 2.
_HEAVY = re.compile("[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")


def _plain_weight(text: str) -> int:
    if not _EMOJI.search(text):  # no emoji: each character by its range, no clusters to find
        return len(text) + len(_HEAVY.findall(text))
    from wcwidth import iter_graphemes  # lazy: only for emoji or a text to cut (issue 13: 25 ms a process)

    total = 0
    for cluster in iter_graphemes(text):
        if _EMOJI.search(cluster):
            total += 2  # emojiParsingEnabled: one emoji (sequence) weighs defaultWeight
        else:
            total += sum(_weight(char) for char in cluster)
    return total


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where *text* holds a URL (with a scheme or a bare domain, as X finds them): a cut never
    falls inside one."""
    return [(m.start(), m.end()) for m in _ANY_URL.finditer(text)]


def shorten(text: str, budget: int, measure: Measure) -> str:
    """*text* if it fits in *budget*, else its longest head that does with "…" after it: cut
    at a grapheme boundary outside every URL, at a word or punctuation boundary when one is
    near; "" when not even "…" fits."""
    if measure(text) <= budget:
        return text
    from wcwidth import iter_graphemes  # lazy (see _plain_weight)

    spans = url_spans(text)
    cuts, position = [0], 0
    for cluster in iter_graphemes(text):
        position += len(cluster)
        if not any(start < position < end for start, end in spans):
            cuts.append(position)

    def head(cut: int) -> str:
        kept = text[:cut].rstrip()
        if not kept:
            return ""
        # An ellipsis right after a URL would read as part of it.
        return kept + (" " + ELLIPSIS if any(end == len(kept) for _, end in spans) else ELLIPSIS)

    low, high = 0, len(cuts) - 1  # the last cut (the whole text) does not fit
    while low < high:  # the largest index whose head fits (a head only grows with its cut)
        middle = (low + high + 1) // 2
        if measure(head(cuts[middle])) <= budget:
            low = middle
        else:
            high = middle - 1
    while low > 0 and measure(head(cuts[low])) > budget:  # never trust monotony blindly
        low -= 1
    best = cuts[low]
    if best == 0:
        return ""
    natural = [c for c in cuts[1 : low + 1] if text[c - 1] in _BREAK_AFTER or (c < len(text) and text[c] in " \n")]
    if natural and natural[-1] >= best * 0.6:  # a word boundary, unless it loses too much
        best = natural[-1]
    return head(best)


def fit(parts: list[tuple[str, int | None]], limit: int, measure: Measure, separator: str) -> str:
    """The non-empty *parts* joined by *separator*, shortening those with a rank (the highest
    first, dropping one that cannot be kept; one ranked DROP is dropped whole) until it fits in
    *limit*; a part ranked None is never cut, so the result may still be over: `notice check`
    says so."""
    pieces = [[text, rank] for text, rank in parts if text]
    while True:
        joined = separator.join(str(text) for text, _ in pieces if text)
        over = measure(joined) - limit
        cuttable = [piece for piece in pieces if piece[1] is not None and piece[0]]
        if over <= 0 or not cuttable:
            return joined
        piece = max(cuttable, key=lambda p: p[1])  # type: ignore[arg-type, return-value]
        if piece[1] == DROP:
            piece[0] = ""
            continue
        shorter = shorten(str(piece[0]), measure(str(piece[0])) - over, measure)
        piece[0] = "" if shorter in ("", ELLIPSIS) else shorter


@lru_cache(maxsize=512)
def plain(markdown: str) -> str:
    """Markdown as one line of plain text: what LINE and X show (no markup, no link targets).
    Kept: each passage and note is asked for once per text, and rendering is most of the cost."""
    if not markdown.strip():
        return ""
    fragment = render_fragment(markdown).html
    text = html.unescape(re.sub(r"<[^>]+>", "", fragment))
    return " ".join(text.split())


def issue_texts(state: IssueState, config: Config, web_url: str) -> dict[str, str]:
    """line.txt and post.txt of the issue: its title with its marker, its summary, its URL."""
    issue = state.issue
    subject = subject_of(state, config)
    summary = " ".join((issue.summary or issue.preheader or "").split())
    return {
        "line.txt": fit([(subject, None), (summary, 1), (web_url, None)], config.line.max_chars, line_length, "\n\n"),
        "post.txt": fit([(subject, None), (summary, 1), (web_url, None)], POST_LIMIT, post_length, "\n"),
    }


def notice_texts(record: Record, state: IssueState, config: Config, web_url: str) -> dict[str, str]:
    """line.txt and post.txt of a correction notice: 【訂正】TITLE, what was wrong and what is
    right (or its note, without passages), and the link to its block on the web page."""
    issue, t = state.issue, labels_for(state.issue.lang)
    kind = kind_of(record.kind)
    lead = subject_with_marker(issue.title, t["errata_label"].format(label=t[f"kind_{record.kind}"]))
    url = f"{web_url}#correction-{record.id}" if web_url else ""
    note = plain(record.note)
    sent = state.lock.published if state.lock else (issue.published or issue.date)
    apology = t["apology"] if kind.apology else ""
    texts = {}
    for name, limit, measure, separator in (
        ("line.txt", config.line.max_chars, line_length, "\n\n"),
        ("post.txt", POST_LIMIT, post_length, "\n"),
    ):
        sentence = what_changed(record, issue.lang, sent, limit // PASSAGE_SHARE, measure, kind.level == "corrected")
        # The apology follows what was wrong, whole or not at all (dropped first): half an
        # apology reads worse than none.
        body: list[tuple[str, int | None]] = [(sentence or note, 2), (apology, DROP)]
        if sentence and name == "line.txt":
            body.append((note, 3))
        texts[name] = fit([(lead, None), *body, (url, None)], limit, measure, separator)
    return texts


def what_changed(record: Record, lang: str, sent: dt.datetime, share: int, measure: Measure, corrected: bool) -> str:
    """One sentence from the record's first passage: what was written and what is right (or,
    for an update, what it now says); and how many more passages changed. "" without any."""
    if not record.replaces:
        return ""
    t = labels_for(lang)
    first = record.replaces[0]
    # Quoted, a passage drops its full stop: 「…なりません」, not 「…なりません。」.
    was = shorten(plain(first.original).rstrip("。．."), share, measure)
    now = shorten(plain(first.corrected).rstrip("。．."), share, measure)
    date = format_date(sent, lang)
    sentence = t["line_corrected" if corrected else "line_changed"].format(date=date, was=was, now=now)
    more = len(record.replaces) - 1
    if more:
        sentence += ("" if lang.startswith("ja") else " ") + t["line_more"].format(count=more)
    return sentence


def social_files(state: IssueState, config: Config, web_url: str, notices: list[Record]) -> dict[str, str]:
    """Every line.txt and post.txt of one issue, by path in its output folder."""
    files = issue_texts(state, config, web_url)
    for record in notices:
        for name, text in notice_texts(record, state, config, web_url).items():
            files[f"corrections/{record.id}/{name}"] = text
    return files


# --- notice check ------------------------------------------------------------------------------

LIMITS = {"line.txt": ("LINE", line_length), "post.txt": ("X", post_length)}


def length_findings(config: Config, folder: Path) -> list[Diagnostic]:
    """`social-length`: a line.txt or post.txt of the issue built in *folder* over its limit."""
    findings = []
    paths = sorted([*folder.glob("*.txt"), *folder.glob("corrections/*/*.txt")])
    for path in paths:
        if path.name not in LIMITS:
            continue
        service, measure = LIMITS[path.name]
        limit = min(config.line.max_chars, LINE_TEXT_LIMIT) if path.name == "line.txt" else POST_LIMIT
        count = measure(path.read_text(encoding="utf-8"))
        if count > limit:
            unit = "characters (UTF-16 units, as LINE counts)" if service == "LINE" else "weighted characters"
            findings.append(
                Diagnostic(
                    "error",
                    f"{path.name} is {count} {unit}, over {service}'s limit of {limit}",
                    path,
                    None,
                    "the title and the URL are never cut: shorten the title"
                    + (", or raise [line] max_chars (at most 5000)" if service == "LINE" else ""),
                    rule="social-length",
                )
            )
    return findings
