"""The email rules of `notice check`: small functions over one built email.

`check` builds every issue privately, then hands each built email (the issue's, and each
correction notice's: readers get those too) to every rule in :data:`RULES`. A rule yields
`Diagnostic`s; `check` names them with the rule's id and drops the switched-off ones.

Each problem points where the author can fix it (`BuiltEmail.locate`): the line of the issue's
Markdown that holds the offending text, else the record or notice.toml line it came from, else
the theme file, and only when nothing better exists the built file.

The figures come from shared/email-facts.md and the sources named beside them; client support
from the caniemail data set (caniemail.com, MIT, © Rémi Parmentier), extracted into
toolkit/data/caniemail.json by scripts/refresh_caniemail.py. Only `check` imports this module.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from .built_email import BuiltEmail
from .config import Config, line_of
from .errors import Diagnostic
from .images import FORMATS, HASHED_RE, IMAGE_FOLDER, original_name
from .inline import top_level_rules  # the inliner's own splitter: one way to read the theme
from .issue_state import subject_of
from .labels import ambiguous_width
from .limits import (
    EMAIL_IMAGES_KB,
    GMAIL_CLIP_BYTES,
    GMAIL_CLIP_KB,
    NEAR_CLIP_BYTES,
    PREHEADER_COLUMNS,
    STYLE_BYTES,
    SUBJECT_COLUMNS,
)
from .services import is_tag
from .source import Issue
from .wrapping import display_width

DATA = Path(__file__).parent / "data" / "caniemail.json"

#: Active content: every client strips it, and a filter may mark the mail as hostile.
ACTIVE_ELEMENTS = ("script", "form", "iframe", "object", "embed")
UNSAFE_SCHEMES = ("javascript", "vbscript", "file")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")
#: Elements whose dropped tag loses nothing a reader needs: <time> (the errata dates) keeps
#: its text, the date; only its machine-readable datetime and grey colour go.
TEXT_ONLY_ELEMENTS = ("time",)

#: Initial values of properties that are not inherited: a client that drops such a declaration
#: renders that value anyway, so nothing is lost (the theme's image reset: `outline: none`,
#: `height: auto`). Not for width and height when the element's own attribute would win instead
#: (a pixel one: a local image's ``height="auto"`` in the email is what the CSS says too).
INITIAL_VALUES = {
    "outline": "none",
    "height": "auto",
    "width": "auto",
    "min-height": "auto",
    "min-width": "auto",
    "max-height": "none",
    "max-width": "none",
    "box-shadow": "none",
    "float": "none",
    "clear": "none",
    "transform": "none",
    "filter": "none",
    "position": "static",
    "z-index": "auto",
    "opacity": "1",
    "overflow": "visible",
    "border-radius": "0",
    "background-image": "none",
}

LAWS = (
    "Japan's Act on the Regulation of Transmission of Specified Electronic Mail (特定電子メール法) "
    "and the US CAN-SPAM Act"
)


def _setting_line(email: BuiltEmail, key: str) -> tuple[Path, int | None]:
    """notice.toml at ``key =`` in [publication], or at the section, or the file."""
    text = email.sources.config_text
    return email.config.path, line_of(text, "publication", key) or line_of(text, None, "publication")


def _front_line(issue: Issue, key: str) -> int:
    """The front-matter line of *key* (1, the opening fence, when it is not there)."""
    try:
        lines = issue.path.read_text(encoding="utf-8").splitlines()[: issue.body_line]
    except (OSError, UnicodeDecodeError):
        return 1
    return next((n for n, line in enumerate(lines, 1) if re.match(rf"{key}\s*:", line)), 1)


# --- size --------------------------------------------------------------------------------------


def email_size(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Over 102 KB Gmail clips the message: readers lose the footer with the unsubscribe link."""
    size = len(email.html.encode("utf-8"))
    if size > GMAIL_CLIP_BYTES:
        yield Diagnostic(
            "error",
            f"email.html is {size / 1024:.1f} KB: Gmail clips messages over {GMAIL_CLIP_KB} KB",
            email.path,
            None,
            f"shorten the notes, or send the notices one by one (`notice export {email.issue.slug}` writes each); "
            "images do not count"
            if email.notice
            else "shorten the issue or split it in two; images do not count",
        )


