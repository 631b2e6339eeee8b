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

from .built_email import BuiltEmail
from .rules import Problem

#: Extension kanji with no compatibility mapping, and their JIS X 0208 form.
KANJI = {"髙": "高", "﨑": "崎", "德": "徳"}
#: Replacements of other characters NFKC does not give a JIS X 0208 form for.
OTHER = {"\uff5e": "〜 (U+301C)", "\u2015": "―"}

_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")


def _dependent(char: str) -> bool:
    """Whether *char* is a 機種依存文字: outside JIS X 0208, and of the kinds old clients garble."""
    if char.isascii() or _encodes(char):
        return False
    code = ord(char)
    return (0x2460 <= code <= 0x24FF or 0x2160 <= code <= 0x217F or 0x3200 <= code <= 0x33FF
            or 0xFF61 <= code <= 0xFF9F or code == 0xFF5E or bool(_EMOJI.match(char))
            or (unicodedata.category(char) == "Lo" and _cp932(char)))


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


def machine_dependent(email: BuiltEmail) -> Iterator[Problem]:
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
            yield Problem("error" if iso else "warning",
                          f"'{run}' (U+{ord(run[0]):04X} {name}) is a 機種依存文字: "
                          f"{'ISO-2022-JP cannot carry it' if iso else 'old Japanese mail clients garble it'}",
                          path, found, f"write {instead} instead")


#: The rules of this module, by id.
JA_RULES = [("machine-dependent", machine_dependent)]
