"""Inline: move the theme's CSS into ``style`` attributes, as email clients need.

One function, :func:`inline_css`, over a whole rendered email document, with two engines
that pass the same tests: ``premailer`` (pure Python over cssutils and lxml) and
``css-inline`` (Rust, html5ever; 15-20 times faster when warm, 100 times on a first call).

Before the engine runs, this module splits the ``<style>`` block itself:

- rules whose selectors carry no pseudo-class (a trailing ``:first-child`` or
  ``:last-child`` is allowed; both engines inline it) go to the engine to be inlined;
- everything else -- at-rules (``@media`` for width and ``prefers-color-scheme``,
  ``@font-face``), ``:root``, ``:hover``, ``:not()``, attribute selectors holding a colon --
  is kept verbatim, ``!important`` and all, in ONE ``<style>`` block where the theme's first
  one was, in ``<head>``. The engines disagree here: premailer rewrites these rules through
  cssutils, drops every at-rule but ``@media`` and adds ``!important`` to each declaration;
  css-inline drops ``:hover`` rules and inlines ``:root`` onto ``<html>``. Doing it once, here,
  keeps the block the theme's own text whichever engine runs. A ``:hover`` rule that must beat
  an inlined colour needs its own ``!important``, written in the theme.

``<link rel="stylesheet">`` is dropped (css-inline does so itself; premailer would leave it):
notice never fetches anything. MSO conditional comments pass through untouched, as comments;
their contents are not styled (premailer #193). The input's doctype is put back exactly
(premailer drops ``<!doctype html>``, premailer #156; css-inline rewrites every doctype to
``<!DOCTYPE html>``).

Characters: Japanese and other non-ASCII text leaves as UTF-8, never as ``&#...;`` escapes,
which take 8 bytes for a kana's 3 and bring Gmail's 102 KB clip closer. Invisible characters
of the preheader leave as characters, except that css-inline (html5ever) writes U+00A0 as
``&nbsp;``; either way they parse to the same text.

Only the engine in use is imported, on its first call: premailer (with cssutils and lxml) takes
about 200 ms to import, which a css-inline publication should not pay, and it sizes its cache
from an environment variable when it is imported (see `_premailer`).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import logging
import os
import re
import sys
import threading
import types
from collections.abc import Callable, Iterator
from html import unescape
from typing import TYPE_CHECKING

from . import __version__
from .parsed_theme import RULES

if TYPE_CHECKING:  # imported for real on first use only
    from css_inline import CSSInliner
    from premailer import Premailer

ENGINES = ("premailer", "css-inline")

# Comments in the HTML are matched so that a <style> inside <!--[if mso]>...<![endif]--> is
# skipped: Outlook reads it, the engines never see it, and it must survive byte for byte.
# The "<" outside the alternatives lets the regex engine jump from one "<" to the next instead
# of trying three alternatives at every character: 0.30 -> 0.18 ms an email (issue 13). A
# comment and a stylesheet are read as runs of the characters that cannot end them ("unrolling
# the loop"), which ends where ``.*?`` ends, without trying the end at every character of the
# theme's 10 KB: 0.18 -> 0.05 ms. An element whose content is text to HTML (a script's, a
# title's) or belongs to SVG or MathML is taken whole, so a "<style>" in it stays as it is
# and is never applied to the email (review of issue 13: css-inline applied one in a script);
# the lookahead spares trying eleven names at most tags (66 -> 41 us an email, 29 without them).
_HTML_PARTS = re.compile(
    r"<(?:!--[^-]*(?:-(?!->)[^-]*)*-->"
    r"|style\b[^>]*>(?P<css>[^<]*(?:<(?!/style\s*>)[^<]*)*)</style\s*>"
    r"|(?P<link>link\b[^>]*?\brel\s*=\s*[\"']?[^\"'>]*\bstylesheet\b[^>]*>)"
    r"|(?=[stnxim])(?P<raw>script|noscript|title|textarea|xmp|iframe|noembed|noframes|template|svg|math)\b[^>]*+>"
    r"[^<]*+(?:<(?!/(?P=raw)\s*>)[^<]*+)*+</(?P=raw)\s*>)",
    re.S | re.I,
)
_DOCTYPE = re.compile(r"\s*(<!doctype\b[^>]*>)\s*", re.I)
# Stands where the leftover <style> block goes back; both engines keep comments as they are.
_MARKER = "<!--notice:leftover-css-->"

_STRING = r""""(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'"""
_CSS_COMMENT = re.compile(rf"({_STRING})|/\*.*?\*/|<!--|-->", re.S)  # and old CDO/CDC
_CSS_TOKEN = re.compile(rf"{_STRING}|[{{}};]")
_SELECTOR_COMMA = re.compile(r",(?![^()]*\))")
_INLINABLE = re.compile(r"[^:]*(?::(?:first|last)-child)?\Z")


