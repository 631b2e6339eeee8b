"""Mail services' merge tags: which a service knows, and carrying them through the build untouched.

Most small publishers send through a mail service, which fills in per-reader tags such as
``*|FNAME|*`` or ``{{ UnsubscribeURL }}`` when it sends (issue 10). The build must hand them
over byte for byte: Markdown would read ``*|FNAME|*`` as emphasis, the absolute-URL step would
put base_url before ``*|UNSUB|*``, Jinja and the inliners escape ``<%...%>`` and libxml2
percent-encodes the spaces of ``{{ UnsubscribeURL }}`` in an href. So `TagGuard` swaps every
tag for a placeholder (an https URL on a reserved name, so a placeholder standing for a link is
kept and left as it is) before the first stage and puts the tags back after the last one.

The tags of each service are those its own documentation names (the README cites each page).
A service may also put its own unsubscribe link in every message (Benchmark Email does, and it
cannot be removed): then the publication needs no unsubscribe_url, and the checks say so.
"""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

#: What a tag stands as while the build runs: an https URL on a reserved name (RFC 2606 .invalid),
#: which the sanitizer keeps as a link target, the absolute-URL step leaves alone and no stage
#: escapes or wraps.
PLACEHOLDER_PREFIX = "https://noticetag.invalid/"
#: ``[email] service`` with no service: nothing is a tag.
NONE = "none"


@dataclass(frozen=True)
class Service:
    """One mail service: the syntax of its tags, its unsubscribe and name tags, the others it
    documents, and what the preview shows for each (a sample reader)."""

    label: str
    syntax: str  # a regex matching anything written in the service's tag syntax
    unsubscribe: str  # "" when the service has no unsubscribe tag (it adds the link itself)
    name: str
    known: tuple[str, ...] = ()
    samples: dict[str, str] = field(default_factory=dict)
    #: A regex of the tag families the service fills in whatever follows the prefix: Benchmark's
    #: ``[contact_attribute:FIELD]`` names a contact field, which each account names itself.
    families: str = ""
    #: The service writes its own unsubscribe link into the footer of every message it sends,
    #: which the author cannot remove: `unsubscribe_url` may then stay empty (issue 10).
    adds_unsubscribe: bool = False
    #: Tags the preview's sample reader fills from the publication's own settings (a
    #: `PublicationSettings` field): the service takes them from the account's company details.
    from_publication: dict[str, str] = field(default_factory=dict)

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for t in (self.unsubscribe, self.name, *self.known) if t))


SAMPLE_UNSUBSCRIBE = "https://example.com/unsubscribe/sample-reader"

#: Benchmark Email's tags are words in square brackets, as ordinary text in brackets is too
#: (``[注]``, ``[x]``, ``[1]``, ``[^1]``, ``[text](url)``, ``[text][ref]``), so only these shapes
#: are taken for its tags: snake_case (``[address_block]``: every documented one has an
#: underscore), or a prefix and a colon (``[contact_attribute:firstname]``, whose prefix has one,
#: and the documented ``[uppercase:...]`` and ``[lowercase:...]``, which may hold another tag).
#: Never a link's text (followed by ``(`` or ``[``), a reference (after ``]``), an escaped
#: ``\[``, or a link definition (``[my_ref]: https://...`` alone on its line).
_BM_FIELD = r"[^\[\]\s][^\[\]\n]*"  # a contact field's name, as the account spells it ("last name")
_BM_PREFIX = r"[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*"
_BM_CASE = r"(?:uppercase|lowercase)"
BENCHMARK_SYNTAX = (
    r"(?<![\]\\])"
    r"(?!(?<![^\n])\[[^\[\]\n]+\]:[ \t]*\S+[ \t]*(?:\n|\Z))"
    rf"\[(?:{_BM_CASE}:\[{_BM_PREFIX}:{_BM_FIELD}\]|(?:{_BM_PREFIX}|{_BM_CASE}):{_BM_FIELD}|{_BM_PREFIX})\]"
    r"(?![(\[])"
)
#: What Benchmark fills in whatever the field's name: a contact field, and the case functions
#: over text or over one contact field.
BENCHMARK_FAMILIES = (
    rf"\[(?:contact_attribute:{_BM_FIELD}|{_BM_CASE}:(?:\[contact_attribute:{_BM_FIELD}\]|[^\[\]\n]*))\]"
)
#: The case functions, for the sample reader: ``[uppercase:abc]`` is ABC.
CASE_FUNCTIONS = {"uppercase": str.upper, "lowercase": str.lower}

