"""The mail commands: export (message.eml files) and send (test copies by SMTP).

Thin, like the rest of the CLI: each parses its options, calls `toolkit.message` and
`toolkit.sending`, and prints the outcome. Library modules are imported inside the commands
(marked "lazy"), so `notice --help` loads only click.
"""

from __future__ import annotations

import os

import click

from ..errors import ToolkitError, warning
from .state import State, count, pass_state, report, slug_argument


@click.command()
@slug_argument()
@click.option(
    "--for",
    "service",
    metavar="SERVICE",
    help="Write what SERVICE's paste-your-code form wants (mailchimp, brevo, sendgrid, listmonk, "
    "myasp, benchmark) into OUT/SLUG/export/SERVICE/ instead of message.eml.",
)
@click.option(
    "--zip",
    "zip_file",
    is_flag=True,
    help="With --for mailchimp: also template.zip (email.html and its images) for its template import.",
)
@click.option(
    "--pending-notices",
    is_flag=True,
    help="Write one combined notice of every record whose notice has not gone out yet, instead "
    "of the issue and its single notices.",
)
@click.option(
    "--channel",
    metavar="CHANNEL",
    help="With --pending-notices: only the records whose notice has not gone out on CHANNEL (email, line...).",
)
@pass_state
def export(
    state: State, slug: str, service: str | None, zip_file: bool, pending_notices: bool, channel: str | None
) -> None:
    """Write issue SLUG as message.eml, ready for an MTA or a mail service.

    Builds the issue, then writes OUT/SLUG/message.eml: text and HTML parts, From, an
    encoded Subject with the correction marker, Date (now: the time of the export), a stable
    Message-ID, List-Id, List-Unsubscribe and one-click List-Unsubscribe-Post. Each
    correction notice gets its own message.eml, a reply to the original. [email] charset =
    "iso-2022-jp" in notice.toml encodes for old Japanese mail clients. With
    SOURCE_DATE_EPOCH set, Date is that time and the files are the same, byte for byte, on
    every export. --pending-notices writes instead one notice of every record whose notice has
    not gone out (see `notice sent`), strongest first, into OUT/SLUG/corrections/combined-ID/.

    \b
    Example:
      notice export 2018-07-13-line-privacy
      sendmail -i -f letter@example.jp me@example.jp < site/2018-07-13-line-privacy/message.eml
      notice export 2018-07-13-line-privacy --for mailchimp --zip
      notice export 2018-07-13-line-privacy --pending-notices
    """
    if zip_file and service is None:
        raise ToolkitError("--zip needs --for SERVICE", hint="notice export SLUG --for mailchimp --zip")
    if service is not None and pending_notices:
        raise ToolkitError("give --for or --pending-notices, not both")
    if channel is not None and not pending_notices:
        raise ToolkitError(
            "--channel goes with --pending-notices", hint=f"notice export {slug} --pending-notices --channel {channel}"
        )
    if service is not None:
        from ..bundle import export_bundle  # lazy

        bundle = export_bundle(state.config(), slug, service.lower(), zip_file)
        for path in bundle.files:
            state.echo(f"  wrote {state.path(path)}", level=1)
        private = " (a draft: built privately, not into the output folder)" if bundle.private else ""
        state.echo(f"Exported {slug} for {service} to {state.path(bundle.folder)}/ (see README.txt there){private}")
        return
    from ..message import export as run_export  # lazy

    result = run_export(state.config(), slug, pending_notices=pending_notices, channel=channel)
    if pending_notices:
        ids = ", ".join(r.id for r in result.combined_records)
        state.echo(
            f"Exported one notice of {count(result.combined_records, 'record')} ({ids}) to {state.path(result.message)}"
        )
        state.echo(
            f"  once it is sent: notice sent {slug} --notice {state.style(result.combined, bold=True)} --channel ..."
        )
        report(state, result.warnings)
        return
    for path in result.notices.values():
        state.echo(f"  wrote {state.path(path)}", level=1)
    notices = f" and {count(list(result.notices), 'correction notice')}" if result.notices else ""
    private = " (a draft: built privately, not into the output folder)" if result.private else ""
    state.echo(f"Exported {slug} to {state.path(result.message)}{notices}{private}")
    for note in result.notes:  # what the headers leave to the mail service (issue 10)
        state.echo(f"  {note}", level=1)
    report(state, result.warnings)


