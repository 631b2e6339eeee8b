"""`notice check`'s rules for Japanese issues (``lang: ja``), issue 10: 機種依存文字.

Characters outside JIS X 0208 that Windows (CP932) or phones added: circled and parenthesised
numbers (①, ⑴), Roman numerals (Ⅰ), ㈱ and squared words (㌔), NEC and IBM extension kanji
(髙, 﨑), half-width katakana, Windows' ～ (U+FF5E) and emoji. Old Japanese clients and
ISO-2022-JP cannot show them (an export under ISO-2022-JP refuses them: `toolkit.message`);
under UTF-8 they are a warning naming the character, its line and a replacement.
Replacements come from Unicode's compatibility mappings (NFKC: ① is 1, ㈱ is (株), ｶﾞ is ガ),
with a few kanji NFKC leaves alone named here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from .built_email import BuiltEmail
from .errors import Diagnostic
from .rules import service_adds_unsubscribe

#: Extension kanji with no compatibility mapping, and their JIS X 0208 form.
KANJI = {"髙": "高", "﨑": "崎", "德": "徳"}
#: Replacements of other characters NFKC does not give a JIS X 0208 form for.
OTHER = {"\uff5e": "〜 (U+301C)", "\u2015": "―"}

_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")


def _dependent(char: str) -> bool:
    """Whether *char* is a 機種依存文字: outside JIS X 0208, and of the kinds old clients garble."""
    if char.isascii() or _encodes(char):
        return False
    code = ord(char)
    return (
        0x2460 <= code <= 0x24FF
        or 0x2160 <= code <= 0x217F
        or 0x3200 <= code <= 0x33FF
        or 0xFF61 <= code <= 0xFF9F
        or code == 0xFF5E
        or bool(_EMOJI.match(char))
        or (unicodedata.category(char) == "Lo" and _cp932(char))
    )


def _encodes(char: str) -> bool:
    try:
        char.encode("iso-2022-jp")
    except UnicodeEncodeError:
        return False
    return True


def _cp932(char: str) -> bool:
    try:
        char.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def replacement(char: str) -> str:
    """What to write instead: ① -> (1), ㈱ -> (株), ｶ -> カ, 髙 -> 高, an emoji -> words."""
    if char in KANJI:
        return KANJI[char]
    if char in OTHER:
        return OTHER[char]
    if _EMOJI.match(char):
        return "words (or nothing)"
    folded = unicodedata.normalize("NFKC", char)
    if re.fullmatch(r"\d+", folded):
        return f"({folded})"
    if folded != char and all(_encodes(c) for c in folded):
        return folded
    return "a character of JIS X 0208"


def machine_dependent(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Each 機種依存文字 of a Japanese issue's plain text, once, where the author wrote it."""
    if not email.issue.lang.lower().startswith("ja"):
        return
    text_path = email.path.with_name("email.txt")
    try:
        lines = text_path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return
    iso = email.config.email.charset.lower() == "iso-2022-jp"
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        # Half-width katakana runs are judged whole: ｶﾞ is one ガ.
        for match in re.finditer(r"[\uff61-\uff9f]+|.", line):
            run = match[0]
            if run in seen or not all(_dependent(c) for c in run):
                continue
            seen.add(run)
            name = unicodedata.name(run[0], f"U+{ord(run[0]):04X}")
            instead = unicodedata.normalize("NFKC", run) if run[0] >= "\uff61" and len(run) > 1 else replacement(run)
            path, found = email.locate(body=re.escape(run), value=None, template=re.escape(run))
            if path == email.path:
                path, found = text_path, number
            yield Diagnostic(
                "error" if iso else "warning",
                f"'{run}' (U+{ord(run[0]):04X} {name}) is a 機種依存文字: "
                f"{'ISO-2022-JP cannot carry it' if iso else 'old Japanese mail clients garble it'}",
                path,
                found,
                f"write {instead} instead",
            )


# --- 特定電子メール法: the footer ------------------------------------------------------------

#: A sentence telling readers they may refuse the mail (受信拒否ができる旨, 特定電子メール法 第4条).
REFUSAL = re.compile(r"配信停止|配信解除|受信拒否|購読解除|登録解除|停止でき|解除でき")
MIN_FONT_PX = 10
MIN_CONTRAST = 4.5


