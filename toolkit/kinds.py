"""The kinds of correction record, each declared once: its words, its strength, who is told.

Before this table a kind's behaviour was spread over records, corrections, render, labels,
the templates and the help text (issue 8); adding a kind is now one `Kind` entry here. The
labels follow Japanese practice (【訂正】, 【追記】, 【補足】, 【更新】, 【撤回】) and the English
ones AP and the BBC use (Correction, Clarification, Update, Retraction); see
/work/shared/corrections-practice.md. Each kind has its own notice wording (issue 15): a
【補足】 notice says 補足しました, not an addendum's 追記しました.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

#: Title-marker levels, strongest first: a retraction outranks a correction, which outranks an update.
LEVELS = ("retracted", "corrected", "updated")


@dataclass(frozen=True)
class Words:
    """A kind's words in one language. *subject* and *lead* take ``{title}`` and ``{date}``."""

    label: str
    subject: str = ""
    lead: str = ""
    read: str = ""


@dataclass(frozen=True)
class Kind:
    """One kind of record.

    *level* is the title marker it calls for (None: no marker); *visible*: its replacements
    are struck through beside the new text and it has an errata entry (a minor typo fix is
    applied silently); *notice*: readers who got the original are sent a notice; *apology*:
    the notice apologises; *retracts*: the issue gets the retraction banner.
    """

    name: str
    words: dict[str, Words]
    level: str | None = None
    visible: bool = True
    notice: bool = True
    apology: bool = False
    retracts: bool = False
    help: str = ""


#: Every kind, in the order `notice correct --help` lists them.
KINDS: tuple[Kind, ...] = (
    Kind(
        "correction",
        level="corrected",
        apology=True,
        help="訂正",
        words={
            "en": Words(
                "Correction",
                "Correction: {title}",
                "We made a mistake in “{title}”, sent on {date}. Here is what was wrong and what is right.",
                "Read the corrected issue",
            ),
            "ja": Words(
                "訂正",
                "【訂正とお詫び】{title}",
                "{date}にお送りした「{title}」に誤りがありました。お詫びして訂正いたします。",
                "訂正後の本文を読む",
            ),
        },
    ),
    Kind(
        "clarification",
        level="corrected",
        help="補足説明",
        words={
            "en": Words(
                "Clarification",
                "Clarification: {title}",
                "We have clarified “{title}”, sent on {date}.",
                "Read the clarified issue",
            ),
            "ja": Words(
                "補足説明",
                "【補足説明】{title}",
                "{date}にお送りした「{title}」の説明を補足いたします。",
                "補足説明を読む",
            ),
        },
    ),
    Kind(
        "addendum",
        level="updated",
        help="追記",
        words={
            "en": Words(
                "Addendum", "Addendum: {title}", "We have added to “{title}”, sent on {date}.", "Read the updated issue"
            ),
            "ja": Words(
                "追記", "【追記】{title}", "{date}にお送りした「{title}」に追記しました。", "追記後の本文を読む"
            ),
        },
    ),
    Kind(
        "supplement",
        level="updated",
        help="補足",
        words={
            "en": Words(
                "Supplement",
                "Supplement: {title}",
                "We have supplemented “{title}”, sent on {date}.",
                "Read the supplemented issue",
            ),
            "ja": Words(
                "補足", "【補足】{title}", "{date}にお送りした「{title}」に補足しました。", "補足後の本文を読む"
            ),
        },
    ),
    Kind(
        "update",
        level="updated",
        help="更新",
        words={
            "en": Words(
                "Update", "Update: {title}", "We have updated “{title}”, sent on {date}.", "Read the updated issue"
            ),
            "ja": Words(
                "更新", "【更新】{title}", "{date}にお送りした「{title}」の内容を更新しました。", "更新後の本文を読む"
            ),
        },
    ),
    Kind(
        "retraction",
        level="retracted",
        apology=True,
        retracts=True,
        help="撤回",
        words={
            "en": Words(
                "Retraction", "Retraction: {title}", "We retract “{title}”, sent on {date}.", "See the retracted issue"
            ),
            "ja": Words(
                "撤回", "【撤回とお詫び】{title}", "{date}にお送りした「{title}」を撤回いたします。", "撤回した号を見る"
            ),
        },
    ),
    Kind(
        "minor",
        visible=False,
        notice=False,
        help="a typo: readers are not told",
        words={"en": Words("Minor fix"), "ja": Words("軽微な修正")},
    ),
)

BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
NAMES: tuple[str, ...] = tuple(BY_NAME)


def kind_of(name: str) -> Kind:
    """The declared kind *name*; KeyError for an unknown one (records and `correct` check first)."""
    return BY_NAME[name]


def strength(name: str) -> int:
    """How strong a kind is, for ordering: 3 retracted, 2 corrected, 1 updated, 0 no marker."""
    level = BY_NAME[name].level if name in BY_NAME else None
    return len(LEVELS) - LEVELS.index(level) if level else 0


@lru_cache(maxsize=16)
def kind_labels(lang: str) -> dict[str, str]:
    """``kind_X``, ``subject_X``, ``lead_X`` and ``read_X`` for every kind, in *lang* (base
    language, e.g. ``ja`` for ``ja-JP``); missing words are left out, so English fills them."""
    out: dict[str, str] = {}
    for kind in KINDS:
        words = kind.words.get(lang)
        if words is None:
            continue
        for key, value in (
            ("kind", words.label),
            ("subject", words.subject),
            ("lead", words.lead),
            ("read", words.read),
        ):
            if value:
                out[f"{key}_{kind.name}"] = value
    return out


def help_text() -> str:
    """The kinds for `notice correct --help`: ``correction (訂正), ..., or minor (a typo...)``."""
    names = [f"{kind.name} ({kind.help})" if kind.help else kind.name for kind in KINDS]
    return ", ".join(names[:-1]) + " or " + names[-1] + "."