@click.command()
@slug_argument()
@click.option(
    "--to",
    "to",
    multiple=True,
    required=True,
    metavar="ADDRESS",
    help="A test recipient; repeat it, or separate addresses with commas.",
)
@click.option(
    "--smtp", metavar="HOST[:PORT]", help="The SMTP server [localhost; port 25, 587 with --starttls, 465 with --ssl]."
)
@click.option("--starttls", is_flag=True, help="Upgrade the connection to TLS (STARTTLS, port 587).")
@click.option("--ssl", "use_ssl", is_flag=True, help="TLS from the start (port 465).")
@click.option(
    "--user",
    metavar="NAME",
    help="Log in as NAME (needs --starttls or --ssl). The password comes from $NOTICE_SMTP_PASSWORD, or is asked for.",
)
@click.option(
    "--notice",
    "notice_id",
    metavar="ID",
    help="Send the correction notice ID (or the combined notice ID of `export --pending-notices`) instead of the issue.",
)
@pass_state
def send(
    state: State,
    slug: str,
    to: tuple[str, ...],
    smtp: str | None,
    starttls: bool,
    use_ssl: bool,
    user: str | None,
    notice_id: str | None,
) -> None:
    """Send test copies of issue SLUG to a few addresses through an SMTP server.

    Exports the issue first (see `notice export`) and sends that message.eml, with a To:
    header naming the test recipients. For checking the message in real mail clients, not
    for sending to your list: hand message.eml to your mail service or MTA for that. The
    password is never taken from the command line, and is sent only inside TLS.

    \b
    Example:
      notice send 2018-07-13-line-privacy --to me@example.jp
      NOTICE_SMTP_PASSWORD=... notice send pre-send-checklist --to me@example.jp \\
        --smtp smtp.example.jp --starttls --user letter@example.jp
      notice send 2018-07-13-line-privacy --notice e6821b2 --to me@example.jp
    """
    from ..message import export as run_export  # lazy
    from ..sending import PASSWORD_VARIABLE, parse_recipients, parse_server, with_recipients  # lazy
    from ..sending import send as run_send  # lazy

    server = parse_server(smtp, starttls=starttls, ssl=use_ssl, user=user)
    recipients = parse_recipients(to)
    config = state.config()
    result = run_export(config, slug)
    path = result.message
    if notice_id is not None and notice_id not in result.notices:
        try:  # the combined notice of the records not yet sent (`export --pending-notices`)
            combined = run_export(config, slug, pending_notices=True)
        except ToolkitError:
            combined = None
        if combined is not None and combined.combined == notice_id:
            result = combined
    if notice_id is not None:
        if notice_id not in result.notices:
            known = ", ".join(result.notices) or "none"
            raise ToolkitError(
                f"issue {slug} has no correction notice '{notice_id}' (its notices: {known})",
                hint=f"`notice history {slug}` lists the records and their ids",
            )
        path = result.notices[notice_id]
    report(state, result.warnings)
    password = None
    if user is not None:
        password = os.environ.get(PASSWORD_VARIABLE)
        try:
            password = password or click.prompt(f"Password for {user} at {server}", hide_input=True, err=True)
        except click.Abort:  # end of input: no terminal, nothing piped in
            raise ToolkitError(
                f"no password for {user}, and no terminal to ask for one",
                hint=f"set {PASSWORD_VARIABLE} in the environment",
            ) from None
    elif os.environ.get(PASSWORD_VARIABLE):
        report(state, [warning(f"{PASSWORD_VARIABLE} is set but --user is not: sending without logging in")])
    run_send(
        with_recipients(path.read_bytes(), recipients),
        config.publication.sender_email.strip(),
        recipients,
        server,
        password,
    )
    what = f"{slug} notice {notice_id}" if notice_id else slug
    state.echo(f"Sent {what} to {', '.join(recipients)} via {server}")
