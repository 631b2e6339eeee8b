"""Active content out of the author's HTML, on the parsed tree, and a word about each removal.

Issue 14, item 5: a regular expression over HTML is not a sanitizer (``<scr<script></script>
ipt>`` put a working ``<script>`` back together). The fragment Markdown makes of an issue's
body, a record's note or a corrected passage is cleaned by nh3, the Python binding of the
maintained Rust sanitizer ammonia, which parses it with html5ever, the HTML5 parsing algorithm
browsers use, keeps an allow-list of elements, attributes and URL schemes and serialises the
tree again. Only the author's fragment: the theme (MSO conditional comments, VML) is not author
input and is never passed here.

nh3 does not say what it took out, and an author whose embed silently vanished never learns
why. So the same fragment is walked first with lxml (libxml2 2.14 tokenises HTML as HTML5
does) and every element, attribute and URL outside the allow-list becomes a `Removal`. The
walk only reports; nh3 alone decides what is kept, so a parser difference on hostile input can
cost a line of the report, never safety.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import nh3

#: What a newsletter's body is made of: Markdown's own output, and the raw HTML authors of
#: email write by hand (tables, <font>, <center>, <span style>): ammonia's defaults, plus
#: <video> and <audio>, which run no code (Apple Mail plays them; `check` says who does not).
TAGS = frozenset(
    {
        "audio",
        "picture",
        "source",
        "track",
        "video",
        "a",
        "abbr",
        "acronym",
        "address",
        "article",
        "aside",
        "b",
        "bdi",
        "bdo",
        "big",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "data",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "font",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "main",
        "mark",
        "nav",
        "ol",
        "p",
        "pre",
        "q",
        "rp",
        "rt",
        "rtc",
        "ruby",
        "s",
        "samp",
        "section",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "tt",
        "u",
        "ul",
        "var",
        "wbr",
    }
)
#: Removed together with everything inside them: their content is code, not text.
CONTENT_TAGS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "noscript",
        "template",
        "textarea",
        "select",
        "svg",
        "math",
        "noembed",
        "noframes",
        "xmp",
        "title",
    }
)
#: Attributes every kept element may carry: inline styles are how email is styled.
GENERIC_ATTRIBUTES = frozenset(
    {
        "id",
        "class",
        "style",
        "title",
        "lang",
        "dir",
        "align",
        "valign",
        "width",
        "height",
        "bgcolor",
        "border",
        "role",
        "hidden",
    }
)
ATTRIBUTES = {
    "a": {"href", "name", "target", "hreflang", "rel", "type"},
    "img": {"src", "alt"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value"},
    "table": {"cellpadding", "cellspacing", "summary", "frame", "rules"},
    "td": {"colspan", "rowspan", "headers", "nowrap", "scope"},
    "th": {"colspan", "rowspan", "headers", "nowrap", "scope", "abbr"},
    "col": {"span"},
    "colgroup": {"span"},
    "del": {"datetime", "cite"},
    "ins": {"datetime", "cite"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "video": {"src", "poster", "controls", "autoplay", "loop", "muted", "playsinline", "preload"},
    "audio": {"src", "controls", "autoplay", "loop", "muted", "preload"},
    "source": {"src", "type", "media"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "time": {"datetime"},
    "data": {"value"},
    "font": {"color", "face", "size"},
    "details": {"open"},
}
ATTRIBUTE_PREFIXES = frozenset({"data-", "aria-"})
#: ammonia's default schemes (http, https, mailto, tel, ...) and cid:, the images of a message.
#: javascript:, vbscript:, data: and file: are not among them.
URL_SCHEMES = frozenset(
    {
        "bitcoin",
        "cid",
        "ftp",
        "ftps",
        "geo",
        "http",
        "https",
        "im",
        "irc",
        "ircs",
        "magnet",
        "mailto",
        "mms",
        "mx",
        "news",
        "nntp",
        "openpgp4fpr",
        "sip",
        "sms",
        "smsto",
        "ssh",
        "tel",
        "url",
        "webcal",
        "wtai",
        "xmpp",
    }
)
URL_ATTRIBUTES = ("href", "src", "cite", "poster")
#: What issue 14 names as active: it runs code, posts data or embeds another page.
ACTIVE = ("script", "iframe", "object", "embed", "form")


@dataclass(frozen=True)
class Removal:
    """One thing the sanitizer takes out; *needle* finds where the author wrote it."""

    rule: str  # the `notice check` rule that lists it: active-content or url-unsafe
    what: str
    needle: str
    offset: int | None = None  # in the Markdown it came from, once located

    @property
    def message(self) -> str:
        return f"{self.what} was removed from every rendering"

    @property
    def hint(self) -> str:
        if self.rule == "url-unsafe":
            return "use an https:// address on the web instead"
        return (
            "an email and its web page keep text, links, images, tables and inline styles, and no "
            "scripts, forms, frames, embeds or event handlers: remove it, and link to a web page "
            "for anything interactive"
        )


_cleaner: Any = None


def cleaner() -> Any:
    """One nh3 cleaner per process: building it costs more than cleaning an issue."""
    global _cleaner
    if _cleaner is None:
        attributes = {tag: set(names) for tag, names in ATTRIBUTES.items()}
        attributes["*"] = set(GENERIC_ATTRIBUTES)
        _cleaner = nh3.Cleaner(
            tags=set(TAGS),
            clean_content_tags=set(CONTENT_TAGS),
            attributes=attributes,
            generic_attribute_prefixes=set(ATTRIBUTE_PREFIXES),
            url_schemes=set(URL_SCHEMES),
            link_rel=None,
            strip_comments=True,
        )
    return _cleaner


def sanitize(html: str, *, generated: bool = False) -> tuple[str, list[Removal]]:
    """*html* with active content removed, and what was removed, in document order.

    HTML comments go too, unreported: an author's comment is a note that nobody reads anyway.
    *generated* says that Python-Markdown wrote all of *html* (no raw HTML of the author's
    in it): then what is removed is read from its tags by `quick_removals` when it can be.
    """
    if "<" not in html:
        return html, []
    removals = quick_removals(html) if generated else None
    return cleaner().clean(html), find_removals(html) if removals is None else removals


def find_removals(html: str) -> list[Removal]:
    """Every element, attribute and URL of *html* that the allow-list does not keep, in order."""
    import lxml.etree  # lazy (see test_imports): only for raw HTML, nine issues in ten have none
    import lxml.html  # lazy

    try:
        document = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):  # nothing but whitespace or comments
        return []
    found: list[Removal] = []
    for element in document.iter():
        tag = element.tag
        if not isinstance(tag, str) or tag in _WRAPPER:
            continue  # a comment, or the parser's <html>, <head> and <body> around the fragment
        if tag not in TAGS:
            if not any(a.tag in CONTENT_TAGS for a in element.iterancestors()):  # else gone with it, said once
                found.append(Removal("active-content", f"<{tag}>", rf"<{re.escape(tag)}(?![\w-])"))
            continue
        for name, value in element.items():  # lxml gives str for an HTML tree (its stubs allow bytes)
            name = str(name)
            if name not in GENERIC_ATTRIBUTES and not name.startswith(_PREFIXES):
                _check_attribute(tag, name.lower(), str(value), found)
    return found


# Python-Markdown's serialiser writes every tag so, attribute values double-quoted with "<",
# ">", '"' and "&" escaped (markdown.serializers._escape_attrib_html), and text escaped.
_GENERATED_TAG = re.compile(r'<(/?)([a-z][a-z0-9]*)((?: [a-z][a-z0-9-]*(?:="[^"<>]*")?)*)(?: /)?>')
_GENERATED_ATTRIBUTE = re.compile(r' ([a-z][a-z0-9-]*)(?:="([^"]*)")?')
# What libxml2 might read otherwise than a browser, or stop at: then lxml's walk answers.
_UNUSUAL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def quick_removals(html: str) -> list[Removal] | None:
    """What `find_removals` finds in *html*, read from its tags without parsing it, or None
    when this cannot be sure to find the same.

    Issue 13: parsing the fragment with lxml and walking it was a quarter of the sanitizer's
    time, for the nine issues in ten that hold no HTML of the author's. Markdown's own output
    is regular: every ``<`` opens one of its tags, its elements are all kept, and only an
    attribute from an attribute list (``{: onclick=... }``) or a link's URL can be removed.
    Anything else (a tag that is not kept, an attribute name lxml may read otherwise, a URL
    with a character reference, a control character) is left to `find_removals`;
    `tests/test_sanitize.py` compares both.
    """
    tags = _GENERATED_TAG.findall(html)
    if len(tags) != html.count("<") or _UNUSUAL.search(html):
        return None  # a "<" that opens no tag Markdown writes
    # The names all at once, and then only the tags with attributes (7 of an issue's 117): a
    # Python step for every tag was a third of this function's 0.09 ms an issue (issue 13).
    # Whichever tag answers None, the answer is None, so the order of the checks is free.
    if not TAGS.issuperset(map(_NAME, tags)):
        return None
    found: list[Removal] = []
    for closing, tag, attributes in filter(_ATTRIBUTES, tags):
        if closing:
            return None
        names: set[str] = set()
        for name, value in _GENERATED_ATTRIBUTE.findall(attributes):
            if name in names:
                return None
            names.add(name)
            if name in GENERIC_ATTRIBUTES or name.startswith(_PREFIXES):
                continue
            if name in URL_ATTRIBUTES and ("&" in value or _UNUSUAL.search(value) or "\t" in value or "\n" in value):
                return None
            _check_attribute(tag, name, value, found)
    return found


_NAME, _ATTRIBUTES = itemgetter(1), itemgetter(2)  # of a `_GENERATED_TAG` match: (closing, name, attributes)
_WRAPPER = frozenset({"html", "head", "body"})
_PREFIXES = tuple(ATTRIBUTE_PREFIXES)


def _check_attribute(tag: str, name: str, value: str, found: list[Removal]) -> None:
    if name not in ATTRIBUTES.get(tag, ()):
        found.append(
            Removal(
                "active-content",
                f"the {name} attribute of <{tag}>",
                rf"(?<![\w-]){re.escape(name)}\s*=|(?<![\w-]){re.escape(name)}(?![\w-])",
            )
        )
    elif name in URL_ATTRIBUTES:
        scheme = url_scheme(value)
        if scheme and scheme not in URL_SCHEMES:
            found.append(
                Removal(
                    "url-unsafe",
                    f"the {scheme}: URL of <{tag}> ({_short(value)})",
                    rf"{re.escape(value.strip())}|(?<![\w-]){re.escape(scheme)}\s*:",
                )
            )


def url_scheme(url: str) -> str:
    """The scheme a browser reads in *url*, lowercased; "" for a relative URL.

    As the WHATWG URL parser (and ammonia, through it) reads it: leading and trailing C0
    controls and spaces are stripped and tabs and newlines removed anywhere, so
    ``java&#9;script:`` is javascript: too.
    """
    cleaned = _URL_BREAKS.sub("", url).strip(_URL_EDGES)
    match = _SCHEME.match(cleaned)
    return match[1].lower() if match else ""


# Compiled once: `re.sub` and `re.match` look their pattern up in re's cache on every call,
# and every link of every issue comes here (issue 13).
_URL_BREAKS = re.compile(r"[\t\n\r]")
_URL_EDGES = "".join(map(chr, range(0x20))).replace("\t", "").replace("\n", "").replace("\r", "") + " "
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")


def _short(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def locate(removals: list[Removal], text: str, raw_spans: list[tuple[int, int]]) -> list[Removal]:
    """Each removal with its offset in the Markdown *text*.

    The k-th removal with the same needle takes the k-th place where the needle occurs,
    places inside raw HTML (*raw_spans*, what Python-Markdown stashed) first: a ``<script>``
    in a code span is text, shown as written, and never the one removed.
    """
    seen: dict[str, int] = {}
    located = []
    for removal in removals:
        starts = [m.start() for m in re.finditer(removal.needle, text, re.IGNORECASE)]
        raw = [s for s in starts if any(a <= s < b for a, b in raw_spans)]
        candidates = raw + [s for s in starts if s not in raw]
        k = seen.get(removal.needle, 0)
        seen[removal.needle] = k + 1
        offset = candidates[min(k, len(candidates) - 1)] if candidates else None
        located.append(Removal(removal.rule, removal.what, removal.needle, offset))
    return located
