"""New publications (`notice init`) and new draft issues (`notice new`). Never overwrites."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from .config import Config, PublicationSettings
from .errors import ToolkitError
from .labels import base_language
from .output import create_exclusive
from .root import CONFIG_NAME
from .schema import read_mapping
from .source import SLUG_RE, confine, suggest_slug
from .templating import theme_dir

#: The sample issue's image, shipped in toolkit/data/ and written to issues/images/.
SAMPLE_IMAGE = "sample-shop.png"

GITIGNORE = """\
# notice: build outputs and the build cache are made again by `notice build`
/build/
/.notice-cache/
/snapshots/
"""

CONFIG_TEMPLATE = """\
# notice.toml: settings for this publication. Every key is listed in notice's README.

[publication]
name = {name}
lang = {lang}
# The web address the build output is published at; links in emails are made absolute
# against it, and each email links to its web version there.
base_url = ""
timezone = {timezone}
# Japan's Act on Specified Electronic Mail and the US CAN-SPAM Act ask every newsletter to
# name its sender, give a postal address and offer a way to unsubscribe.
sender_name = ""
sender_email = ""
postal_address = ""
unsubscribe_url = ""

[build]
out = "build"
# Plain-text width in display columns: a Japanese character counts two.
text_width = 70
# "premailer" or "css-inline" (a fast Rust inliner).
inliner = "premailer"
"""

#: The sample issue shows each of the theme's components (issue 11; the README's "Components"):
#: a box, a captioned image (its file written beside the issue) and a button.
SAMPLE = {
    "en": (
        "First issue",
        "Welcome to the first issue.",
        "Hello, and thank you for subscribing.\n\n"
        "## What to expect\n\n"
        "- News, once a month\n- Answers to your questions\n\n"
        '!!! note "When it arrives"\n'
        "    On the first Monday of each month, in the morning.\n\n"
        f"![Our shop](images/{SAMPLE_IMAGE})\n"
        "*An italic line right under an image is its caption.*\n\n"
        "Write the issue in Markdown. [Read more on our site](https://example.com/).\n\n"
        "[Send us a question](https://example.com/contact){: .button }\n\n"
        "!!! tip\n"
        "    `{: .button }` after a link on a line of its own makes it a button.\n",
    ),
    "ja": (
        "創刊号",
        "創刊号をお届けします。",
        "ご登録ありがとうございます。\n\n"
        "## このメールマガジンについて\n\n"
        "- 毎月1回、お店のWEB活用のヒントをお届けします\n- ご質問にもお答えします\n\n"
        '!!! note "お届けの時期"\n'
        "    毎月第1月曜日の朝にお送りします。\n\n"
        f"![お店の外観](images/{SAMPLE_IMAGE})\n"
        "*画像のすぐ次の行に斜体で書いた一文は、画像の説明になります。*\n\n"
        "本文はMarkdownで書きます。[詳しくはこちら](https://example.com/)。\n\n"
        "[質問を送る](https://example.com/contact){: .button }\n\n"
        "!!! tip\n"
        "    リンクだけの行の後ろに `{: .button }` と書くと、ボタンになります。\n",
    ),
}
BODY_PLACEHOLDER = {"en": "Write the issue here.\n", "ja": "ここに本文を書きます。\n"}

#: templates/README.md of a new publication. The theme itself is not copied (issue 8): a copy
#: would never get the theme's fixes, so templates/ holds only what the author changes.
TEMPLATES_README = """\
# Theme overrides

This folder starts empty: every template comes from notice's built-in theme, so each
upgrade of notice brings the theme's fixes with it. To change one file, copy it here from
the theme and edit the copy; the other files still come from the theme. Delete your copy to
go back to the built-in one. Keep as few copies as you can: a copied file no longer gets
the theme's fixes.

The theme's files (when this folder was made, they were in {theme}):

{files}

The colours of the web version and the archive are CSS variables at the top of web.css;
copy web.css and change the values in its two `:root` rules (light, then dark):

{variables}

