"""`notice send`: test copies through a real SMTP server (aiosmtpd on 127.0.0.1), TLS by trustme."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from toolkit.sending import Server, parse_recipients, parse_server

USER, PASSWORD = "bob", "s3cret"


class Recorder:
    """An SMTP handler that keeps every message and refuses the recipients it is told to."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.refuse = refuse
        self.received: list[tuple[str, list[str], bytes, bool]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content, bool(session.authenticated))
        )
        return "250 2.0.0 Accepted"


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    """One user, one password; handled=False makes aiosmtpd answer 535 to anything else."""
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A private CA and the server's context for 127.0.0.1; the CA file the client must trust."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return context, path


@pytest.fixture
def serve() -> Iterator:
    """Start an aiosmtpd server on a free port of 127.0.0.1; returns its port. Stopped after the test."""
    controllers: list[Controller] = []

    def start(handler: Recorder, **options) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(autouse=True)
def no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTICE_SMTP_PASSWORD", raising=False)


def tls_server(serve, ca, handler: Recorder) -> int:
    return serve(handler, tls_context=ca[0], require_starttls=True, authenticator=authenticator, auth_required=True)


def exported(publication: Path, slug: str = "hello") -> bytes:
    return (publication / ".notice-cache" / "export" / slug / "message.eml").read_bytes()  # a draft's is private


def send_hello(run, publication: Path, port: int, *options: str, **kwargs):
    """`notice send hello --to me@example.com --smtp 127.0.0.1:PORT OPTIONS...`: the test's own server."""
    return run(
        "-C",
        str(publication),
        "send",
        "hello",
        "--to",
        "me@example.com",
        "--smtp",
        f"127.0.0.1:{port}",
        *options,
        **kwargs,
    )


def test_send_delivers_the_exported_message_with_a_to_header(run, publication, serve):
    handler = Recorder()
    port = serve(handler)
    result = run(
        "-C",
        str(publication),
        "send",
        "hello",
        "--to",
        "a@example.com",
        "--to",
        "b@example.org,a@example.com",
        "--smtp",
        f"127.0.0.1:{port}",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Sent hello to a@example.com, b@example.org via 127.0.0.1:{port}\n"
    assert handler.received == [
        (
            "news@example.com",
            ["a@example.com", "b@example.org"],
            b"To: a@example.com, b@example.org\r\n" + exported(publication),
            False,
        )
    ]


def test_starttls_and_login_with_the_password_from_the_environment(run, publication, serve, ca, monkeypatch):
    handler = Recorder()
    port = tls_server(serve, ca, handler)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca[1]))
    monkeypatch.setenv("NOTICE_SMTP_PASSWORD", PASSWORD)
    result = send_hello(run, publication, port, "--starttls", "--user", USER)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Sent hello to me@example.com via 127.0.0.1:{port}\n"
    assert result.stderr == ""
    assert handler.received == [
        ("news@example.com", ["me@example.com"], b"To: me@example.com\r\n" + exported(publication), True)
    ]


def test_the_password_is_asked_for_when_the_environment_has_none(run, publication, serve, ca, monkeypatch):
    handler = Recorder()
    port = tls_server(serve, ca, handler)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca[1]))
    result = send_hello(run, publication, port, "--starttls", "--user", USER, input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Password for {USER} at 127.0.0.1:{port}: \n"
    assert PASSWORD not in result.output
    assert len(handler.received) == 1 and handler.received[0][3] is True


def test_a_wrong_password_is_a_clean_error(run, publication, serve, ca, monkeypatch):
    handler = Recorder()
    port = tls_server(serve, ca, handler)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca[1]))
    monkeypatch.setenv("NOTICE_SMTP_PASSWORD", "wrong")
    result = send_hello(run, publication, port, "--starttls", "--user", USER)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: 127.0.0.1:{port} refused the login of 'bob': "
        "535 5.7.8 Authentication credentials invalid\n  hint: check --user"
    )
    assert handler.received == []


def test_an_untrusted_certificate_is_refused(run, publication, serve, ca, monkeypatch, tmp_path):
    port = tls_server(serve, ca, Recorder())
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    monkeypatch.setenv("NOTICE_SMTP_PASSWORD", PASSWORD)
    result = send_hello(run, publication, port, "--starttls", "--user", USER)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: TLS with 127.0.0.1:{port} failed: unable to get local issuer "
        "certificate\n  hint: the server's certificate is not trusted"
    )


def test_implicit_tls_with_ssl(run, publication, serve, ca, monkeypatch):
    handler = Recorder()
    # aiosmtpd only counts STARTTLS as TLS for AUTH; this connection is TLS from the first byte.
    port = serve(handler, ssl_context=ca[0], authenticator=authenticator, auth_require_tls=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca[1]))
    monkeypatch.setenv("NOTICE_SMTP_PASSWORD", PASSWORD)
    result = send_hello(run, publication, port, "--ssl", "--user", USER)
    assert result.exit_code == 0, result.output
    assert [entry[1:] for entry in handler.received] == [
        (["me@example.com"], b"To: me@example.com\r\n" + exported(publication), True)
    ]


def test_a_server_without_starttls_is_a_clean_error(run, publication, serve):
    port = serve(Recorder())
    result = run(
        "-C", str(publication), "send", "hello", "--to", "me@example.com", "--smtp", f"127.0.0.1:{port}", "--starttls"
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: 127.0.0.1:{port} does not offer STARTTLS\n  hint: --starttls is for")


def test_a_server_that_wants_starttls_says_so(run, publication, serve, ca):
    handler = Recorder()
    port = tls_server(serve, ca, handler)
    result = run("-C", str(publication), "send", "hello", "--to", "me@example.com", "--smtp", f"127.0.0.1:{port}")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: 127.0.0.1:{port} refused the sender news@example.com: 530 Must issue a "
        "STARTTLS command first\n  hint: this server wants --starttls (or --ssl) and a login "
        "(--user) before it takes mail\n"
    )


