"""The theme's components (issue 11): a button, boxes and figures, written in plain Markdown.

Three stages, so that the author's HTML is sanitized before anything of the theme's joins it:

1. `ComponentsExtension`, in Python-Markdown, gives the shared fragment its meaning:
   ``!!! note "営業時間の変更"`` (the ``admonition`` extension) becomes ``<aside class="box
   box-note" role="note">`` with a ``<p class="box-title">``; an image followed by an italic
   line in the same paragraph, or a paragraph marked ``{: .caption }``, becomes a
   ``<figure>`` with its ``<figcaption>``; ``[今すぐ登録](https://example.jp/join){: .button }``
   is already ``<a class="button">`` (attr_list). That fragment is sanitized like any other
   (toolkit.sanitize keeps aside, figure, class and role) and is what the web page, the feeds
   and the plain text (toolkit.plaintext) show.
2. `localize` gives an untitled box its label in the issue's language (toolkit.labels).
3. `email_components`, on the sanitized fragment, only for email.html, turns each of them into
   what mail clients render: tables with the colour on the cell, and for a button the VML
   ``v:roundrect`` that Outlook on Windows draws instead (it ignores padding on links and
   border-radius). The VML and the MSO conditional comments are written here, after the
   sanitizer, which would strip them (and still strips and reports the author's own).

The button follows MJML's ``mj-button`` (packages/mjml-button/src/index.ts: a
``role="presentation"`` table, ``bgcolor`` and ``border-radius`` on the td, the link
``display: inline-block`` carrying the padding, so the whole cell is the link) and Campaign
Monitor's buttons.cm (https://buttons.cm/, also cited by caniemail's css-border-radius notes for
Outlook on Windows: a ``v:roundrect`` with ``<w:anchorlock/>`` and a ``<center>`` label in
``<!--[if mso]>``, the HTML button hidden from Outlook by ``<!--[if !mso]><!-->``).
"""

from __future__ import annotations

import functools
import html
import re
from xml.etree.ElementTree import Element, SubElement

import markdown
from markdown.extensions import Extension
from markdown.extensions.admonition import AdmonitionProcessor
from markdown.treeprocessors import Treeprocessor

from .inline import top_level_rules
from .limits import CONTENT_WIDTH  # the widest a button is drawn, as an image is
from .wrapping import display_width

#: Box styles by admonition type; a type not listed is drawn as a note.
BOX_STYLES = {
    "note": "note",
    "info": "note",
    "tip": "tip",
    "hint": "tip",
    "success": "tip",
    "warning": "warning",
    "important": "warning",
    "caution": "warning",
    "attention": "warning",
    "danger": "warning",
    "error": "warning",
}
#: The class Python-Markdown's admonition block gets from `_UntitledMarker` for ``!!! note``
#: written without a title: its label comes later, in the issue's language (`localize`).
UNTITLED = "notice-untitled"

# --- 1. Markdown -----------------------------------------------------------------------------


class _UntitledMarker(AdmonitionProcessor):
    """The admonition extension's block processor, marking a box written without a title:
    Python-Markdown titles it with its English type ("Note"), and a Japanese issue needs お知らせ."""

    #: A document without this has no box: toolkit.markup's block parser leaves this
    #: processor out for it (its test is the first of every block's).
    document_needles = ("!!!",)

    def get_class_and_title(self, match: re.Match[str]) -> tuple[str, str | None]:
        klass, title = super().get_class_and_title(match)
        return (f"{klass} {UNTITLED}", title) if match.group(2) is None else (klass, title)

    def test(self, parent: Element, block: str) -> bool:
        """The admonition extension's test, without its search of the whole block when the
        block has no ``!!!``: it runs first of all block tests, on every block (issue 13). In a
        document without one (toolkit.markup's ``notice_text``) there is no box to continue."""
        if "!!!" in block and self.RE.search(block):
            return True
        text = getattr(self.parser.md, "notice_text", None)
        if text is not None and "!!!" not in text:
            return False
        return self.parse_content(parent, block)[0] is not None


class ComponentTree(Treeprocessor):
    """Boxes to ``<aside>``, captioned images to ``<figure>``: the fragment every output shares."""

    def run(self, root: Element) -> None:
        if next(root.iter("img"), None) is None:
            # Most issues: no figure, so at most boxes; a footnote's <div> made every element's
            # children walked (issue 13).
            for div in list(root.iter("div")):
                if "admonition" in div.get("class", "").split():
                    _box(div)
            return
        for parent in list(root.iter()):
            for child in list(parent):
                if child.tag == "div" and "admonition" in child.get("class", "").split():
                    _box(child)
            _figures(parent)


