"""`notice check`'s rules for sending through a mail service (issue 10): its merge tags.

A tag the service does not document (``*|UNSUBB|*``) reaches readers as it was written, since
the service fills in only the tags it knows; with `[email] service` set, check names each one
and the nearest documented tag. (Tags themselves are valid links: the URL rules skip them.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .built_email import BuiltEmail
from .errors import Diagnostic, did_you_mean
from .services import unknown_tags


def merge_tag_unknown(email: BuiltEmail) -> Iterator[Diagnostic]:
    """A tag-looking string that the service will not fill in: a typo, usually."""
    service = email.config.service
    for tag in unknown_tags(email.html, service):
        assert service is not None
        path, line = email.locate(body=re.escape(tag), value=tag, template=re.escape(tag))
        yield Diagnostic(
            "warning",
            f"'{tag}' is not a {service.label} merge tag{did_you_mean(tag, service.tags)}: "
            "readers would see it as written",
            path,
            line,
            f"{service.label}'s tags include {', '.join(service.tags[:4])}; see README.md, Mail services",
        )


#: The rules of this module, by id, run after `toolkit.rules.RULES`.
MAIL_RULES = [("merge-tag-unknown", merge_tag_unknown)]