SERVICES: dict[str, Service] = {
    # https://mailchimp.com/developer/marketing/docs/merge-fields/ (FNAME, LNAME, ...); UNSUB is
    # the unsubscribe tag Mailchimp requires in every campaign: http://kb.mailchimp.com/tag/unsubscribe
    # ("Our *|UNSUB|* merge tag automatically generates a link to your MailChimp-hosted Unsubscribe form").
    "mailchimp": Service(
        "Mailchimp",
        r"\*\|[A-Za-z0-9_:]+\|\*",
        "*|UNSUB|*",
        "*|FNAME|*",
        ("*|LNAME|*", "*|EMAIL|*", "*|ARCHIVE|*", "*|UPDATE_PROFILE|*", "*|LIST:ADDRESS|*"),
    ),
    # https://help.brevo.com/hc/en-us/articles/4402386448530 (Brevo Template Language: {{ contact.ATTRIBUTE }}).
    "brevo": Service(
        "Brevo",
        r"\{\{\s*[^{}]+?\s*\}\}",
        "{{ unsubscribe }}",
        "{{ contact.FIRSTNAME }}",
        ("{{ contact.LASTNAME }}", "{{ contact.EMAIL }}", "{{ mirror }}", "{{ update_profile }}"),
    ),
    # https://support.sendgrid.com/hc/en-us/articles/1260806604209-Unsubscribe-Methods (ASM tags).
    "sendgrid": Service(
        "SendGrid",
        r"\{\{\{?\s*[^{}]+?\s*\}?\}\}|<%[A-Za-z_]*%>",
        "{{{unsubscribe}}}",
        "{{first_name}}",
        (
            "{{last_name}}",
            "{{email}}",
            "{{{unsubscribe_preferences}}}",
            "<%asm_group_unsubscribe_raw_url%>",
            "<%asm_preferences_raw_url%>",
        ),
    ),
    # https://listmonk.app/docs/templating (template expressions).
    "listmonk": Service(
        "listmonk",
        r"\{\{\s*[^{}]+?\s*\}\}",
        "{{ UnsubscribeURL }}",
        "{{ .Subscriber.FirstName }}",
        (
            "{{ .Subscriber.Name }}",
            "{{ .Subscriber.LastName }}",
            "{{ .Subscriber.Email }}",
            "{{ .Subscriber.UUID }}",
            "{{ MessageURL }}",
            "{{ OptinURL }}",
            "{{ TrackView }}",
        ),
    ),
    # マイスピー (MyASP): https://docs.myasp.jp/ (よくある質問: 配信解除リンク, %cancelurl%). Its
    # name tag is not on the pages found, so none is named; write it as [email] name_tag.
    "myasp": Service(
        "MyASP (マイスピー)",
        r"%[a-z0-9_]+%",
        "%cancelurl%",
        "",
        ("%cancelurl1click%", "%cancelurl2%", "%cancelurlall%", "%kara_mail_cancel_address%"),
    ),
    # Benchmark Email (documented in Japanese by its Japanese arm): the tag list
    # https://www.benchmarkemail.com/jp/help-FAQ/answer/merge-tags-available-in-benchmark-email
    # ([address_block], [company_name], [company_phone], [uppercase:text], [lowercase:text],
    # [contact_attribute:companyname]). Its first-name field, firstname, is not on a page found:
    # it rests on a third-party API client's table ("[nome]" => "[contact_attribute:firstname]").
    # No unsubscribe tag: Benchmark inserts the link itself, "automatically inserting an unsubscribe
    # link in the footer of all newsletters" (https://kb.benchmarkemail.com/en/tag/abmelden/), and
    # the footer's items cannot be removed (https://jp-benchmark.helpscoutdocs.com/article/208-email-footers).
    "benchmark": Service(
        "Benchmark Email",
        BENCHMARK_SYNTAX,
        "",
        "[contact_attribute:firstname]",
        ("[contact_attribute:companyname]", "[address_block]", "[company_name]", "[company_phone]"),
        samples={
            "[contact_attribute:companyname]": "Example Co.",
            "[address_block]": "1-1 Chiyoda, Chiyoda-ku, Tokyo 100-0001",
            "[company_name]": "Example Co.",
            "[company_phone]": "03-0000-0000",
        },
        families=BENCHMARK_FAMILIES,
        adds_unsubscribe=True,
        # The footer's sender and address come from the account's 会社情報, which for a publication
        # are its own (https://kb.benchmarkemail.com/jp/tag/コンタクトリスト).
        from_publication={"[address_block]": "postal_address", "[company_name]": "sender_name"},
    ),
}
CHOICES = (NONE, *SERVICES, "custom")


