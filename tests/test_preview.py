"""The preview server over HTTP, and in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from toolkit.errors import ToolkitError
from toolkit.localserver import WORKERS
from toolkit.preview import PreviewServer

from conftest import make_publication, write_issue


@pytest.fixture
def server(tmp_path):
    root = make_publication(tmp_path / "pub")
    write_issue(
        root, "older", title="Older issue", date="2025-01-01", status="published", body="## Old news\n\nOlder body."
    )
    write_issue(
        root,
        "hello",
        title="Hello readers",
        date="2026-01-05",
        body="First paragraph with a [link](https://example.com/).\n\n## Part two\n\nMore text.",
    )
    (root / "secret.txt").write_text("do not serve", encoding="utf-8")
    running = PreviewServer(root, port=0)
    running.start()
    yield running
    running.stop()


def get(
    server: PreviewServer, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, str, dict[str, str]]:
    host, port = server.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    headers = {k.lower(): v for k, v in response.getheaders()}
    conn.close()
    return response.status, body, headers


def exchange(server: PreviewServer, data: bytes) -> bytes:
    """Send raw bytes, then read everything the server sends until it closes the connection."""
    with socket.create_connection(server.httpd.server_address[:2], timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def statuses(received: bytes) -> list[int]:
    """The status of each response in a stream of them (a body directly precedes the next)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]