def test_user_without_tls_is_refused_before_connecting(run, publication):
    port = free_port()  # nothing listens: a connection attempt would be "connection refused"
    result = send_hello(run, publication, port, "--user", USER, input="never asked\n")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --user needs --starttls or --ssl: a password is never sent unencrypted\n"
        "  hint: add --starttls (port 587) or --ssl (port 465), as your mail provider says\n"
    )


def test_a_refused_connection_is_a_clean_error(run, publication):
    port = free_port()
    result = run("-C", str(publication), "send", "hello", "--to", "me@example.com", "--smtp", f"127.0.0.1:{port}")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: cannot connect to 127.0.0.1:{port}: connection refused\n"
        "  hint: is an SMTP server listening there? Give it with --smtp HOST:PORT\n"
    )


def test_a_refused_recipient_is_named_and_the_others_got_it(run, publication, serve):
    handler = Recorder(refuse=("nobody@example.com",))
    port = serve(handler)
    result = run(
        "-C",
        str(publication),
        "send",
        "hello",
        "--to",
        "me@example.com,nobody@example.com",
        "--smtp",
        f"127.0.0.1:{port}",
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: sent to me@example.com, but 127.0.0.1:{port} refused nobody@example.com "
        "(550 5.1.1 No such user here)\n  hint: check those addresses; the others have the "
        "message\n"
    )
    assert [entry[1] for entry in handler.received] == [["me@example.com"]]


def test_every_recipient_refused_means_nobody_got_it(run, publication, serve):
    handler = Recorder(refuse=("nobody@example.com",))
    port = serve(handler)
    result = run("-C", str(publication), "send", "hello", "--to", "nobody@example.com", "--smtp", f"127.0.0.1:{port}")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Error: 127.0.0.1:{port} refused every recipient, so nobody got the message: "
        "nobody@example.com (550 5.1.1 No such user here)\n"
    )
    assert handler.received == []


def test_a_correction_notice_is_sent_with_notice(run, publication, serve):
    assert run("-C", str(publication), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    correct = run(
        "-C",
        str(publication),
        "correct",
        "hello",
        "--kind",
        "update",
        "--note",
        "Prices changed.",
        "--date",
        "2026-01-06 09:00",
    )
    assert correct.exit_code == 0, correct.output
    record = next((publication / "corrections" / "hello").glob("0001-*.yml")).stem.split("-", 1)[1]
    handler = Recorder()
    port = serve(handler)
    result = run(
        "-C",
        str(publication),
        "send",
        "hello",
        "--notice",
        record,
        "--to",
        "me@example.com",
        "--smtp",
        f"127.0.0.1:{port}",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Sent hello notice {record} to me@example.com via 127.0.0.1:{port}\n"
    notice = (publication / "build" / "hello" / "corrections" / record / "message.eml").read_bytes()
    assert handler.received[0][2] == b"To: me@example.com\r\n" + notice

    result = run(
        "-C",
        str(publication),
        "send",
        "hello",
        "--notice",
        "abcdef0",
        "--to",
        "me@example.com",
        "--smtp",
        f"127.0.0.1:{port}",
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: issue hello has no correction notice 'abcdef0' (its notices: {record})\n")


@pytest.mark.parametrize("bad", ["me", "me@", "Me <me@example.com>", "me@exa mple.com", "め@example.com"])
def test_to_must_look_like_an_address(run, publication, bad):
    result = run("-C", str(publication), "send", "hello", "--to", bad)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: --to '{bad}' is not an email address\n")


def test_parse_server_defaults_ports_by_security():
    assert parse_server(None) == Server("localhost", 25, "plain")
    assert parse_server("smtp.example.com", starttls=True, user="u") == Server("smtp.example.com", 587, "starttls", "u")
    assert parse_server("smtp.example.com", ssl=True) == Server("smtp.example.com", 465, "ssl")
    assert parse_server("[::1]:2525") == Server("::1", 2525, "plain")
    assert str(parse_server("[::1]:2525")) == "[::1]:2525"
    assert parse_recipients(["a@x.jp, b@y.jp", "a@x.jp"]) == ["a@x.jp", "b@y.jp"]
    with pytest.raises(Exception, match="exclude each other"):
        parse_server(None, starttls=True, ssl=True)
    with pytest.raises(Exception, match="is not HOST or HOST:PORT"):
        parse_server("a:b:c")


def test_a_sent_copy_is_dated_when_it_is_sent(run, publication, serve, monkeypatch):
    """Issue 10: Date is the sending time, not the issue's (DATE_IN_PAST_96_XX, +2.6 in SpamAssassin)."""
    import datetime as dt
    import email
    import email.policy

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    handler = Recorder()
    port = serve(handler)
    assert (
        run(
            "-C",
            str(publication),
            "send",
            "hello",
            "--to",
            "a@example.com",
            "--smtp",
            f"127.0.0.1:{port}",
        ).exit_code
        == 0
    )
    received = dt.datetime.now(dt.UTC)
    msg = email.message_from_bytes(handler.received[0][2], policy=email.policy.default)
    assert dt.timedelta(0) <= received - msg["Date"].datetime < dt.timedelta(minutes=1)
    assert msg["To"] == "a@example.com"