def email_size_near(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Near the clip, a correction's errata block can push a corrected issue over it."""
    size = len(email.html.encode("utf-8"))
    if NEAR_CLIP_BYTES < size <= GMAIL_CLIP_BYTES:
        yield Diagnostic(
            "warning",
            f"email.html is {size / 1024:.1f} KB, close to Gmail's {GMAIL_CLIP_KB} KB clipping limit",
            email.path,
            None,
            "shorten the issue; errata added later make it longer",
        )


def style_size(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Gmail ignores a whole <style> block over 16 KB: media queries and dark mode are lost."""
    for style in email.tree.iter("style"):
        size = len((style.text or "").encode("utf-8"))
        if size > STYLE_BYTES:
            path, line = email.locate(template=r"(?m)^[ \t]*@media\b", element=style)  # what fills the block
            yield Diagnostic(
                "warning",
                f"the <style> block is {size / 1024:.1f} KB: Gmail drops one over 16 KB",
                path,
                line,
                "keep only @media and dark-mode rules in email.css's leftover block",
            )


# --- client support (caniemail) ----------------------------------------------------------------


class _Support(NamedTuple):
    clients: dict[str, str]
    features: dict[str, dict[str, Any]]
    by_key: dict[str, list[str]]  # "property:x", "value:x:y", "function:x", "element:x", "link:x" -> slugs
    families: dict[str, list[str]]  # "Gmail" -> its web, iOS, Android and mobile web clients

    def names(self, dropping: set[str]) -> list[str]:
        """The clients that drop a feature, a whole family named once ("Gmail", not its four)."""
        names, covered = [], set()
        for client, name in self.clients.items():
            if client not in dropping or client in covered:
                continue
            family = next((f for f, members in self.families.items() if client in members), None)
            if family and set(self.families[family]) <= dropping:
                names.append(family)
                covered.update(self.families[family])
            else:
                names.append(name)
        return names


@functools.cache
def caniemail() -> _Support:
    """The bundled extract, indexed by what a built email can contain."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    kinds = {
        "properties": "property",
        "values": "value",
        "functions": "function",
        "elements": "element",
        "formats": "format",
        "links": "link",
    }
    index: dict[str, list[str]] = {}
    for slug, feature in data["features"].items():
        for kind, names in feature["match"].items():
            for name in names:
                index.setdefault(f"{kinds[kind]}:{name}", []).append(slug)
    return _Support(data["clients"], data["features"], index, data.get("families", {}))


def declarations(css: str) -> Iterator[tuple[str, str]]:
    """``(property, value)`` pairs of a declaration list, property lowercased."""
    for part in re.split(r";(?![^(]*\))", css):
        name, colon, value = part.partition(":")
        if colon and name.strip():
            yield name.strip().lower(), value.strip()


def _leftover_rules(css: str) -> Iterator[str]:
    """Declaration blocks of the <style> block's plain rules. At-rules (@media, dark mode) are
    skipped: they are the theme's deliberate extras for the clients that read them."""
    for rule in top_level_rules(css):
        if not rule.startswith("@"):
            yield rule.partition("{")[2].rpartition("}")[0]


def _feature_keys(name: str, value: str, element: Any) -> Iterator[tuple[str, str]]:
    """Index keys and a label for one declaration on *element*. mso-* and vendor-prefixed
    properties are for one engine by design, and initial values lose nothing: never reported."""
    bare = re.sub(r"\s*!important\s*$", "", value, flags=re.I).strip().lower()
    if name.startswith(("mso-", "-")):
        return
    if name.startswith("--"):
        yield "function:var", "CSS custom property"
        return
    if INITIAL_VALUES.get(name) == bare and not (
        name in ("width", "height") and element.get(name) not in (None, "", "auto")
    ):
        return
    yield f"property:{name}", f"CSS property `{name}`"
    yield f"value:{name}:{bare}", f"CSS `{name}: {bare}`"
    for function in re.findall(r"([a-z-]+)\(", value.lower()):
        yield f"function:{function}", f"CSS function `{function}()`"


def client_support(email: BuiltEmail) -> Iterator[Diagnostic]:  # noqa: C901 - one pass per kind of caniemail key
    """CSS and elements that a target client drops, once each, with the clients that drop it."""
    support = caniemail()
    hidden = _hidden(email, support)
    uses: dict[str, tuple[str, set[str], tuple[Path, int | None]]] = {}

    def use(key: str, label: str, element: Any, body: str | None, template: str) -> None:
        for slug in support.by_key.get(key, ()):
            dropping = {c for c, v in support.features[slug]["support"].items() if v == "n"}
            dropping -= hidden.get(element, set())  # a client that never shows it loses nothing
            if not dropping:
                continue
            if slug in uses:
                uses[slug][1].update(dropping)
            else:
                uses[slug] = (label, dropping, email.locate(body=body, template=template, element=element))

    for element in email.elements():
        tag = element.tag.lower()
        if tag not in ACTIVE_ELEMENTS and tag not in TEXT_ONLY_ELEMENTS:
            use(f"element:{tag}", f"<{tag}>", element, rf"<{tag}\b", rf"<{tag}\b")
            kind = element.get("type", "").strip().lower()
            if kind:
                use(f"element:{tag}[type={kind}]", f'<{tag} type="{kind}">', element, rf"<{tag}\b", rf"<{tag}\b")
        href = (element.get("href") or "").strip() if tag == "a" else ""
        if href.startswith("#") and len(href) > 1:  # a bare "#" is url-empty's
            use(
                "link:in-page",
                f'an in-page link (href="{href}")',
                element,
                rf"\]\({re.escape(href)}\)",
                r"href\s*=\s*[\"'][^\"']*#",
            )
        for name, value in declarations(element.get("style", "")):
            for key, label in _feature_keys(name, value, element):
                use(
                    key,
                    label,
                    element,
                    rf"style\s*=\s*[\"'][^\"']*(?<![-\w]){re.escape(name)}\s*:",
                    rf"(?<![-\w]){re.escape(name)}\s*:",
                )
    for style in email.tree.iter("style"):
        for block in _leftover_rules(style.text or ""):
            for name, value in declarations(block):
                for key, label in _feature_keys(name, value, style):
                    use(key, label, style, None, rf"(?<![-\w]){re.escape(name)}\s*:")
    for slug, (label, dropping, (path, line)) in uses.items():
        feature = support.features[slug]
        names = support.names(dropping)
        yield Diagnostic(
            "warning",
            f"{label} is not supported by {', '.join(names)}",
            path,
            line,
            f"use it only where the email still reads well without it; see {feature['url']}",
        )


def _hidden(email: BuiltEmail, support: _Support) -> dict[Any, set[str]]:
    """Elements some clients never show, and those clients: Outlook on Windows under
    ``mso-hide: all``; under ``max-height: 0`` with ``overflow: hidden`` (the preheader's
    belt and braces) every client that keeps both, so one that drops ``display: none`` or
    ``opacity`` (Gmail's mobile web client) still hides it."""

    def keeping(slug: str) -> set[str]:
        return {c for c, v in support.features.get(slug, {}).get("support", {}).items() if v != "n"}

    collapsed = keeping("css-max-height") & keeping("css-overflow")
    hidden: dict[Any, set[str]] = {}
    for element in email.elements():
        style = {n: v.lower().strip() for n, v in declarations(element.get("style", ""))}
        clients = {"outlook-windows"} if style.get("mso-hide", "").startswith("all") else set()
        if style.get("max-height") in ("0", "0px") and style.get("overflow") == "hidden":
            clients |= collapsed
        if clients:
            for inner in element.iter():
                hidden.setdefault(inner, set()).update(clients)
    return hidden


# --- images and links --------------------------------------------------------------------------


def _urls(email: BuiltEmail) -> Iterator[tuple[Any, str, str]]:
    """``(element, what, url)`` for every link and image."""
    for element in email.elements():
        for tag, attribute, what in (("a", "href", "link"), ("area", "href", "link"), ("img", "src", "image")):
            # An <img> without src is an empty image; an <a> without href is a plain anchor.
            if element.tag == tag and (element.get(attribute) is not None or tag == "img"):
                url = (element.get(attribute) or "").strip()
                if not is_tag(url, email.config.service):  # a mail service fills it in per reader
                    yield element, what, url


def _url_place(email: BuiltEmail, element: Any, url: str) -> tuple[Path, int | None]:
    """The place of a URL: as written in the Markdown (relative before the build made it
    absolute), in notice.toml, or in a template. A local image's copy is found by the name of
    its file (toolkit.images)."""
    copy = unquote(url.rsplit("/", 1)[-1])
    if element is not None and element.tag == "img" and f"/{IMAGE_FOLDER}/" in url and HASHED_RE.fullmatch(copy):
        return _image_place(email, element, Path(copy))
    base = email.config.publication.base_url
    written = [url] + ([url[len(base) :]] if base and url.startswith(base) and len(url) > len(base) else [])
    pattern = "|".join(rf"\({u}[\s)]|[\"']{u}[\"']|<{u}>|\]:\s*{u}\s" for u in map(re.escape, reversed(written)))
    return email.locate(body=pattern, template=pattern, value=url, element=element)


def _scheme(url: str) -> str:
    """The URL's scheme (RFC 3986: a letter, then letters, digits, + - .), lowercased; "" if none."""
    match = re.match(r"([a-z][a-z0-9+.-]*):", url, re.I)
    return match[1].lower() if match else ""


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # "http://[::1" and other broken URLs: no host to judge
        return ""


def url_relative(email: BuiltEmail) -> Iterator[Diagnostic]:
    """A relative URL means nothing inside a mail client: there is no page to resolve it against."""
    for element, what, url in _urls(email):
        if url and not url.startswith("#") and not _scheme(url):
            yield Diagnostic(
                "error",
                f"{what} with a relative URL: {url}",
                *_url_place(email, element, url),
                "write the full https:// address, or set base_url in notice.toml "
                "(Markdown links are made absolute against it)",
            )


def url_empty(email: BuiltEmail) -> Iterator[Diagnostic]:
    """An empty link or a bare '#' goes nowhere: usually a placeholder never filled in."""
    for element, what, url in _urls(email):
        if url in ("", "#"):
            text = " ".join((element.text_content() or element.get("alt", "")).split())
            pattern = rf"\[{re.escape(text)}\]\(\s*#?\s*\)" if text else r"(href|src)\s*=\s*[\"']#?[\"']"
            path, line = email.locate(body=pattern, template=r"(href|src)\s*=\s*[\"']#?[\"']", element=element)
            named = f"“{text}” " if text else ""
            yield Diagnostic(
                "error",
                f'{what} {named}goes nowhere ({"src" if what == "image" else "href"}="{url}")',
                path,
                line,
                f"give the {what} its address, or remove it",
            )


def url_unsafe(email: BuiltEmail) -> Iterator[Diagnostic]:
    """javascript: never runs in mail and file: points at the author's own disk. The build
    removes such URLs from the author's Markdown (listed here); a template can still add one."""
    yield from _removed(email, "url-unsafe")
    for element, what, url in _urls(email):
        scheme = _scheme(url)
        if scheme in UNSAFE_SCHEMES:
            yield Diagnostic(
                "error",
                f"{what} with a {scheme}: URL: {url}",
                *_url_place(email, element, url),
                "link to a page on the web (https://...) instead",
            )


def url_localhost(email: BuiltEmail) -> Iterator[Diagnostic]:
    """A link to localhost works only on the author's machine (a preview left in the text)."""
    for element, what, url in _urls(email):
        host = _host(url).rstrip(".")  # "localhost." is localhost too
        if host in LOCAL_HOSTS or host.endswith(".localhost") or _is_loopback(host):
            yield Diagnostic(
                "error",
                f"{what} points to this computer ({host}): {url}",
                *_url_place(email, element, url),
                "use the published address, under base_url",
            )


def url_space(email: BuiltEmail) -> Iterator[Diagnostic]:
    """A space in a URL: Markdown read the words after it as part of the address, as in
    ``[a](https://x.jp/(b) and more)``, so they vanish from the text and the link breaks (issue 14)."""
    for _element, what, url in _urls(email):
        # The inliner may have written the spaces as %20: a URL the author wrote with spaces is
        # one whose spaced form is in the Markdown (a %20 written as such is the author's own).
        spaced = re.sub(r"%(?:20|09|0a|0d)", " ", url, flags=re.I)
        words = spaced.split()
        if len(words) < 2:
            continue
        written = r"\(\s*<?" + r"\s+".join(map(re.escape, words))
        path, line = email.locate(body=written)
        if re.search(r"\s", url) or path != email.path:
            yield Diagnostic(
                "warning",
                f"{what} URL with a space in it: {' '.join(words)}",
                path,
                line,
                "close the link right after its address, [text](https://...) more text, "
                "or write a space inside a URL as %20",
            )


def _is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 in any spelling, 0.0.0.0 and ::."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def image_alt(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Many readers block images: the alt text is what they see instead."""
    for element, _, url in _urls(email):
        if element.tag != "img":
            continue
        alt = element.get("alt")
        path, line = _url_place(email, element, url)
        if alt is None or (not alt.strip() and path == email.issue.path):  # ![](x.png): forgotten
            yield Diagnostic(
                "warning",
                f"image without alt text: {url}",
                path,
                line,
                "describe the image: ![a red bicycle](bike.jpg)",
            )


def button_inline(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Only a `{: .button }` link alone in its paragraph becomes a bulletproof button (issue 11);
    one inside a sentence stays a padded link, which Outlook on Windows draws as a plain link."""
    for element, _, url in _urls(email):
        if element.tag != "a" or "button" not in (element.get("class") or "").split():
            continue
        parent = element.getparent()
        if parent is not None and "button-cell" in (parent.get("class") or "").split():
            continue
        words = " ".join("".join(element.itertext()).split())
        path, line = _url_place(email, element, url)
        yield Diagnostic(
            "warning",
            f"the button '{words}' is inside a sentence: Outlook on Windows shows it as a plain link",
            path,
            line,
            "put the link and its {: .button } on a line of their own, with blank lines around it",
        )


def image_width(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Outlook on Windows shows an image without a width attribute at its natural size,
    breaking the 600 px layout (shared/email-facts.md)."""
    for element, _, url in _urls(email):
        if element.tag == "img" and not element.get("width"):
            yield Diagnostic(
                "warning",
                f"image without a width attribute: {url}",
                *_url_place(email, element, url),
                'give it one after the image: ![alt](photo.jpg){: width="600" }',
            )


def _local_images(email: BuiltEmail) -> Iterator[tuple[Any, str, Path]]:
    """``(element, url, built copy)`` for each image of the email that the build copied from
    the publication (toolkit.images): under ``<base_url>/<slug>/img/``."""
    base = email.config.publication.base_url
    prefix = f"{base.rstrip('/')}/{email.issue.slug}/{IMAGE_FOLDER}/" if base else f"{email.issue.slug}/{IMAGE_FOLDER}/"
    folder = email.path.parents[2] if email.notice else email.path.parent  # <slug>/corrections/<id>/
    for element, _, url in _urls(email):
        if element.tag == "img" and url.startswith(prefix) and "/" not in url[len(prefix) :]:
            copy = folder / IMAGE_FOLDER / unquote(url[len(prefix) :])
            if copy.is_file():
                yield element, url, copy


def _image_place(email: BuiltEmail, element: Any, copy: Path) -> tuple[Path, int | None]:
    """Where the author wrote the image: its original file name in the Markdown."""
    name = original_name(copy.name)
    return email.locate(body=rf"(?<![\w.-]){re.escape(name)}|{re.escape(quote(name, safe='@'))}", element=element)


def image_size(email: BuiltEmail) -> Iterator[Diagnostic]:
    """A heavy image is slow on a phone's connection, and some clients show nothing until it
    has loaded ([images] max_kb, default 200)."""
    limit = email.config.images.max_kb
    for element, _, copy in _local_images(email):
        size = copy.stat().st_size
        if size > limit * 1024:
            yield Diagnostic(
                "warning",
                f"image {original_name(copy.name)} is {size / 1024:.0f} KB, over [images] max_kb ({limit} KB)",
                *_image_place(email, element, copy),
                "save it smaller (JPEG at quality 80, at most twice the width it is shown at)",
            )


def images_total(email: BuiltEmail) -> Iterator[Diagnostic]:
    """All of one email's images over 1 MB: readers on a phone wait, or pay, for each open."""
    copies = {copy: element for element, _, copy in _local_images(email)}
    total = sum(copy.stat().st_size for copy in copies)
    if total > EMAIL_IMAGES_KB * 1024:
        yield Diagnostic(
            "warning",
            f"the email's images add up to {total / 1024:.0f} KB, over {EMAIL_IMAGES_KB // 1024} MB",
            email.issue.path,
            None,
            "use fewer images, or smaller ones; link to the web page for a gallery",
        )


def image_format(email: BuiltEmail) -> Iterator[Diagnostic]:
    """SVG, WebP and AVIF files, which some clients do not show (caniemail image-svg,
    image-webp, image-avif): readers there see the alt text or an empty box."""
    support = caniemail()
    said: set[str] = set()
    for element, _, copy in _local_images(email):
        extension = copy.suffix.lower().lstrip(".")
        for slug in support.by_key.get(f"format:{extension}", ()):
            if copy.name in said:
                continue
            said.add(copy.name)
            feature = support.features[slug]["support"]
            dropping = {c for c, v in feature.items() if v == "n"}
            partly = {c for c, v in feature.items() if v == "a"}
            if not dropping:
                continue
            also = f" (and only partly by {', '.join(support.names(partly))})" if partly else ""
            yield Diagnostic(
                "warning",
                f"{FORMATS.get(copy.suffix.lower(), extension)} image {original_name(copy.name)} is not shown by "
                f"{', '.join(support.names(dropping))}{also}",
                *_image_place(email, element, copy),
                f"save it as PNG or JPEG; see {support.features[slug]['url']}",
            )


# --- the law -----------------------------------------------------------------------------------


def _required(
    email: BuiltEmail, key: str, what: str, shown: Callable[[str], bool], otherwise: str = ""
) -> Iterator[Diagnostic]:
    """*key* must be set in notice.toml, and the email must show it (a template may drop it)."""
    value = getattr(email.config.publication, key)
    if not value:
        yield Diagnostic(
            "error",
            f"no {what}: {key} is not set",
            *_setting_line(email, key),
            f"set {key} in [publication] of notice.toml: {LAWS} require it{otherwise}",
        )
    elif not shown(value.strip()):
        yield Diagnostic(
            "error",
            f"the email does not show the {what} set in notice.toml",
            email.sources.template("email.html") or email.path,
            None,
            f"keep {{{{ publication.{key} }}}} in the footer of templates/email.html: {LAWS} require it",
        )


def _in_text(email: BuiltEmail) -> Callable[[str], bool]:
    text = " ".join(email.tree.text_content().split())
    return lambda value: " ".join(value.split()) in text


def unsubscribe_missing(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Both laws require a working way to opt out; Gmail and Yahoo also want a visible link (2024).
    A mail service that adds its own link to every message (Benchmark Email) is that way out:
    then only an unsubscribe_url the author set is checked (`service_notes` says so under -v)."""
    if service_adds_unsubscribe(email.config):
        return
    links = {a.get("href", "").strip() for a in email.tree.iter("a")}
    otherwise = (
        "; if your mail service adds its own unsubscribe link, name it in [email] service "
        "(`benchmark`, or `custom` with adds_unsubscribe = true)"
    )
    yield from _required(email, "unsubscribe_url", "unsubscribe link", links.__contains__, otherwise)


def service_adds_unsubscribe(config: Config) -> bool:
    """Whether the mail service's own footer is the only unsubscribe link: it adds one to every
    message (issue 10) and the author set no unsubscribe_url of their own."""
    service = config.service
    return bool(service and service.adds_unsubscribe and not config.publication.unsubscribe_url)


def service_notes(config: Config) -> list[str]:
    """What `notice check -v` says the checks took from the mail service rather than the email."""
    if not service_adds_unsubscribe(config):
        return []
    label = config.service.label  # type: ignore[union-attr]
    return [
        f"unsubscribe link: {label} adds one to the footer of every message it sends, so unsubscribe_url "
        "is not needed (unsubscribe-missing passes on that footer)",
        f"特定電子メール法 (issues in Japanese): where to refuse and 受信拒否ができる旨 are {label}'s footer, "
        "its 配信停止 link, not the email's own (law-footer-ja passes on them)",
    ]


def sender_missing(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Both laws require the sender's name, and an address to write to."""
    shown = _in_text(email)
    yield from _required(email, "sender_name", "sender's name", shown)
    yield from _required(email, "sender_email", "sender's email address", shown)


def postal_address_missing(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Both laws require the sender's postal address in every message."""
    yield from _required(email, "postal_address", "postal address", _in_text(email))


# --- subject and preview text ------------------------------------------------------------------


def _unsent(email: BuiltEmail) -> bool:
    """A draft's own email. A published issue's subject and preheader were sent, are locked and
    no correction can change them: a warning there could never be acted on."""
    return not email.notice and email.issue.is_draft


def preheader_missing(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Without one, clients show the first text of the email ("View this issue in your browser")."""
    if _unsent(email) and not email.issue.preheader:
        yield Diagnostic(
            "warning",
            "no preheader: clients will preview the email's first text instead",
            email.issue.path,
            1,
            'add preheader: "one line that makes them open it" to the front-matter',
        )


def preheader_long(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Clients show 40–140 characters of the preview; past 90 the end is cut on most."""
    issue = email.issue
    width = display_width(issue.preheader, ambiguous_width=ambiguous_width(issue.lang))
    if _unsent(email) and width > PREHEADER_COLUMNS:
        yield Diagnostic(
            "warning",
            f"the preheader is {width} columns wide: clients cut it near {PREHEADER_COLUMNS}",
            issue.path,
            _front_line(issue, "preheader"),
            "put what matters first, and keep it under 90 characters (45 full-width)",
        )


def subject_long(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Inboxes cut the subject near 60 columns on the desktop, sooner on phones."""
    issue = email.issue
    subject = subject_of(email.state, email.config)
    width = display_width(subject, ambiguous_width=ambiguous_width(issue.lang))
    if _unsent(email) and width > SUBJECT_COLUMNS:
        yield Diagnostic(
            "warning",
            f"the subject is {width} columns wide: inboxes cut it near {SUBJECT_COLUMNS}",
            issue.path,
            _front_line(issue, "title"),
            "put what matters first; keep it within 60 characters (30 full-width)",
        )


# --- active content ----------------------------------------------------------------------------


def active_content(email: BuiltEmail) -> Iterator[Diagnostic]:
    """Scripts, forms, frames, plugins and event handlers: clients strip them, filters distrust them.
    The build removes them from the author's Markdown, and each removal is listed where it was
    written (issue 14); a template can still add them, and those are found in the email."""
    yield from _removed(email, "active-content")
    for element in email.elements():
        tag = element.tag.lower()
        if tag in ACTIVE_ELEMENTS:
            yield Diagnostic(
                "error",
                f"<{tag}> in the email: mail clients remove it",
                *email.locate(template=rf"<{tag}\b", element=element),
                "remove it; link to a web page for anything interactive",
            )
        for name in element.attrib:
            if re.fullmatch(r"on[a-z]+", name.lower()):
                yield Diagnostic(
                    "error",
                    f"{name} attribute on <{tag}>: scripts never run in email",
                    *email.locate(template=rf"\b{name}\s*=", element=element),
                    "remove the attribute",
                )


def _removed(email: BuiltEmail, rule: str) -> Iterator[Diagnostic]:
    """What the sanitizer removed from the author's Markdown for *rule*, at the line it was written."""
    for warning in email.removed:
        if warning.rule == rule:
            yield Diagnostic("error", warning.message, warning.path, warning.line, warning.hint or "")


Rule = Callable[[BuiltEmail], Iterable[Diagnostic]]

#: Every email rule, by id. Findings at the same place are listed in this order.
RULES: list[tuple[str, Rule]] = [
    ("email-size", email_size),
    ("email-size-near", email_size_near),
    ("style-size", style_size),
    ("client-support", client_support),
    ("url-relative", url_relative),
    ("url-empty", url_empty),
    ("url-unsafe", url_unsafe),
    ("url-localhost", url_localhost),
    ("url-space", url_space),
    ("image-alt", image_alt),
    ("image-width", image_width),
    ("image-size", image_size),
    ("images-total", images_total),
    ("image-format", image_format),
    ("unsubscribe-missing", unsubscribe_missing),
    ("sender-missing", sender_missing),
    ("postal-address-missing", postal_address_missing),
    ("preheader-missing", preheader_missing),
    ("preheader-long", preheader_long),
    ("subject-long", subject_long),
    ("button-inline", button_inline),
    ("active-content", active_content),
]