def inline_css(html: str, *, engine: str = "premailer") -> str:
    """Return *html* with its ``<style>`` rules inlined by *engine*, one of :data:`ENGINES`.

    Rules that cannot be inlined stay in one ``<style>`` block; see the module docstring.
    Errors an engine raises on malformed input propagate unchanged.
    """
    try:
        run, in_document = _RUNNERS[engine]
    except KeyError:
        raise ValueError(f"unknown CSS inliner {engine!r}; expected one of {ENGINES}") from None
    doctype, body = _split_doctype(html)
    body, leftover, inlinable = _set_aside_css(body, keep_inlinable=in_document)
    _, out = _split_doctype(run(body, inlinable))
    out = out.replace(_MARKER, f"<style>{leftover}</style>" if leftover else "", 1)
    return f"{doctype}\n{out}" if doctype else out


def _split_doctype(html: str) -> tuple[str, str]:
    match = _DOCTYPE.match(html)
    return (match[1], html[match.end() :]) if match else ("", html)


def _set_aside_css(html: str, keep_inlinable: bool = False) -> tuple[str, str, str]:
    """*html* with each <style> holding only its inlinable rules (or, without *keep_inlinable*,
    gone), the leftover CSS, and the inlinable CSS of every <style> in order."""
    leftover: list[str] = []
    inlinables: list[str] = []
    marked = False

    def replace(match: re.Match[str]) -> str:
        nonlocal marked
        if match["link"]:
            return ""
        if match["css"] is None:  # a comment, or an element whose content is no stylesheet
            return match[0]
        inlinable, kept = _split_css(match["css"])
        leftover.extend(kept)
        marker = "" if marked else _MARKER
        marked = True
        if inlinable:
            inlinables.append(inlinable)
        return marker + (f"<style>{inlinable}</style>" if inlinable and keep_inlinable else "")

    html = _HTML_PARTS.sub(replace, html)
    return html, "\n".join(leftover), "\n".join(inlinables)


@functools.lru_cache(maxsize=32)
def _split_css(css: str) -> tuple[str, tuple[str, ...]]:
    """Split a stylesheet into the text to inline and the rules to keep as they are.

    Cached by the stylesheet's text: every issue of a build carries the same theme CSS, and
    splitting it was half of this module's time per issue (issue 13).
    """
    inline: list[str] = []
    kept: list[str] = []
    for rule in top_level_rules(css):
        prelude, brace, block = rule.partition("{")
        if rule.startswith("@"):
            kept.append(rule)
        elif not brace or _INLINABLE.match(prelude.strip()):
            inline.append(rule)  # also a broken rule: the engine reports or skips it
        else:
            selectors = [s.strip() for s in _SELECTOR_COMMA.split(prelude)]
            plain = [s for s in selectors if _INLINABLE.match(s)]
            other = [s for s in selectors if not _INLINABLE.match(s)]
            if plain:
                inline.append(f"{', '.join(plain)} {{{block}")
            if other:
                kept.append(f"{', '.join(other)} {{{block}")
    return "\n".join(inline), tuple(kept)


def top_level_rules(css: str) -> list[str]:
    """The stylesheet's top-level rules and at-rules, comments removed, text otherwise kept."""
    css = _CSS_COMMENT.sub(lambda m: m[1] or "", css)
    rules: list[str] = []
    depth = start = 0
    for token in _CSS_TOKEN.finditer(css):
        if token[0] == "{":
            depth += 1
        elif token[0] == "}":
            depth -= 1
        if depth <= 0 and token[0] in "};":
            rules.append(css[start : token.end()].strip())
            depth, start = 0, token.end()
    rules.append(css[start:].strip())
    return [rule for rule in rules if rule]


def _run_premailer(html: str, css: str) -> str:
    """premailer reads the rules to inline (*css*) from the document's <style>."""
    return _premailer().transform(html, pretty_print=False)


def _run_css_inline(html: str, css: str) -> str:
    """css-inline gets the rules to inline beside the document, not in it: html5ever then has no
    stylesheet to read as text and drop (issue 13: 0.70 -> 0.52 ms an email)."""
    return _css_inliner(css).inline(html)


