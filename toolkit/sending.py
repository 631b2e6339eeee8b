"""Test copies by SMTP: the exported message.eml, to a few addresses, through one server.

Sending to a whole list is a mail service's job (bounces, unsubscribes, rate limits); this is
for seeing the message in real mail clients before that. The password never comes from the
command line (it would sit in the shell history and in `ps`), and AUTH is only sent inside TLS.
Certificates are always verified; a private CA is trusted through the standard SSL_CERT_FILE.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass

from .config import ADDRESS_RE
from .errors import ToolkitError

PASSWORD_VARIABLE = "NOTICE_SMTP_PASSWORD"
PORTS = {"plain": 25, "starttls": 587, "ssl": 465}
TIMEOUT = 30.0


@dataclass(frozen=True)
class Server:
    """Where to send, and how: "plain", "starttls" or "ssl"; *user* logs in (inside TLS only)."""

    host: str
    port: int
    security: str = "plain"
    user: str | None = None

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_server(address: str | None, *, starttls: bool = False, ssl: bool = False, user: str | None = None) -> Server:
    """``HOST[:PORT]`` and the TLS flags as a Server; refuse a login outside TLS before connecting."""
    if starttls and ssl:
        raise ToolkitError(
            "--starttls and --ssl exclude each other",
            hint="--starttls upgrades a plain connection (port 587); --ssl is TLS from the start (465)",
        )
    security = "starttls" if starttls else "ssl" if ssl else "plain"
    if user is not None and security == "plain":
        raise ToolkitError(
            "--user needs --starttls or --ssl: a password is never sent unencrypted",
            hint="add --starttls (port 587) or --ssl (port 465), as your mail provider says",
        )
    match = re.fullmatch(
        r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d+))?|(?P<host>[^:\s]+)(?::(?P<port>\d+))?", (address or "localhost").strip()
    )
    if match is None:
        raise ToolkitError(
            f"--smtp '{address}' is not HOST or HOST:PORT",
            hint="for example: --smtp smtp.example.com:587, or --smtp [::1]:25",
        )
    host = match["v6"] or match["host"]
    port_text = match["p6"] or match["port"]
    port = int(port_text) if port_text else PORTS[security]
    if not 0 < port < 65536:
        raise ToolkitError(f"--smtp: port {port} is not between 1 and 65535")
    return Server(host, port, security, user)


def parse_recipients(values: Iterable[str]) -> list[str]:
    """The --to addresses (repeated, or separated by commas), each checked, duplicates dropped."""
    recipients: list[str] = []
    for value in values:
        for address in (a.strip() for a in value.split(",")):
            if not address:
                continue
            if not ADDRESS_RE.fullmatch(address):
                raise ToolkitError(
                    f"--to '{address}' is not an email address",
                    hint="write a bare address such as reader@example.com (no name, no <>)",
                )
            if address not in recipients:
                recipients.append(address)
    if not recipients:
        raise ToolkitError("no recipient: give --to ADDRESS", hint="for example: --to me@example.com")
    return recipients


def with_recipients(data: bytes, recipients: list[str]) -> bytes:
    """The message with a To: header naming the test recipients: an exported message has none
    (a mail service adds one per reader), and a message without To looks like spam."""
    return f"To: {', '.join(recipients)}\r\n".encode("ascii") + data


def send(  # noqa: C901 - the SMTP conversation, step by step, each failure its own clear error
    data: bytes,
    sender: str,
    recipients: list[str],
    server: Server,
    password: str | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Send *data* (CRLF lines, as exported) to every recipient, or raise a ToolkitError that
    says who got it and who did not."""
    where = str(server)
    context = ssl.create_default_context()  # verifies; honours SSL_CERT_FILE for a private CA
    try:
        if server.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with client:
            client.ehlo()
            if server.security == "starttls":
                if not client.has_extn("starttls"):
                    raise ToolkitError(f"{where} does not offer STARTTLS", hint=_tls_hint(server))
                client.starttls(context=context)
                client.ehlo()
            if server.user is not None:
                client.login(server.user, password or "")
            refused = client.sendmail(sender, recipients, data)
    except smtplib.SMTPRecipientsRefused as exc:
        raise ToolkitError(
            f"{where} refused every recipient, so nobody got the message: {_refusals(exc.recipients)}",
            hint="check the addresses given with --to",
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise ToolkitError(
            f"{where} refused the login of '{server.user}': {_reply(exc.smtp_code, exc.smtp_error)}",
            hint=f"check --user and the password (from ${PASSWORD_VARIABLE} or the prompt); "
            "some providers want an app password",
        ) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise ToolkitError(
            f"{where} does not support {_first_word(exc)}: {exc}",
            hint="this server may not take logins on this port; ask its administrator",
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        hint = (
            "sender_email in notice.toml must be an address this server lets you send as"
            if exc.smtp_code != 530
            # RFC 4954, RFC 3207: log in, or start TLS, first
            else "this server wants --starttls (or --ssl) and a login (--user) before it takes mail"
        )
        raise ToolkitError(
            f"{where} refused the sender {sender}: {_reply(exc.smtp_code, exc.smtp_error)}", hint=hint
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise ToolkitError(f"{where} refused the message: {_reply(exc.smtp_code, exc.smtp_error)}") from None
    except smtplib.SMTPException as exc:  # disconnected, or an odd reply
        raise ToolkitError(
            f"{where} broke off the conversation: {exc or 'connection closed'}", hint=_tls_hint(server)
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise ToolkitError(
            f"TLS with {where} failed: {exc.verify_message}",
            hint="the server's certificate is not trusted for this name; a private CA's "
            "certificate can be given in SSL_CERT_FILE",
        ) from None
    except ssl.SSLError as exc:
        raise ToolkitError(f"TLS with {where} failed: {exc.reason or exc}", hint=_tls_hint(server)) from None
    except ConnectionRefusedError:
        raise ToolkitError(
            f"cannot connect to {where}: connection refused",
            hint="is an SMTP server listening there? Give it with --smtp HOST:PORT",
        ) from None
    except TimeoutError:
        raise ToolkitError(
            f"{where} did not answer within {timeout:g} s", hint=f"check the host and port; {_tls_hint(server)}"
        ) from None
    except UnicodeEncodeError:
        raise ToolkitError("the user name and password must be ASCII for SMTP AUTH") from None
    except OSError as exc:
        raise ToolkitError(
            f"cannot connect to {where}: {exc.strerror or exc}", hint="check the host name and your network"
        ) from None
    if refused:
        got = [r for r in recipients if r not in refused]
        raise ToolkitError(
            f"sent to {', '.join(got)}, but {where} refused {_refusals(refused)}",
            hint="check those addresses; the others have the message",
        )


def _reply(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}"


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{address} ({_reply(code, text)})" for address, (code, text) in refused.items())


def _first_word(exc: Exception) -> str:
    return "AUTH" if "AUTH" in str(exc).upper() else "that command"


def _tls_hint(server: Server) -> str:
    return (
        "--starttls is for port 587 and --ssl for port 465; a server on port 25 or a local test "
        f"server usually needs neither (connected to port {server.port})"
    )
