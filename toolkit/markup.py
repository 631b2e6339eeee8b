"""Markdown to an HTML fragment, once per issue; every rendering starts from that fragment.

Python-Markdown with the extensions a newsletter needs, plus one small treeprocessor that
makes links and images absolute against the publication's ``base_url``: a relative link
means nothing inside a mail client. The fragment is then sanitized (toolkit.sanitize): raw
HTML an author pastes keeps its tables and inline styles and loses its scripts, and every
rendering (email, web page, plain text, correction notices) starts from that clean fragment.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .components import ComponentsExtension
from .sanitize import Removal, locate, sanitize

#: attr_list also gives a link its class: ``[Join](https://...){: .button }`` (issue 11).
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
            if attribute and value is not None:
                element.set(attribute, absolute_url(value, self.base_url))


class IssueImages(Protocol):
    """What the treeprocessor asks of `toolkit.images.IssueImages` (not imported: it reads issues)."""

    def resolve(self, src: str) -> Any: ...

    def url(self, image: Any) -> str: ...


class LocalImages(Treeprocessor):
    """``img[src]`` naming a file of the publication -> its published copy (toolkit.images,
    issue 11): the hashed URL under base_url, and width and height from the file.

    An author's ``{: width="300" }`` wins (attr_list runs before): it is the size they chose;
    the height follows the file's proportions unless they gave one too (and a height alone
    gives the width).
    """

    images: IssueImages | None = None  # set for each document by `render_fragment`

    def run(self, root: Element) -> None:
        if self.images is None:
            return
        for element in root.iter("img"):
            image = self.images.resolve(element.get("src") or "")
            if image is None:
                continue
            element.set("src", self.images.url(image))
            if image.size is None:  # an SVG without width, height or viewBox: `image-width` says so
                continue
            width, height = image.size
            given = element.get("width", "").strip().removesuffix("px")
            given_height = element.get("height", "").strip().removesuffix("px")
            if given and not (given.isdigit() and int(given) > 0):
                continue  # width="100%": the author's, and no pixel height follows from it
            if given:
                width, height = int(given), max(1, round(int(given) * height / width))
            elif given_height.isdigit() and int(given_height) > 0:  # only a height: the width follows
                width, height = max(1, round(int(given_height) * width / height)), int(given_height)
            element.set("width", str(width))
            if not element.get("height"):
                element.set("height", str(height))


class AbsoluteURLExtension(Extension):
    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After the inline patterns (priority 20) have made the <a> and <img> elements, and
        # attr_list (8) has set the author's attributes.
        md.treeprocessors.register(LocalImages(md), "notice_local_images", 6)
        md.treeprocessors.register(AbsoluteURLs(md, self.base_url), "notice_absolute_urls", 5)


def absolute_url(url: str, base_url: str) -> str:
    """*url* made absolute against *base_url*; anchors, schemes and empty bases pass through."""
    url = url.strip()
    if not base_url or not url or url.startswith("#") or urlsplit(url).scheme:
        return url
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", url)


@dataclass(frozen=True)
class Fragment:
    """An HTML fragment, and what the sanitizer removed from it (offsets in the Markdown)."""

    html: str
    removed: tuple[Removal, ...] = ()


def render_markdown(text: str, *, base_url: str = "", images: IssueImages | None = None) -> str:
    """The sanitized HTML fragment for one issue body, note or passage."""
    return render_fragment(text, base_url=base_url, images=images).html


def render_fragment(text: str, *, base_url: str = "", images: IssueImages | None = None) -> Fragment:
    """The HTML fragment for *text*, active content removed on the parsed tree (toolkit.sanitize),
    and each removal located in *text* through Python-Markdown's raw-HTML stash.

    One converter per base URL and thread, reset before each document: `Markdown.reset`
    clears the per-document state (footnotes, references, the raw-HTML stash), and building
    a converter was a sixth of the Markdown time of a build (issue 13). *images* resolves the
    issue's local images (toolkit.images); without it they are only made absolute.
    """
    converters = _CONVERTERS.__dict__.setdefault("by_base", {})
    converter = converters.get(base_url)
    if converter is None:
        converter = converters[base_url] = markdown.Markdown(
            # Boxes (admonition) and figures: toolkit.components (issue 11).
            extensions=[*EXTENSIONS, ComponentsExtension(), AbsoluteURLExtension(base_url)],
            extension_configs={"footnotes": {"UNIQUE_IDS": False}},
            output_format="html",
        )
    converter.reset()
    local_images = converter.treeprocessors["notice_local_images"]
    local_images.images = images
    try:
        html, removals = sanitize(converter.convert(text))
    finally:
        local_images.images = None
    if not removals:
        return Fragment(html)
    return Fragment(html, tuple(locate(removals, text, raw_spans(text, converter.htmlStash.rawHtmlBlocks))))


_CONVERTERS = threading.local()


def raw_spans(text: str, blocks: list[Any]) -> list[tuple[int, int]]:
    """Where in *text* the raw HTML that Markdown stashed (blocks and inline tags) was written."""
    spans = []
    for block in {str(b) for b in blocks if str(b).strip()}:
        start = text.find(block)
        while start >= 0:
            spans.append((start, start + len(block)))
            start = text.find(block, start + 1)
    return spans