@functools.cache
def _premailer() -> Premailer:
    # premailer keeps the parsed stylesheet, every compiled selector and every style string in
    # one LFU cache, 128 entries by default, sized once at import time. A theme of ~100 rules
    # overflows it within one issue, so the theme is parsed again for every issue (~105 ms);
    # with room, later issues reuse the parse (~16 ms). Too late if premailer is already loaded.
    os.environ.setdefault("PREMAILER_CACHE_MAXSIZE", "4096")
    # premailer imports requests to fetch stylesheets, which notice never lets it do
    # (allow_network=False): requests, urllib3 and their kin were 35 ms of every such process.
    with _standing_in("requests"):
        from premailer import Premailer  # lazy: only the engine in use, after its cache size is set

    class ThemePremailer(Premailer):
        """Premailer that reads each stylesheet's rules once per process (issue 13).

        Its cache keeps the parsed sheet, but `_parse_style_rules` still turns every
        declaration of it back into text through cssutils' serializer on every call: about
        three quarters of premailer's time per issue. What it returns (tuples of strings,
        and the sheet's own rule objects) depends only on the stylesheet's text, its place
        and the options, and `transform` only reads it, so it is kept, copied per call.
        """

        rules_cache: dict[tuple[str, int], tuple[list[object], list[object]]] = {}

        def transform(self, html: str, pretty_print: bool = True, **kwargs: object) -> str:
            _document.html = html
            try:
                return str(super().transform(html, pretty_print=pretty_print, **kwargs))
            finally:
                _document.html = None

        def _style_to_basic_html_attributes(self, element: object, style_content: str, force: bool = False) -> None:
            # It turns text-align, vertical-align, background-color, width and height into
            # attributes, and sets none that `disable_basic_attributes` names: with all five
            # named below it only parsed the style again, for each styled element (issue 13:
            # 13,461 calls for 200 emails, an eighth of premailer's time).
            if not _BASIC_ATTRIBUTES <= set(self.disable_basic_attributes):
                super()._style_to_basic_html_attributes(element, style_content, force=force)

        def _parse_style_rules(self, css_body: str, ruleset_index: int) -> tuple[list[object], list[object]]:
            key = (css_body, ruleset_index)
            if key not in self.rules_cache:
                if len(self.rules_cache) >= 32:  # a theme has one or two sheets; this never grows
                    self.rules_cache.clear()
                header = _rules_header()
                kept = RULES.get(key, header) if header else None  # an earlier build's parse (issue 13)
                if kept is None:
                    kept = super()._parse_style_rules(css_body, ruleset_index)
                    if header:
                        RULES.put(key, kept)
                self.rules_cache[key] = kept
            rules, leftover = self.rules_cache[key]
            html = getattr(_document, "html", None)
            if html is None:
                return list(rules), list(leftover)
            # premailer evaluates each rule's selector over the whole document; a rule that
            # needs a class, id or element the email lacks matches nothing (issue 13: three in
            # five of the theme's rules, for each email, and a third of premailer's time).
            names = DocumentNames(html, css_body)
            return [rule for rule in rules if names.may_match(rule[1])], list(leftover)  # type: ignore[index]

    return ThemePremailer(**PREMAILER_OPTIONS)


#: How notice runs premailer.
PREMAILER_OPTIONS: dict[str, object] = {
    "strip_important": False,  # Gmail needs display:none !important inline (premailer #150)
    "allow_network": False,
    "allow_loading_external_files": False,
    # cssutils logs every email-only property (mso-*, -ms-text-size-adjust) it does not
    # know; validation only feeds that log, so skipping it changes no output.
    "cssutils_logging_level": logging.CRITICAL,
    "disable_validation": True,
    # Like css-inline: inline `*` rules rather than drop them, write `unset` as given, and
    # add no width/align/bgcolor attributes: premailer overwrites the template's own
    # (an Outlook width="600" becomes "100%") and copies `!important` into them (#170).
    "include_star_selectors": True,
    "remove_unset_properties": False,
    "disable_basic_attributes": ["align", "valign", "bgcolor", "width", "height"],
    "align_floating_images": False,
}


@functools.cache
def _rules_header() -> tuple[str, ...] | None:
    """What premailer's parse depends on besides the stylesheet's text (`parsed_theme`); None
    when the installed versions cannot be told (no package metadata: a vendored or frozen
    copy), and then no parse is kept or served, since an upgrade could not be seen."""
    from importlib.metadata import PackageNotFoundError, version  # lazy: premailer, parsing, has imported it

    try:
        versions = (version("premailer"), version("cssutils"))
    except PackageNotFoundError:
        return None
    return ("rules 1", __version__, sys.version, *versions, repr(PREMAILER_OPTIONS))