def service_for(
    name: str,
    unsubscribe_tag: str = "",
    name_tag: str = "",
    *,
    adds_unsubscribe: bool = False,
    publication: Any = None,
) -> Service | None:
    """The profile of ``[email] service``; ``custom`` is made of ``unsubscribe_tag``, ``name_tag``
    and ``adds_unsubscribe`` (the tags also override a named service's). With *publication*
    (`PublicationSettings`), the tags a service fills from the account's company details show
    the publication's own values to the sample reader."""
    if name == NONE:
        return None
    if name == "custom":
        tags = [t for t in (unsubscribe_tag, name_tag) if t]
        syntax = "|".join(re.escape(t) for t in tags) or r"(?!x)x"
        return Service("custom", syntax, unsubscribe_tag, name_tag, adds_unsubscribe=adds_unsubscribe)
    base = SERVICES[name]
    own = {
        tag: getattr(publication, key) for tag, key in base.from_publication.items() if getattr(publication, key, "")
    }
    return replace(
        base,
        unsubscribe=unsubscribe_tag or base.unsubscribe,
        name=name_tag or base.name,
        samples={**base.samples, **own},
    )


def sample_values(service: Service) -> dict[str, str]:
    """What the preview's "sample reader" view puts in place of each tag."""
    values = {tag: f"[{tag}]" for tag in service.tags}
    if service.unsubscribe:
        values[service.unsubscribe] = SAMPLE_UNSUBSCRIBE
    if service.name:
        values[service.name] = "Hanako"
    return {**values, **service.samples}


def with_samples(text: str, service: Service | None, *, html: bool) -> str:
    """*text* as a sample reader gets it: each documented tag replaced by its sample value
    (the preview's default view; ``?tags=raw`` shows the tags as written)."""
    if service is None:
        return text
    values = sample_values(service)
    escaped = {
        tag: (tag.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") if html else tag) for tag in values
    }
    for tag, value in sorted(values.items(), key=lambda item: -len(item[0])):
        shown = value.replace("&", "&amp;").replace("<", "&lt;") if html else value
        text = text.replace(tag, shown)
        if escaped[tag] != tag:
            text = text.replace(escaped[tag], shown)
    if service.families:
        text = re.sub(service.families, lambda m: _case_function(m[0], html=html), text)
    return text


def _case_function(tag: str, *, html: bool) -> str:
    """``[uppercase:abc]`` as the service shows it (ABC); any other tag of a family as written
    (a contact field the sample reader has no value for)."""
    match = re.fullmatch(r"\[(uppercase|lowercase):([^\[\]]*)\]", tag)
    if not match:
        return tag
    value = CASE_FUNCTIONS[match[1]](html_module.unescape(match[2]) if html else match[2])
    return value.replace("&", "&amp;").replace("<", "&lt;") if html else value


class TagGuard:
    """Placeholders for a service's tags, and the tags back: one per render of an issue."""

    PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_PREFIX) + r"(\d+)x")

    def __init__(self, service: Service | None) -> None:
        self.service = service
        self.pattern = re.compile(service.syntax) if service else None
        self.tags: list[str] = []

    def protect(self, text: str) -> str:
        """*text* with every tag (anything in the service's syntax) as a placeholder."""
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(self._placeholder, text)

    def _placeholder(self, match: re.Match[str]) -> str:
        tag = match[0]
        if tag not in self.tags:
            self.tags.append(tag)
        return f"{PLACEHOLDER_PREFIX}{self.tags.index(tag)}x"

    def protect_fields(self, settings: Any, names: Iterable[str] | None = None) -> Any:
        """A copy of a dataclass of settings (or an issue) with its string fields protected."""
        if self.pattern is None:
            return settings
        wanted = set(names) if names is not None else None
        changes = {
            f.name: self.protect(getattr(settings, f.name))
            for f in fields(settings)
            if isinstance(getattr(settings, f.name), str) and (wanted is None or f.name in wanted)
        }
        return replace(settings, **changes)

    def restore(self, text: str) -> str:
        """The tags back, byte for byte, in place of their placeholders."""
        if not self.tags:
            return text
        return self.PLACEHOLDER.sub(lambda m: self.tags[int(m[1])] if int(m[1]) < len(self.tags) else m[0], text)


def is_tag(value: str, service: Service | None) -> bool:
    """Whether *value* is one whole tag of *service*'s (a link a service fills in per reader)."""
    return bool(service and value and re.fullmatch(service.syntax, value.strip()))


def unknown_tags(text: str, service: Service | None) -> list[str]:
    """Tag-looking strings in *text* that the service does not document, in order, once each."""
    if service is None or service.label == "custom":
        return []
    found = [m[0] for m in re.finditer(service.syntax, text)]
    unknown = [
        t for t in found if t not in service.tags and not (service.families and re.fullmatch(service.families, t))
    ]
    return list(dict.fromkeys(unknown))