def wait_until(condition, timeout: float = 10.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise AssertionError("timed out")
        time.sleep(0.02)
    return time.perf_counter() - start


def test_binds_loopback_by_default(server):
    assert server.httpd.server_address[0] == "127.0.0.1"


@pytest.mark.parametrize(
    "path",
    [
        "/../notice.toml",
        "/%2e%2e/notice.toml",
        "/%2E%2E/%2E%2E/etc/passwd",
        "/built/../../notice.toml",
        "/built/%2e%2e/%2e%2e/notice.toml",
        "/built/..%2f..%2fnotice.toml",
        "//etc/passwd",
        "/etc/passwd",
        "/built/hello/../../secret.txt",
        "/secret.txt",
        "/notice.toml",
        "/built/%2Fetc%2Fpasswd",
        "/assets/../preview.py",
        "/assets/preview.html",
        "/built/hello/email.html%00",
        "/issue/../notice.toml",
        "/built/hello",
        "/issue/nope",
    ],
)
def test_serves_nothing_but_its_own(server, path):
    status, body, _ = get(server, path)
    assert status == 404, (path, body[:200])
    assert "do not serve" not in body and "[publication]" not in body


def test_serves_what_it_built_with_charset_and_no_scripts(server):
    status, body, headers = get(server, "/built/hello/email.html")
    assert status == 200 and "Hello readers" in body
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'none'" in headers["content-security-policy"]
    status, text, headers = get(server, "/built/hello/email.txt")
    assert (
        status == 200 and headers["content-type"] == "text/plain; charset=utf-8" and "[1] https://example.com/" in text
    )


def test_dark_mode_switches_the_themes_dark_rules_on(server):
    _, light, _ = get(server, "/built/hello/email.html")
    _, dark, _ = get(server, "/built/hello/email.html?dark=1")
    assert "prefers-color-scheme" in light and "@media all" not in light
    assert "prefers-color-scheme" not in dark and "@media all" in dark


def test_index_is_server_rendered_newest_first(server):
    status, body, _ = get(server, "/")
    assert status == 200
    assert body.index("Hello readers") < body.index("Older issue")
    assert body.count('class="badge">draft') == 1


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8000",
        "localhost.evil.example",
        "127.0.0.1.nip.io",
        "user@localhost",
        "localhost, evil.example",
    ],
)
def test_a_page_on_another_site_gets_400_unless_host_was_given(server, tmp_path, host):
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends its own
    name as Host; only the names of this machine are answered (issue 14)."""
    status, body, _ = get(server, "/built/hello/email.html", headers={"Host": host})
    assert status == 400 and "Hello readers" not in body
    # Bound beyond loopback with --host, readers come by names the preview cannot know.
    exposed = PreviewServer(server.previewer.root, host="0.0.0.0", port=0)
    exposed.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", exposed.httpd.server_address[1], timeout=10)
        conn.request("GET", "/built/hello/email.html", headers={"Host": host})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        exposed.stop()


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:8000", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:80"])
def test_local_host_names_are_answered(server, host):
    assert get(server, "/", headers={"Host": host})[0] == 200


def test_silent_and_half_sent_connections_are_closed(server):
    """Issue 14: 300 connections that never finished a request held 300 threads for ever."""
    address = server.httpd.server_address[:2]
    silent = socket.create_connection(address, timeout=30)
    partial = socket.create_connection(address, timeout=30)
    partial.sendall(b"GET /built/hello/ema")
    try:
        for sock in (silent, partial):
            try:
                assert sock.recv(1024) == b""  # the server closed it
            except ConnectionResetError:
                pass
    finally:
        silent.close()
        partial.close()
    assert get(server, "/")[0] == 200


@pytest.mark.parametrize(
    "path", ["/", "/issue/hello?tab=text", "/built/hello/email.html", "/assets/preview.css", "/issue/nope", "/events"]
)
def test_head_sends_gets_headers_without_the_body(server, path):
    received = exchange(server, f"HEAD {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    head, _, rest = received.partition(b"\r\n\r\n")
    assert rest == b""
    host, port = server.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    ignored = ("date", "connection")
    wanted = {k.lower(): v for k, v in response.getheaders() if k.lower() not in ignored}
    conn.close()
    lines = head.decode().split("\r\n")
    got = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:]) if k.lower() not in ignored}
    assert int(lines[0].split()[1]) == response.status and got == wanted


def test_a_request_body_is_never_read_as_a_second_request(server):
    smuggled = b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    received = exchange(
        server,
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n%s"
        b"GET /assets/preview.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % (len(smuggled), smuggled),
    )
    assert statuses(received) == [200, 200]


@pytest.mark.parametrize(
    "framing, status",
    [
        (b"Transfer-Encoding: chunked\r\n", 411),
        (b"Content-Length: 5, 7\r\n", 400),
        (b"Content-Length: -1\r\n", 400),
        (b"Content-Length: 999999999\r\n", 413),
    ],
)
def test_a_body_it_cannot_measure_ends_the_connection(server, framing, status):
    smuggled = b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    received = exchange(
        server,
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + framing
        + b"\r\n"
        + b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled),
    )
    assert statuses(received) == [status]


def test_serves_only_files_its_own_build_recorded(server):
    out = server.previewer.out_dir
    (out / "hello" / "planted.html").write_text("<p>planted</p>", encoding="utf-8")
    (out / "planted").mkdir()
    (out / "planted" / "email.html").write_text("<p>planted</p>", encoding="utf-8")
    assert get(server, "/built/hello/planted.html")[0] == 404
    assert get(server, "/built/planted/email.html")[0] == 404
    write_issue(server.previewer.root, "later", title="Later issue", date="2026-02-01")
    server.previewer.rebuild()
    status, body, _ = get(server, "/built/later/email.html")
    assert status == 200 and "Later issue" in body


def test_200_concurrent_requests_all_succeed_on_a_bounded_number_of_threads(server):
    """Every connection is opened before any request is sent, as 200 readers would."""
    host, port = server.httpd.server_address[:2]
    before = threading.active_count() + 1  # and the client's thread
    most = before

    async def one(connected: asyncio.Event) -> bytes:
        reader, writer = await asyncio.open_connection(host, port)
        await connected.wait()
        writer.write(b"GET /built/hello/email.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        received = await reader.read()
        writer.close()
        await writer.wait_closed()
        return received

    async def run() -> list[bytes]:
        nonlocal most
        connected = asyncio.Event()
        tasks = [asyncio.create_task(one(connected)) for _ in range(200)]
        for _ in range(20):  # the connections are made and the server has accepted them
            await asyncio.sleep(0.01)
            most = max(most, threading.active_count())
        connected.set()
        while not all(task.done() for task in tasks):
            await asyncio.sleep(0.005)
            most = max(most, threading.active_count())
        return [task.result() for task in tasks]

    # In a thread of its own: after the browser tests, Playwright's loop runs in this one.
    results: list[bytes] = []
    client = threading.Thread(target=lambda: results.extend(asyncio.run(asyncio.wait_for(run(), timeout=60))))
    client.start()
    client.join()
    assert [statuses(r) for r in results] == [[200]] * 200
    assert most - before <= WORKERS


def without_date(received: bytes) -> bytes:
    return re.sub(rb"\r\nDate: [^\r]*", b"", received)


def test_an_answer_is_kept_in_memory_until_the_next_build(server):
    """Issue 14 item 10: answering 200 readers within 100 ms leaves no time to read and
    rewrite the file, or to parse headers with http.server, for each of them."""
    request = b"GET /built/hello/email.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    first = exchange(server, request)  # made by the handler
    email = server.previewer.out_dir / "hello" / "email.html"
    email.write_text("<p>changed behind the preview's back</p>", encoding="utf-8")
    again = exchange(server, request)  # from memory
    assert statuses(again) == [200] and without_date(again) == without_date(first)
    assert b"Hello readers" in again
    write_issue(server.previewer.root, "hello", title="Hello after a build", date="2026-01-05")
    server.previewer.rebuild()
    status, body, _ = get(server, "/built/hello/email.html")
    assert status == 200 and "Hello after a build" in body


@pytest.mark.parametrize(
    "path", ["/", "/issue/hello?tab=text&width=375", "/built/hello/email.txt", "/assets/preview.js", "/issue/nope"]
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_an_answer_from_memory_is_the_handler_s_byte_for_byte(server, path, method):
    request = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode()
    first, again = exchange(server, request), exchange(server, request)
    assert without_date(again) == without_date(first) and statuses(again) == statuses(first)
    assert again.count(b"\r\nDate: ") == 1


def test_answers_from_memory_still_check_the_host(server):
    assert get(server, "/")[0] == 200  # now kept
    for headers in ({"Host": "evil.example"}, {"Host": "localhost, evil.example"}):
        status, body, _ = get(server, "/", headers=headers)
        assert status == 400 and "Hello readers" not in body
    no_host = exchange(server, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert statuses(no_host) == [400]


def test_kept_alive_and_pipelined_requests_are_answered_in_order(server):
    for path in ("/", "/assets/preview.css", "/issue/nope"):
        get(server, path)  # each kept
    received = exchange(
        server,
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"HEAD /assets/preview.css HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"GET /issue/nope HTTP/1.1\r\nHost: localhost\r\n\r\n"
        b"GET /built/hello/email.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    assert statuses(received) == [200, 200, 404, 200]
    assert received.count(b"Content-Type: text/css") == 1 and b"[1] https://example.com/" in received
    # HTTP/1.0 closes after one answer unless asked to keep the connection.
    assert statuses(exchange(server, b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")) == [200]


def test_a_reader_slower_than_the_answer_still_gets_all_of_it(server):
    """An answer bigger than the socket takes at once is finished on a thread, so the
    loop that accepts connections never waits for one reader."""
    write_issue(server.previewer.root, "hello", title="Long one", date="2026-01-05", body="Some words. " * 10_000)
    server.previewer.rebuild()
    status, whole, _ = get(server, "/built/hello/email.html")
    assert status == 200 and len(whole) > 100_000
    # A small send buffer (accepted connections inherit the listening socket's), so the
    # answer cannot go out at once as it would on an idle loopback.
    server.httpd.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    host, port = server.httpd.server_address[:2]
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect((host, port))
        sock.sendall(b"GET /built/hello/email.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        time.sleep(0.3)  # the server has sent what fits and must wait
        received = b""
        while not received.endswith(whole.encode("utf-8")[-200:]):
            received += sock.recv(65536)
        assert received.split(b"\r\n\r\n", 1)[1] == whole.encode("utf-8")
        sock.sendall(b"GET /issue/nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # still kept alive
        assert sock.recv(65536).startswith(b"HTTP/1.1 404 ")


def test_the_feeds_and_the_corrections_log_are_reachable_from_the_index(server):
    _, index, _ = get(server, "/")
    for href in (
        "/built/corrections.html",
        "/built/feed.atom",
        "/built/corrections.atom",
        "/built/feed.json",
        "/built/sitemap.xml",
    ):
        assert f'href="{href}"' in index
        status, body, headers = get(server, href)
        assert status == 200, href
    status, body, headers = get(server, "/built/feed.atom")
    assert headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert "Older issue" in body and "Hello readers" not in body  # a draft is in no feed, even in the preview


def test_port_in_use_is_a_clear_error(server):
    port = server.httpd.server_address[1]
    with pytest.raises(ToolkitError) as info:
        PreviewServer(server.previewer.root, port=port)
    assert info.value.message == f"port {port} on 127.0.0.1 is already in use"
    assert f"--port {port + 1}" in info.value.hint


def test_events_announce_each_build(server):
    host, port = server.httpd.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        stream = sock.makefile("rb")
        lines = []
        while b'"generation": 1' not in b"".join(lines):
            lines.append(stream.readline())
        write_issue(server.previewer.root, "hello", title="Hello again")
        started = time.perf_counter()
        while True:
            line = stream.readline()
            if line.startswith(b"data:") and b'"generation": 2' in line:
                break
        assert time.perf_counter() - started < 5


def event_stream(server: PreviewServer, query: str = ""):
    """The build events of /events?QUERY, each as its data, read as they come."""
    sock = socket.create_connection(server.httpd.server_address[:2], timeout=10)
    sock.sendall(f"GET /events{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    stream = sock.makefile("rb")
    try:
        while True:
            line = stream.readline()
            if not line:
                return
            if line.startswith(b"data: "):
                yield json.loads(line[6:])
    finally:
        stream.close()
        sock.close()


def test_events_carry_the_page_they_were_opened_for(server):
    """Issue 13: the page swaps in the new build without fetching itself again."""
    page = quote("/issue/hello?tab=text&width=375", safe="")
    events = event_stream(server, f"?page={page}&have=1")
    first = next(events)
    assert first["generation"] == 1 and "html" not in first  # the page shows build 1 already
    write_issue(server.previewer.root, "hello", title="Hello, pushed", date="2026-01-05")
    second = next(events)
    assert second["generation"] == 2
    assert '<h2 id="subject">Hello, pushed</h2>' in second["html"] and 'id="plain-text"' in second["html"]
    assert second["html"] == get(server, "/issue/hello?tab=text&width=375")[1]  # what a reload shows
    events.close()
    behind = event_stream(server, f"?page={page}&have=1")
    assert "Hello, pushed" in next(behind)["html"]  # a page that missed a build gets it at once
    behind.close()
    for target in ("/secret.txt", "/built/hello/email.html", "//evil.example/", "/issue/../notice.toml", "/issue/nope"):
        stream = event_stream(server, f"?page={quote(target, safe='')}&have=0")
        assert "html" not in next(stream), target
        stream.close()


def test_pages_are_told_before_the_feeds_are_written_and_a_feed_waits_for_them(server, monkeypatch):
    """Issue 13: the index, log, feeds and sitemap took 7-14 ms of a save's 50, so the pages
    hear of the new build first; a request for one of those files meanwhile waits for it."""
    import toolkit.feeds

    written = toolkit.feeds.write_public_record
    gate = threading.Event()

    def held(*args, **kwargs):  # the real writer, held until the test has seen the event
        assert gate.wait(10)
        return written(*args, **kwargs)

    monkeypatch.setattr(toolkit.feeds, "write_public_record", held)
    events = event_stream(server)
    assert next(events)["generation"] == 1
    write_issue(
        server.previewer.root, "older", title="Older, edited", date="2025-01-01", status="published", body="Body."
    )
    assert next(events)["generation"] == 2  # told while the feeds wait at the gate
    assert "Older, edited" in get(server, "/")[1]
    feed: list[str] = []
    reader = threading.Thread(target=lambda: feed.append(get(server, "/built/feed.atom")[1]))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive()  # not the last build's feed: it waits for this one
    gate.set()
    reader.join(10)
    assert "Older, edited" in feed[0]
    events.close()


def test_cli_preview_warns_off_loopback_and_stops_on_ctrl_c(run, publication, monkeypatch):
    def interrupt(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", interrupt)  # the edge: the user's Ctrl-C
    result = run("-C", str(publication), "preview", "--host", "0.0.0.0", "--port", "0")
    assert result.exit_code == 0, result.output
    assert "Warning: listening on 0.0.0.0" in result.stderr
    assert "Stopped." in result.stdout


# --- in a real browser --------------------------------------------------------------------------


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def test_issue_page_shows_the_email_and_switches_width_tab_and_dark(server, page):
    page.goto(server.url + "issue/hello")
    frame = page.frame_locator("#email-frame")
    assert "Hello readers" in frame.locator("h1.issue-title").inner_text()
    assert page.locator("#email-frame").get_attribute("sandbox") == "allow-popups allow-popups-to-escape-sandbox"
    page.click("text=Mobile 375")
    assert page.locator("#email-frame").evaluate("e => e.getBoundingClientRect().width") == 375
    assert "width=375" in page.url
    page.click("text=Dark mode")
    body_colour = (
        page.frame_locator("#email-frame")
        .locator("table.container")
        .evaluate("e => getComputedStyle(e).backgroundColor")
    )
    assert body_colour == "rgb(31, 41, 55)"  # the theme's dark container colour
    page.click("a[data-tab=text]")
    assert "[1] https://example.com/" in page.locator("#plain-text").inner_text()
    assert "width=375" in page.url and "dark=1" in page.url  # choices survive in the URL
    page.click("a[data-tab=source]")
    assert "of Gmail's 102 KB clipping limit" in page.locator("#size").inner_text()
    page.click("a[data-tab=web]")
    assert "Hello readers" in page.frame_locator("#web-frame").locator("h1").inner_text()
    page.click("a[data-tab=corrections]")
    assert "draft: not published yet" in page.locator("#timeline").inner_text()


def test_pages_work_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url)
    titles = page.locator("#issue-list .title").all_inner_texts()
    assert titles == ["Hello readers", "Older issue"]
    page.click("text=Older issue")
    page.click("a[data-tab=text]")
    assert "Older body." in page.locator("#plain-text").inner_text()
    context.close()


def test_saving_reloads_the_page_and_errors_show_then_recover(server, page):
    root = server.previewer.root
    page.goto(server.url + "issue/hello?tab=email&width=375")
    page.wait_for_function("() => document.body.dataset.generation === '1'")
    time.sleep(0.2)  # let the page's EventSource connect
    write_issue(root, "hello", title="Edited title", date="2026-01-05")
    page.wait_for_selector("#subject:has-text('Edited title')", timeout=10000)
    assert "Edited title" in page.frame_locator("#email-frame").locator("h1.issue-title").inner_text()
    assert "width=375" in page.url
    assert page.evaluate("() => document.body.dataset.updatedAt") is not None  # swapped in place, no reload

    (root / "issues" / "hello.md").write_text("---\ntitle: Broken\ndate: 2026-13-45\n---\nBody\n", encoding="utf-8")
    page.wait_for_selector("#errors", timeout=10000)
    error = page.locator("#errors").inner_text()
    assert "issues/hello.md:3" in error and "is not a real date" in error and "hint:" in error
    assert page.locator("#email-frame").count() == 0  # no stale email beside the error

    write_issue(root, "hello", title="Fixed title", date="2026-01-05")
    page.wait_for_selector("#subject:has-text('Fixed title')", timeout=10000)
    assert page.locator("#errors").count() == 0


def test_a_save_morphs_the_page_and_loads_its_email_frame_again(server, page):
    """Issue 13: the page is changed in place from the event (no fetch), and the email's
    frame stays and loads the new build (a new frame took 13 ms more, and longer to load)."""
    page.goto(server.url + "issue/hello?tab=email&width=375")
    page.wait_for_function("() => document.body.dataset.generation === '1'")
    time.sleep(0.2)  # let the page's EventSource connect
    page.evaluate(
        """() => {
        window.frameBefore = document.querySelector('#email-frame');
        window.fetches = 0;
        const fetch = window.fetch;
        window.fetch = (...args) => { window.fetches += 1; return fetch(...args); };
    }"""
    )
    write_issue(server.previewer.root, "hello", title="Morphed title", date="2026-01-05")
    page.wait_for_selector("#subject:has-text('Morphed title')", timeout=10000)
    assert page.evaluate("() => document.querySelector('#email-frame') === window.frameBefore")
    assert page.evaluate("() => window.fetches") == 0
    frame = page.frame_locator("#email-frame").locator("h1.issue-title")
    frame.filter(has_text="Morphed title").wait_for(timeout=10000)
    assert page.locator("#issue-list .current .title").inner_text() == "Morphed title"
    assert page.locator("#email-frame").evaluate("e => e.getBoundingClientRect().width") == 375


def test_template_error_shows_file_and_line(server, page):
    root = server.previewer.root
    page.goto(server.url + "issue/hello")
    time.sleep(0.2)
    (root / "templates").mkdir()
    (root / "templates" / "web.html").write_text("<p>\n{% if %}\n", encoding="utf-8")
    page.wait_for_selector("#errors", timeout=10000)
    assert "templates/web.html:2" in page.locator("#errors").inner_text()


def test_scripts_in_an_email_do_not_run(server, page):
    root = server.previewer.root
    (root / "templates").mkdir()
    theme = Path(__import__("toolkit.templating", fromlist=["theme_dir"]).theme_dir())
    email = (theme / "email.html").read_text(encoding="utf-8")
    (root / "templates" / "email.html").write_text(
        email.replace("</body>", "<script>document.body.dataset.ran = 'yes'</script></body>"), encoding="utf-8"
    )
    server.previewer.rebuild()
    page.goto(server.url + "issue/hello")
    ran = page.frame_locator("#email-frame").locator("body").evaluate("b => b.dataset.ran || 'no'")
    assert ran == "no"