#: Every attribute premailer 3.10's `_style_to_basic_html_attributes` may set.
_BASIC_ATTRIBUTES = frozenset({"align", "valign", "bgcolor", "width", "height"})
_document = threading.local()  # the HTML premailer is transforming, while it does
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)")
_SELECTOR_NAME = re.compile(r"([.#]?)(-?[_a-zA-Z][_a-zA-Z0-9-]*)")
# Names (ASCII, unescaped), the universal selector and combinators only.
_SIMPLE_SELECTOR = re.compile(r"(?:[.#]?-?[_a-zA-Z][_a-zA-Z0-9-]*|[ \t\n>+~*])+\Z")
# Elements lxml's parser adds where the document has none: never required of a document.
_IMPLIED = frozenset({"html", "head", "body", "p", "tbody"})


class DocumentNames:
    """What a document may hold, for telling which selectors can match none of its elements.

    A superset, so that no rule that matches is ever skipped: a class or id is "there" when its
    name is anywhere in the document's text, as written or with character references decoded,
    but for the stylesheet's own text (where every class is named); an element when its start
    tag is anywhere, comments included.
    """

    def __init__(self, html: str, css: str) -> None:
        self.text = html.replace(css, "", 1) if css else html
        if "&" in self.text and _spells_a_name(self.text):
            self.text += "\n" + unescape(self.text)
        self.tags = frozenset(map(str.lower, set(_START_TAG.findall(html))))
        self.found: dict[str, bool] = {}

    def has(self, name: str) -> bool:
        found = self.found.get(name)
        if found is None:
            found = self.found[name] = name in self.text
        return found

    def may_match(self, selector: str) -> bool:
        needs = _selector_needs(selector)
        return needs is None or (needs[1] <= self.tags and all(map(self.has, needs[0])))


# html.unescape's character references (Lib/html/__init__.py, _charref): each is decoded by
# itself, whatever is around it.
_CHARREF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_NAME_CHARACTER = re.compile(r"[_a-zA-Z0-9-]")


def _spells_a_name(text: str) -> bool:
    """Whether a character reference of *text* decodes to something that can be part of a
    class or id name: only then can decoding add a name that the text as written lacks.

    An email's references are its preheader's ``&zwnj;&nbsp;`` and the like, a hundred an
    email: decoding them all was a tenth of premailer's time per email (issue 13).
    """
    for reference in set(_CHARREF.findall(text)):
        decoded = unescape(reference)
        if decoded != reference and _NAME_CHARACTER.search(decoded):
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _selector_needs(selector: str) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The class and id names and the elements *selector* needs in a document, or None when it
    is not made of plain names and combinators alone (attribute selectors, escapes, non-ASCII
    names, pseudo-classes other than :first-child and :last-child): that rule is always
    evaluated."""
    plain = selector.replace(":first-child", "").replace(":last-child", "")
    if not _SIMPLE_SELECTOR.match(plain):
        return None
    names, tags = [], set()
    for kind, name in _SELECTOR_NAME.findall(plain):
        if kind:
            names.append(name)
        elif name.lower() not in _IMPLIED:
            tags.add(name.lower())
    return tuple(names), frozenset(tags)


class _ImportedWhenUsed(types.ModuleType):
    """Stands for a module that is imported when one of its attributes is first read."""

    def __getattr__(self, name: str) -> object:
        if sys.modules.get(self.__name__) is self:  # read while it stands in (another thread)
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


@contextlib.contextmanager
def _standing_in(name: str) -> Iterator[None]:
    """While importing, module *name* (if not imported yet) is an `_ImportedWhenUsed`: what
    binds it then gets the stand-in; anything importing it later gets the module itself.

    importlib's LazyLoader cannot do this on Python 3.11: the next ``import`` of a lazy module
    reads its ``__spec__``, which loads it."""
    if name in sys.modules:
        yield
        return
    sys.modules[name] = _ImportedWhenUsed(name)
    try:
        yield
    finally:
        if isinstance(sys.modules.get(name), _ImportedWhenUsed):
            del sys.modules[name]


@functools.lru_cache(maxsize=8)  # a theme has one stylesheet; a notice may add none
def _css_inliner(css: str) -> CSSInliner:
    """css-inline, applying *css* (the rules to inline) as well as any <style> of the document."""
    import css_inline  # lazy: only the engine in use

    # minify_css writes "color:red" rather than "color: red;": fewer bytes toward Gmail's clip.
    return css_inline.CSSInliner(load_remote_stylesheets=False, minify_css=True, extra_css=css or None)


#: Each engine's runner, given the document and the rules to inline, and whether those rules
#: stay in the document's <style> for it.
_RUNNERS: dict[str, tuple[Callable[[str, str], str], bool]] = {
    "premailer": (_run_premailer, True),
    "css-inline": (_run_css_inline, False),
}