The email's colours are written out in email.css instead, because Gmail and Outlook ignore
CSS variables: the accent colour {accent} appears there {accent_count} times.
"""


def create_publication(target: Path, *, name: str | None = None, lang: str = "en") -> list[Path]:
    """Write a new publication into *target*; refuse if any file it would write exists."""
    target = target.resolve()
    lang_key = base_language(lang)
    timezone = "Asia/Tokyo" if lang_key == "ja" else "UTC"
    name = name or target.name or "My newsletter"
    _check_settings({"name": name, "lang": lang})
    title, preheader, body = SAMPLE.get(lang_key, SAMPLE["en"])
    today = dt.date.today().isoformat()
    files: dict[Path, str | bytes] = {
        target / CONFIG_NAME: CONFIG_TEMPLATE.format(name=_quote(name), lang=_quote(lang), timezone=_quote(timezone)),
        target / ".gitignore": GITIGNORE,
        target / "issues" / f"{today}.md": front_matter(title, today, preheader) + "\n" + body,
        target / "corrections" / ".gitkeep": "",
        target / "issues" / "images" / SAMPLE_IMAGE: (Path(__file__).parent / "data" / SAMPLE_IMAGE).read_bytes(),
    }
    files[target / "templates" / "README.md"] = templates_readme(theme_dir())
    if (target / CONFIG_NAME).exists():
        raise ToolkitError(
            f"{target / CONFIG_NAME} already exists: this is a publication already",
            hint="pick another folder, e.g. `notice init my-letter`",
        )
    for path in files:  # a templates/ or issues/ linked elsewhere would take the files out of it
        confine(
            path,
            target,
            ToolkitError,
            action=f"write {path.relative_to(target)}",
            hint="init writes only inside the new publication: remove the link",
        )
    clashes = [path for path in files if path.exists()]
    if clashes:
        raise ToolkitError(
            f"{clashes[0]} already exists; init never overwrites a file",
            hint="move it away or init into an empty folder",
        )
    for path, content in files.items():
        create_exclusive(path, content if isinstance(content, bytes) else content.encode("utf-8"))
    return list(files)


def templates_readme(theme: Path) -> str:
    """The README of an empty templates/: the theme's files and the colours most people change."""
    names = sorted(p.name for p in theme.iterdir() if p.is_file() and not p.name.startswith((".", "__")))
    web = (theme / "web.css").read_text(encoding="utf-8")
    root = re.search(r":root\s*\{([^}]*)\}", web)
    variables = re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", root.group(1)) if root else []
    email = (theme / "email.css").read_text(encoding="utf-8")
    accent = dict(variables).get("--accent", "").strip()
    return TEMPLATES_README.format(
        theme=theme,
        files="\n".join(f"- {name}" for name in names),
        variables="\n".join(f"- `{name}: {value.strip()}`" for name, value in variables) or "- (none)",
        accent=accent or "(none)",
        accent_count=email.lower().count(accent.lower()) if accent else 0,
    )


def create_issue(config: Config, title: str, *, slug: str | None, date_text: str | None, today: dt.date) -> Path:
    """Write a draft issue; the slug comes from --slug, the title's ASCII words, or the date."""
    if not title.strip():
        raise ToolkitError("the title is empty", hint='for example: notice new "Spring news"')
    _check_text("title", title)
    day = _parse_day(date_text) if date_text else today
    if slug is not None:
        if not SLUG_RE.fullmatch(slug):
            raise ToolkitError(
                f"'{slug}' is not a valid slug: use only a-z, 0-9 and '-'",
                hint=f"for example: --slug {suggest_slug(slug) or day.isoformat()}",
            )
        candidates = iter([slug])
    else:
        stem = suggest_slug(title) if re.search(r"[A-Za-z]", title) else day.isoformat()
        candidates = iter([stem, *(f"{stem}-{n}" for n in range(2, 1000))])
    lang = config.publication.lang
    text = (
        front_matter(title.strip(), day.isoformat(), "")
        + "\n"
        + BODY_PLACEHOLDER.get(base_language(lang), BODY_PLACEHOLDER["en"])
    )
    for candidate in candidates:
        path = confine(
            config.issues_dir / f"{candidate}.md",
            config.root,
            ToolkitError,
            action="write into issues/",
            hint="notice writes only inside the publication: make issues/ a folder of its own",
        )
        try:
            create_exclusive(path, text.encode("utf-8"))
            return path
        except FileExistsError:
            continue
    raise ToolkitError(
        f"issues/{slug}.md already exists; new never overwrites an issue",
        hint="choose another --slug, or edit the existing file",
    )


def front_matter(title: str, date: str, preheader: str) -> str:
    return f"---\ntitle: {_quote(title)}\ndate: {date}\nstatus: draft\npreheader: {_quote(preheader)}\n---\n"


def _parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ToolkitError(f"--date '{text}' is not a date", hint="write it as YYYY-MM-DD, e.g. 2018-07-13") from None


def _check_settings(values: dict[str, str]) -> None:
    """Refuse --name or --lang values that every later command would refuse in notice.toml
    (issue 14): the same declared checks, worded for the option."""
    for key, value in values.items():
        _check_text(f"--{key}", value)
    _, problems = read_mapping(PublicationSettings, values, "publication")
    if problems:
        name, message, hint = problems[0]
        raise ToolkitError(f"--{name}: {message}", hint=hint)


def _check_text(what: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 on the command line arrive as surrogates
        raise ToolkitError(f"the {what} is not UTF-8 text", hint="give it in UTF-8") from None


def _quote(text: str) -> str:
    """A double-quoted string that is valid in both YAML and TOML.

    JSON escapes the C0 controls, quotes and backslashes; DEL and the C1 controls it leaves
    raw, and TOML (strings) and YAML (its printable set) refuse them raw, so they become
    \\uXXXX, which both read.
    """
    return re.sub(r"[\x7f-\x9f]", lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))
