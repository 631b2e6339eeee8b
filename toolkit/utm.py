"""UTM parameters on the links readers click in the email (issue 10, ``[email.utm]``).

``utm_source``, ``utm_medium`` and ``utm_campaign`` (the campaign may name ``{slug}`` and
``{number}``) are appended to the email's outbound http(s) links, in email.html and in the
plain text's numbered link list and its buttons' lines. Never to: the web page (web.html, and links to the issue's own
web version), the unsubscribe link, mailto links, a mail service's merge tags (still
placeholders when this runs, see `toolkit.services`), or a link that already carries a
``utm_`` parameter (the author chose its values).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit

from .services import PLACEHOLDER_PREFIX

#: The keys of [email.utm], in the order their parameters are appended.
KEYS = ("source", "medium", "campaign")
FIELDS = ("slug", "number")

_HREF = re.compile(r'(\bhref=")([^"]*)(")', re.IGNORECASE)
_REFERENCE = re.compile(r"^(\[\d+\] )(https?://\S+)$", re.MULTILINE)
_BUTTON_LINE = re.compile(r"(^|: )(https?://\S+)$", re.MULTILINE)  # ends its line, or is one


def parameters(utm: dict[str, str], slug: str, number: int | None) -> dict[str, str]:
    """``{"utm_source": ..., ...}`` for one issue; empty when [email.utm] is not set."""
    values = {"slug": slug, "number": "" if number is None else str(number)}
    return {f"utm_{key}": utm[key].format(**values) for key in KEYS if utm.get(key)}


def tag_url(url: str, params: dict[str, str], skip: Iterable[str] = ()) -> str:
    """*url* with *params* appended to its query, or as it was when it must not be tagged."""
    if not params or not re.match(r"https?://", url, re.IGNORECASE) or url.startswith(PLACEHOLDER_PREFIX):
        return url  # not http(s), or a merge tag (still its placeholder)
    if any(url == s or (s and url.startswith(s + "#")) for s in skip):
        return url
    try:
        parts = urlsplit(url)
    except ValueError:  # a broken URL: check reports it; tagging would only hide it
        return url
    if any(key.lower().startswith("utm_") for key, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    # Appended as text, so the rest of the URL stays exactly as written (urlunsplit would
    # lowercase the scheme and drop an empty "?").
    head, hash_, fragment = url.partition("#")
    join = "&" if parts.query else ("" if head.endswith("?") else "?")
    return f"{head}{join}{urlencode(params)}{hash_}{fragment}"


def tag_html(document: str, params: dict[str, str], skip: Iterable[str] = ()) -> str:
    """Every ``href="..."`` of an email document tagged (attribute values unescaped, then escaped)."""
    skip = tuple(skip)
    if not params:
        return document

    def replace(match: re.Match[str]) -> str:
        url = html.unescape(match[2])
        tagged = tag_url(url, params, skip)
        return match[0] if tagged == url else match[1] + html.escape(tagged, quote=True) + match[3]

    return _HREF.sub(replace, document)


def tag_text(text: str, params: dict[str, str], skip: Iterable[str] = (), buttons: Iterable[str] = ()) -> str:
    """The plain text's link list (``[1] https://...``) tagged, and the lines of its *buttons*
    (``今すぐ登録: https://...``, issue 11: a button's address is in place, not in the list);
    other lines as they are."""
    skip, wanted = tuple(skip), set(buttons)
    if not params:
        return text
    text = _REFERENCE.sub(lambda m: m[1] + tag_url(m[2], params, skip), text)
    if wanted:
        text = _BUTTON_LINE.sub(lambda m: m[1] + (tag_url(m[2], params, skip) if m[2] in wanted else m[2]), text)
    return text