def law_footer_ja(email: BuiltEmail) -> Iterator[Diagnostic]:
    """特定電子メール法 asks every message for: the sender's name, a postal address, where to
    refuse, a sentence saying readers may refuse, and a contact for complaints and questions
    (``contact``, else the sender's address), in both parts, and in the HTML where readers
    can see it: not hidden, not under 10 px, at a contrast of 4.5:1 or more. Where to refuse
    and the sentence may be a mail service's own footer (``adds_unsubscribe``)."""
    if not email.issue.lang.lower().startswith("ja"):
        return
    publication = email.config.publication
    try:
        # Without spaces: the text is wrapped, and a Japanese line breaks anywhere.
        text = "".join(email.path.with_name("email.txt").read_text(encoding="utf-8").split())
    except (OSError, UnicodeDecodeError):
        return
    # A service that adds its own footer (Benchmark Email: 配信停止リンク in every message, which
    # cannot be removed) gives where to refuse and says readers may: `service_notes` says so.
    footer = service_adds_unsubscribe(email.config)
    refuse = publication.unsubscribe_url or publication.unsubscribe_mailto.removeprefix("mailto:").split("?")[0]
    refuse = "" if footer else refuse
    contact = publication.contact or publication.sender_email
    items = [
        ("the sender's name (sender_name)", publication.sender_name, "sender_name"),
        ("a postal address (postal_address)", publication.postal_address, "postal_address"),
        ("where to refuse (unsubscribe_url)", refuse, "unsubscribe_url"),
        ("a contact for complaints and questions (contact)", contact, "contact"),
    ]
    place = email.sources.template("email.html") or email.path
    html = email.config.email.format != "text"  # a text-only magazine sends no HTML to judge
    for what, value, key in items:
        value = " ".join(value.split())
        if not value:
            continue  # sender-missing and the others say so, pointing at notice.toml
        if "".join(value.split()) not in text:
            yield Diagnostic(
                "error",
                f"the plain text does not show {what}, which 特定電子メール法 requires",
                email.path.with_name("email.txt"),
                None,
                f"keep {{{{ publication.{key} }}}} in _footer.txt",
            )
        if html:
            yield from _seen(email, value, what, key, place)
    if footer:
        return
    if not REFUSAL.search(text):
        yield Diagnostic(
            "error",
            "the plain text does not tell readers they may refuse the mail (受信拒否ができる旨)",
            email.path.with_name("email.txt"),
            None,
            "say so in the footer: 配信停止はいつでもこちらから",
        )
    shown = " ".join(email.tree.text_content().split())
    if html and not REFUSAL.search(shown):
        yield Diagnostic(
            "error",
            "the email does not tell readers they may refuse the mail (受信拒否ができる旨)",
            place,
            None,
            "say so in the footer: 配信停止はいつでもこちらから",
        )


def _seen(email: BuiltEmail, value: str, what: str, key: str, place: Any) -> Iterator[Diagnostic]:
    """*value* shown in the HTML where a reader can see it (as text, or as a link's target)."""
    holders = [
        el
        for el in email.elements()
        if el.tag not in ("html", "head", "title", "style")
        and (
            value in " ".join((el.text or "").split())
            or value in " ".join((el.tail or "").split())
            or el.get("href", "").strip() in (value, f"mailto:{value}")
        )
    ]
    if not holders:
        yield Diagnostic(
            "error",
            f"the email does not show {what}, which 特定電子メール法 requires",
            place,
            None,
            f"keep {{{{ publication.{key} }}}} in the footer of templates/email.html",
        )
        return
    reasons = [_unseen(el) for el in holders]
    if all(reasons):
        yield Diagnostic(
            "error",
            f"the email shows {what} where readers cannot read it: {reasons[0]}",
            place,
            holders[0].sourceline,
            "show the footer at 10 px or more, in a colour of 4.5:1 contrast or more",
        )


def _unseen(element: Any) -> str:
    """Why *element*'s text cannot be read ("" when it can): hidden, tiny or faint (inline styles)."""
    color = background = size = None
    for node in (element, *element.iterancestors()):
        style = {
            k.strip().lower(): v.strip().lower()
            for k, _, v in (d.partition(":") for d in (node.get("style") or "").split(";"))
            if k.strip()
        }
        if (
            style.get("display") == "none"
            or style.get("visibility") == "hidden"
            or style.get("opacity") == "0"
            or node.get("hidden") is not None
            or style.get("max-height") in ("0", "0px")
        ):
            return "it is hidden"
        color = color or _rgb(style.get("color", ""))
        background = background or _rgb(style.get("background-color", style.get("background", "")))
        size = size or _px(style.get("font-size", ""))
    if size is not None and size < MIN_FONT_PX:
        return f"its font is {size:g} px"
    ratio = _contrast(color or (0, 0, 0), background or (255, 255, 255))
    if ratio < MIN_CONTRAST:
        return f"its contrast is {ratio:.1f}:1"
    return ""


def _rgb(value: str) -> tuple[int, int, int] | None:
    match = re.search(r"#([0-9a-f]{6}|[0-9a-f]{3})\b", value)
    if not match:
        return None
    digits = match[1] if len(match[1]) == 6 else "".join(c * 2 for c in match[1])
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _px(value: str) -> float | None:
    match = re.fullmatch(r"([\d.]+)\s*(px|pt)?(\s*!important)?", value)
    if not match:
        return None
    return float(match[1]) * (4 / 3 if match[2] == "pt" else 1)


def _contrast(one: tuple[int, int, int], two: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio)."""

    def luminance(rgb: tuple[int, int, int]) -> float:
        channels = [c / 255 for c in rgb]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


#: The rules of this module, by id.
JA_RULES = [("machine-dependent", machine_dependent), ("law-footer-ja", law_footer_ja)]