def _box(div: Element) -> None:
    classes = div.get("class", "").split()
    kind = next((c for c in classes if c not in ("admonition", UNTITLED)), "note")
    div.tag = "aside"
    div.attrib.clear()
    div.set("class", f"box box-{BOX_STYLES.get(kind, 'note')}")
    div.set("role", "note")  # not a complementary landmark: it belongs to the text around it
    title = div[0] if len(div) and div[0].get("class") == "admonition-title" else None
    if title is not None:
        title.set("class", "box-title")
        if UNTITLED in classes:
            title.set("data-untitled", kind)


def _figures(parent: Element) -> None:
    """Each paragraph of *parent* that is an image and its caption, as a ``<figure>``."""
    children = list(parent)
    taken: set[int] = set()
    for index, p in enumerate(children):
        image = _leading_image(p) if p.tag == "p" and id(p) not in taken else None
        if image is None:
            continue
        lead, rest = image.tail or "", list(p)[1:]
        if rest and rest[0].tag == "br" and not lead.strip():  # the image's line ended in two spaces
            lead, rest = rest[0].tail or "", rest[1:]
        classes = p.get("class", "").split()
        following = children[index + 1] if index + 1 < len(children) else None
        if "caption" in classes:  # the image and its caption, one paragraph marked {: .caption }
            caption = (lead, rest)
        elif len(rest) == 1 and rest[0].tag == "em" and not lead.strip() and not (rest[0].tail or "").strip():
            caption = (rest[0].text or "", list(rest[0]))  # an image, and an italic line under it
        elif not rest and not lead.strip() and following is not None and _is_caption(following):
            caption = (following.text or "", list(following))  # the caption, a paragraph of its own
            parent.remove(following)
            taken.add(id(following))
        else:
            continue
        _make_figure(p, image, *caption, [c for c in classes if c != "caption"])


def _is_caption(element: Element) -> bool:
    return element.tag == "p" and "caption" in element.get("class", "").split()


def _leading_image(p: Element) -> Element | None:
    """The paragraph's first child when it is an image, or a link around only an image."""
    if (p.text or "").strip() or not len(p):
        return None
    first = p[0]
    if first.tag == "img":
        return first
    if first.tag == "a" and len(first) == 1 and first[0].tag == "img" and not (first.text or "").strip():
        return first if not (first[0].tail or "").strip() else None
    return None


def _make_figure(p: Element, image: Element, text: str, children: list[Element], classes: list[str]) -> None:
    tail = p.tail
    for child in list(p):
        p.remove(child)
    p.attrib.clear()
    p.tag, p.text, p.tail = "figure", None, tail
    p.set("class", " ".join(["figure", *classes]))
    image.tail = None
    p.append(image)
    if not text.strip() and not children:
        return  # {: .caption } on an image alone: a figure with nothing to say under it
    caption = SubElement(p, "figcaption")
    caption.text = text.strip()
    for child in children:
        caption.append(child)
    if len(caption):
        caption[-1].tail = (caption[-1].tail or "").rstrip()


class ComponentsExtension(Extension):
    """``admonition`` with untitled boxes marked, and the tree processor above."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.registerExtension(self)
        md.parser.blockprocessors.register(_UntitledMarker(md.parser), "admonition", 105)
        # After the inline patterns (20) and attr_list (8), before the absolute URLs (5).
        md.treeprocessors.register(ComponentTree(md), "notice_components", 7)


# --- 2. labels -------------------------------------------------------------------------------

_UNTITLED_TITLE = re.compile(r'<p class="box-title" data-untitled="([\w-]+)">[^<]*</p>')


def localize(fragment: str, labels: dict[str, str]) -> str:
    """Untitled boxes titled in the issue's language: ``box_note`` of toolkit.labels."""
    if "data-untitled" not in fragment:
        return fragment

    def title(match: re.Match[str]) -> str:
        label = labels.get(f"box_{BOX_STYLES.get(match[1], 'note')}", match[1].capitalize())
        return f'<p class="box-title">{html.escape(label, quote=False)}</p>'

    return _UNTITLED_TITLE.sub(title, fragment)


# --- 3. the email ----------------------------------------------------------------------------

#: Where the theme keeps the button's colours: the `.button` rule of email.css.
BUTTON_RULE = ".button"
FALLBACK_COLOURS = ("#1d4ed8", "#ffffff")
BUTTON_HEIGHT = 44  # px: a 20 px line and 12 px of padding above and below (email.css)
BUTTON_PADDING = 24  # px left and right (email.css)
COLUMN_PX = 9  # px per display column of a bold 16 px label (a kanji is two columns, 16-18 px)

_ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')
_LINK = r"<a\b([^>]*)>((?:(?!</a>).)*)</a>"  # a link's label never holds another link
_BUTTON = re.compile(_LINK, re.S)
# A paragraph of nothing but buttons: one inside a sentence stays a styled inline link.
_BUTTONS = re.compile(
    r'<p>((?:\s*<a\b[^>]*\bclass="(?:[^"]*\s)?button(?:\s[^"]*)?"[^>]*>(?:(?!</a>).)*</a>)+)\s*</p>', re.S
)
_FIGURE = re.compile(r'<figure class="figure[^"]*">\s*(.*?)\s*(?:<figcaption>(.*?)</figcaption>)?\s*</figure>', re.S)
_BOX = re.compile(r'<aside class="box (box-[\w-]+)" role="note">((?:(?!<aside\b).)*?)</aside>', re.S)
_TAG = re.compile(r"<[^>]*>")
_DELETED = re.compile(r"<del\b.*?</del>", re.S)


@functools.lru_cache(maxsize=8)
def button_colours(css: str) -> tuple[str, str]:
    """The button's background and text colour, from the theme's `.button` rule: one place
    for both the CSS that is inlined and the VML's fillcolor, which no CSS reaches."""
    background, text = FALLBACK_COLOURS
    for rule in top_level_rules(css):
        prelude, _, block = rule.partition("{")
        if BUTTON_RULE not in [s.strip() for s in prelude.split(",")]:
            continue
        for name, value in re.findall(r"([\w-]+)\s*:\s*([^;}]+)", block):
            value = value.replace("!important", "").strip()
            if name == "background-color":
                background = value
            elif name == "color":
                text = value
    return background, text


def button_urls(document: str) -> set[str]:
    """The addresses of the buttons of *document*, unescaped: the plain text writes them in place."""
    urls = set()
    for link in _BUTTON.finditer(document) if "button" in document else ():
        attributes = dict(_ATTRIBUTE.findall(link[1]))
        if "button" in attributes.get("class", "").split() and attributes.get("href"):
            urls.add(html.unescape(attributes["href"]))
    return urls


def email_components(fragment: str, colours: tuple[str, str] | None = None) -> str:
    """The sanitized fragment with its buttons, boxes and figures as mail clients need them."""
    colours = colours or FALLBACK_COLOURS
    if "button" in fragment:
        fragment = _BUTTONS.sub(
            lambda m: "\n".join(_email_button(b, colours) for b in _BUTTON.finditer(m[1])), fragment
        )
    if "<figure" in fragment:
        fragment = _FIGURE.sub(_email_figure, fragment)
    while "<aside" in fragment:  # innermost first: a box may hold another
        fragment, count = _BOX.subn(_email_box, fragment)
        if not count:
            break
    return fragment


def _email_button(link: re.Match[str], colours: tuple[str, str]) -> str:
    attributes = dict(_ATTRIBUTE.findall(link[1]))
    href, label = attributes.get("href", ""), link[2]
    background, text = (html.escape(c, quote=True) for c in colours)
    # Text only, and a corrected label's new words only (its struck ones are the <del>).
    words = " ".join(html.unescape(_TAG.sub("", _DELETED.sub("", label))).split())
    width = min(CONTENT_WIDTH, display_width(words, ambiguous_width=2) * COLUMN_PX + 2 * BUTTON_PADDING)
    vml = (
        '<!--[if mso]><v:roundrect xmlns:v="urn:schemas-microsoft-com:vml" '
        f'xmlns:w="urn:schemas-microsoft-com:office:word" href="{href}" '
        f'style="height:{BUTTON_HEIGHT}px;v-text-anchor:middle;width:{width}px;" arcsize="14%" stroke="f" '
        f'fillcolor="{background}"><w:anchorlock/><center style="color:{text};font-family:Helvetica,Arial,'
        f'Meiryo,sans-serif;font-size:16px;font-weight:bold;">{html.escape(words, quote=False)}</center>'
        "</v:roundrect><![endif]-->"
    )
    return (
        f'{vml}<!--[if !mso]><!--><table role="presentation" class="button-table" cellpadding="0" '
        f'cellspacing="0" border="0"><tr><td class="button-cell" bgcolor="{background}" align="center" '
        f'valign="middle">{link[0]}</td></tr></table><!--<![endif]-->'
    )


def _email_figure(match: re.Match[str]) -> str:
    caption = (match[2] or "").strip()
    rows = f'<tr><td class="figure-image">{match[1]}</td></tr>'
    if caption:
        rows += f'\n<tr><td class="figure-caption">{caption}</td></tr>'
    return (
        '<table role="presentation" class="figure" width="100%" cellpadding="0" cellspacing="0" border="0">'
        f"\n{rows}\n</table>"
    )


def _email_box(match: re.Match[str]) -> str:
    return (
        f'<table role="presentation" class="box {match[1]}" width="100%" cellpadding="0" cellspacing="0" '
        f'border="0"><tr><td class="box-cell">{match[2]}</td></tr></table>'
    )
