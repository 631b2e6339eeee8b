"""Markdown to an HTML fragment, once per issue; every rendering starts from that fragment.

Python-Markdown with the extensions a newsletter needs, plus one small treeprocessor that
makes links and images absolute against the publication's ``base_url``: a relative link
means nothing inside a mail client.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = ("tables", "footnotes", "attr_list", "fenced_code", "sane_lists")


class AbsoluteURLs(Treeprocessor):
    """Resolve ``a[href]`` and ``img[src]`` against base_url; in-page anchors stay as they are."""

    def __init__(self, md: markdown.Markdown, base_url: str) -> None:
        super().__init__(md)
        self.base_url = base_url

    def run(self, root: Element) -> None:
        for element in root.iter():
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            value = element.get(attribute) if attribute else None
            if value is not None:
                element.set(attribute, absolute_url(value, self.base_url))


class AbsoluteURLExtension(Extension):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After the inline patterns (priority 20) have made the <a> and <img> elements.
        md.treeprocessors.register(AbsoluteURLs(md, self.base_url), "notice_absolute_urls", 5)


def absolute_url(url: str, base_url: str) -> str:
    """*url* made absolute against *base_url*; anchors, schemes and empty bases pass through."""
    url = url.strip()
    if not base_url or not url or url.startswith("#") or urlsplit(url).scheme:
        return url
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", url)


#: Active content an author may paste as raw HTML. Mail clients strip it, and it has no place
#: in a newsletter's web page either, so it is dropped here, once, for every rendering.
_ACTIVE = re.compile(r"<(script|iframe|object|embed)\b[^>]*>.*?</\1\s*>|<(?:script|iframe|object|embed)\b[^>]*>",
                     re.IGNORECASE | re.DOTALL)


def render_markdown(text: str, *, base_url: str = "") -> str:
    """The HTML fragment for one issue body.

    A fresh converter per call: footnote ids and the raw-HTML stash are per-document state,
    and building one costs well under a millisecond.
    """
    converter = markdown.Markdown(
        extensions=[*EXTENSIONS, AbsoluteURLExtension(base_url)],
        extension_configs={"footnotes": {"UNIQUE_IDS": False}},
        output_format="html",
    )
    return _ACTIVE.sub("", converter.convert(text))
