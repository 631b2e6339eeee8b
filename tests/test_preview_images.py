"""`notice preview` shows local images (issue 11): its pages link the build's own copies, which
are not uploaded yet, and it serves only the copies its build recorded."""

from __future__ import annotations

import hashlib
import http.client
import io
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image
from test_preview import get

from toolkit.localserver import ENTRY_BYTES, Response
from toolkit.preview import PreviewServer

from conftest import make_publication, write_issue

BASE = "https://news.example.com/"


def picture(path: Path, size: tuple[int, int]) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


@pytest.fixture
def shown(run, tmp_path):
    """A published issue with a photo (its file name has a space and Japanese in it), and a
    correction whose note shows it too: its notice is pending, so the combined tab is there."""
    root = make_publication(tmp_path / "pub", inliner="css-inline")
    data = picture(root / "issues" / "images" / "店 shop.jpg", (300, 200))
    write_issue(root, "hello", title="Hello readers", body="![Shop](<images/店 shop.jpg>)\n\nWe open at 9.\n")
    assert run("-C", str(root), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    result = run(
        "-C", str(root), "correct", "hello", "--kind", "correction", "--replaces", "at 9", "--with", "at 10",
        "--note", "The hours changed. ![Shop](<images/店 shop.jpg>)",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    running = PreviewServer(root, port=0)
    running.start()
    running.name = f"店 shop.{hashlib.sha256(data).hexdigest()[:8]}.jpg"  # type: ignore[attr-defined]
    running.data = data  # type: ignore[attr-defined]
    yield running
    running.stop()


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', html)


def test_the_preview_links_and_serves_the_build_s_copy(shown):
    copy = "/built/hello/img/%E5%BA%97%20shop." + shown.name.split(".")[1] + ".jpg"
    (notice,) = (shown.previewer.out_dir / "hello" / "corrections").glob("*/email.html")
    pages = ["/built/hello/email.html", "/built/hello/email.html?dark=invert", "/built/hello/web.html"]
    for path in [*pages, f"/built/hello/corrections/{notice.parent.name}/email.html", "/built/corrections.html"]:
        status, body, _ = get(shown, path)
        assert status == 200 and image_sources(body) and set(image_sources(body)) == {copy}, path
    status, body, _ = get(shown, "/issue/hello?tab=notice-combined-" + combined_tab(shown))
    assert status == 200 and copy in body  # the srcdoc of the combined notice
    status, _, headers = get(shown, copy)
    assert status == 200 and headers["content-type"] == "image/jpeg"
    assert "script-src 'none'" in headers["content-security-policy"]
    host, port = shown.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", copy)
    assert conn.getresponse().read() == shown.data
    conn.close()
    # What the build wrote keeps the published links: only the preview's view maps them.
    built = (shown.previewer.out_dir / "hello" / "email.html").read_text(encoding="utf-8")
    assert {s.replace("%E5%BA%97%20", "店 ") for s in image_sources(built)} == {f"{BASE}hello/img/{shown.name}"}


def combined_tab(shown) -> str:
    _, page, _ = get(shown, "/issue/hello")
    return re.search(r'data-tab="notice-combined-([^"]+)"', page)[1]


def test_an_image_the_build_did_not_record_is_404(shown):
    folder = shown.previewer.out_dir / "hello" / "img"
    picture(folder / "planted.0123abcd.jpg", (10, 10))
    (folder / "notes.txt").write_text("planted", encoding="utf-8")
    for path in (
        "/built/hello/img/planted.0123abcd.jpg",
        "/built/hello/img/notes.txt",
        "/built/hello/img/",
        "/built/hello/img/%2e%2e/email.html",
        f"/built/older/img/{quote(shown.name)}",
        f"/built/hello/img/{quote(shown.name)}/x",
        f"/built/hello/img/{quote(shown.name)}%00",
    ):
        assert get(shown, path)[0] == 404, path


def test_a_big_answer_is_not_kept_so_pages_keep_their_place(shown):
    server = shown.httpd
    version = server.version()
    server.keep("/big", version, Response(b"", b"", b"x" * (ENTRY_BYTES + 1)))
    server.keep("/small", version, Response(b"", b"", b"x"))
    assert "/big" not in server._table and "/small" in server._table


@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "frame"),
    [
        ("", "#email-frame"),
        ("?dark=1", "#email-frame"),
        ("?dark=invert&width=375", "#email-frame"),
        ("?tab=web", "#web-frame"),
        ("?tab=notice", "#notice-frame"),
        ("?tab=combined", "#notice-frame"),
    ],
)
def test_the_author_sees_the_photo_in_every_view(shown, browser, query, frame):
    """Loaded for real by Chromium: the frames are sandboxed, under the pages' CSP, and the
    combined notice is a srcdoc; no request leaves the machine."""
    if query == "?tab=notice":
        (notice,) = (shown.previewer.out_dir / "hello" / "corrections").glob("*/email.html")
        query = f"?tab=notice-{notice.parent.name}"
    elif query == "?tab=combined":
        query = f"?tab=notice-combined-{combined_tab(shown)}"
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []

    def answer(route) -> None:
        if route.request.url.startswith(shown.url):
            route.continue_()
        else:  # a published URL: not uploaded yet, the preview must not need it
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", answer)
    page.goto(shown.url + "issue/hello" + query)
    images = page.frame_locator(frame).locator("img[alt=Shop]")
    images.first.wait_for()
    # decode() settles once the image has loaded (or rejects if it cannot): no waiting by time.
    sizes = images.evaluate_all(
        "all => Promise.all(all.map(i => i.decode().then(() => [i.naturalWidth, i.naturalHeight, i.src], () => [0, 0, i.src])))"
    )
    context.close()
    assert sizes and all(size[:2] == [300, 200] and "/built/hello/img/" in size[2] for size in sizes), sizes
    assert not outside


def test_the_dark_views_reach_the_combined_notice(shown, browser):
    """The combined notice is a srcdoc of the page, not a /built/ file: the dark views are
    applied to it there, and its tab offers them like every other email's."""
    tab = combined_tab(shown)
    page = browser.new_page()
    try:
        page.goto(shown.url + f"issue/hello?tab=notice-combined-{tab}")
        container = page.frame_locator("#notice-frame").locator("table.container")
        assert container.evaluate("e => getComputedStyle(e).backgroundColor") != "rgb(31, 41, 55)"
        page.click("text=Dark mode")
        assert "dark=1" in page.url
        dark_container = "rgb(31, 41, 55)"  # the theme's dark one
        assert container.evaluate("e => getComputedStyle(e).backgroundColor") == dark_container
        page.click("text=Inverted dark")
        assert "dark=invert" in page.url
        root = page.frame_locator("#notice-frame").locator("html")
        assert "invert(1)" in root.evaluate("e => getComputedStyle(e).filter")
        assert container.evaluate("e => getComputedStyle(e).backgroundColor") != "rgb(31, 41, 55)"  # its dark rules off
    finally:
        page.close()
