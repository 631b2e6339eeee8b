"""The preview with a mail service's merge tags (issue 10): a sample reader's copy by default, the raw tags on
request; a text-only magazine opens on its text."""

from __future__ import annotations

import pytest
from test_preview import get

from toolkit.preview import PreviewServer
from toolkit.services import SAMPLE_UNSUBSCRIBE

from conftest import make_publication, write_issue


@pytest.fixture
def tagged(tmp_path):
    root = make_publication(tmp_path / "pub", service="listmonk", unsubscribe="{{ UnsubscribeURL }}")
    write_issue(root, "hello", body="Dear {{ .Subscriber.FirstName }}, hello.")
    running = PreviewServer(root, port=0)
    running.start()
    yield running
    running.stop()


def test_the_email_shows_a_sample_reader_and_the_raw_tags_on_request(tagged):
    status, sample, _ = get(tagged, "/built/hello/email.html")
    assert status == 200 and "Dear Hanako, hello." in sample and f'href="{SAMPLE_UNSUBSCRIBE}"' in sample
    assert "{{" not in sample
    status, raw, _ = get(tagged, "/built/hello/email.html?tags=raw")
    assert "Dear {{ .Subscriber.FirstName }}, hello." in raw and 'href="{{ UnsubscribeURL }}"' in raw
    status, page, _ = get(tagged, "/issue/hello?tab=text")
    assert "Dear Hanako, hello." in page
    status, page, _ = get(tagged, "/issue/hello?tab=email&tags=raw")
    assert "listmonk merge tags:" in page and "tags=raw" in page


def test_a_text_only_magazine_opens_on_the_text(tmp_path):
    root = make_publication(tmp_path / "pub")
    config = root / "notice.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[email]\nformat = "text"\n', encoding="utf-8")
    write_issue(root, "hello", body="Plain words.")
    running = PreviewServer(root, port=0)
    running.start()
    try:
        status, page, _ = get(running, "/issue/hello")
    finally:
        running.stop()
    assert status == 200 and 'id="plain-text"' in page and 'id="email-frame"' not in page
