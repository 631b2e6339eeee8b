"""`notice export SLUG --for SERVICE`: what a mail service's "paste your code" form wants.

Written to ``<out>/<slug>/export/<service>/``: ``email.html`` and ``email.txt`` (the built
email, merge tags as written), ``subject.txt``, ``preheader.txt``, the images the email uses
that live in the publication (under ``img/``, the build's hashed copies, toolkit.images; the
HTML keeps their published https addresses, which every service accepts) and ``README.txt``
saying where each file goes in that service. With ``zip_file`` (``--zip``), for a service whose
template import takes a zip (Mailchimp's "Import zip"), also ``template.zip``: email.html and
its images, written so that every export of the same issue gives the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .build import build
from .config import Config
from .errors import BuildError, ToolkitError, did_you_mean
from .images import published_images
from .issue_state import subject_of
from .message import private_build
from .output import BuildCache, write_atomic
from .services import SERVICES

#: Where each file goes, per service: the steps of its own editor.
STEPS = {
    "mailchimp": (
        "Campaigns > Create > Email > Code your own > Paste in code: paste email.html.",
        "Plain-text: the campaign's Plain-Text tab, paste email.txt.",
        "Subject line and Preview text: subject.txt and preheader.txt.",
    ),
    "brevo": (
        "Campaigns > Create an email campaign > Design > Paste your code: paste email.html.",
        "Subject line and Preview text: subject.txt and preheader.txt; Brevo makes the plain text itself",
        "(email.txt is here to compare).",
    ),
    "sendgrid": (
        "Marketing > Single Sends > Create > Code Editor: paste email.html.",
        "Plain Content: email.txt. Subject and preheader: subject.txt and preheader.txt.",
    ),
    "listmonk": (
        "Campaigns > New > Format: raw HTML; paste email.html as the content.",
        "Alternate plain text: email.txt. Subject: subject.txt (listmonk has no preheader field:",
        "the preheader is already inside email.html).",
    ),
    "myasp": (
        "メール作成 > HTMLメール: email.html を貼り付け、テキスト版に email.txt を貼り付けます。",
        "件名: subject.txt。プリヘッダー: preheader.txt (HTML にも入っています)。",
    ),
    # Benchmark Email sends pasted code as it is, keeping its own header and footer and dropping
    # anything outside <html> (https://kb.benchmarkemail.com/Does-Benchmark-Email-do-anything-to-my-custom-HTML-code-when-it-is-sent-out-to-contacts/);
    # its text version is kept apart from the HTML once their sync is off
    # (https://kb.benchmarkemail.com/jp/how-do-i-modify-the-text-version-of-my-emails); its footer's
    # sender and address are set under メール設定 > フッター
    # (https://jp-benchmark.helpscoutdocs.com/article/208-email-footers). No page found names a
    # preheader field or a zip import. Its README follows the issue's language (`STEPS_JA`).
    "benchmark": (
        "Emails > create an email with the HTML code editor: paste email.html (Benchmark Email keeps",
        "it as it is, drops anything outside <html> and adds its own header and footer).",
        "Text version: switch off its sync with the HTML, then paste email.txt.",
        "Subject: subject.txt. The preheader (preheader.txt) is already inside email.html.",
        "Unsubscribe link: Benchmark Email adds it to the footer of every email; email.html has none",
        "unless you set unsubscribe_url.",
        "Footer: under Email Settings > Footer, give the sender's name and address as in notice.toml",
        "({sender_name}; {postal_address}).",
    ),
}
#: Where each file goes, in Japanese, for an issue in Japanese (the same steps as `STEPS`).
STEPS_JA = {
    "benchmark": (
        "メール作成で「HTMLコードエディタ」を選び、email.html を貼り付けます (Benchmark Email はこのまま",
        "送り、<html> の外側を取り除き、ヘッダーとフッターを加えます)。",
        "テキスト版: HTML との同期をオフにしてから email.txt を貼り付けます。",
        "件名: subject.txt。プリヘッダー (preheader.txt) は email.html の中に入っています。",
        "配信停止リンク: Benchmark Email がすべてのメールのフッターに入れます。unsubscribe_url を",
        "設定していなければ email.html には入っていません。",
        "フッター: 「メール設定」→「フッター」で配信元の名称と住所を notice.toml と同じにします",
        "({sender_name}、{postal_address})。",
    ),
}

#: Services whose template import takes a zip, and where it goes. Mailchimp's help article
#: "Create a Custom Template": Templates > Create Template > Code Your Own > "Import HTML or
#: Import ZIP" (as copied at https://vdocument.in/amp/create-a-custom-templateodt.html). No
#: page found says Brevo, SendGrid, listmonk or MyASP import a zip: they take pasted code.
ZIP_IMPORTS = {
    "mailchimp": "Or as a reusable template: Templates > Create Template > Code your own > Import zip: template.zip.",
}
ZIP_NAME = "template.zip"
#: Every entry's timestamp: the earliest a zip can hold, so the bytes never depend on the clock.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass
class Bundle:
    folder: Path
    files: list[Path] = field(default_factory=list)
    #: Built under .notice-cache/ (a draft), not into the output folder.
    private: bool = False


def export_bundle(config: Config, slug: str, service: str, zip_file: bool = False) -> Bundle:
    """Build issue *slug*, then write its bundle for *service* (one of `SERVICES`), with the
    zip its template import takes when *zip_file*."""
    if service not in STEPS:
        raise ToolkitError(
            f"unknown service '{service}' for --for{did_you_mean(service, STEPS)}",
            hint=f"choose one of: {', '.join(STEPS)}; or use the default message.eml",
        )
    if zip_file and service not in ZIP_IMPORTS:
        raise ToolkitError(
            f"{SERVICES[service].label} does not import a zip: its editor takes the pasted email.html",
            hint=f"leave out --zip; a zip is written for: {', '.join(ZIP_IMPORTS)}",
        )
    # A draft is built privately, as plain export builds it: the output folder is published (issue 9).
    where = private_build(config, slug, "export")
    report = build(config, slugs=[slug], **where)
    if report.errors:
        raise BuildError(report.errors)
    state = report.states[slug]
    source = report.out_dir / slug
    folder = source / "export" / service
    html = (source / "email.html").read_bytes()
    files = {
        "email.html": html,
        "email.txt": (source / "email.txt").read_bytes(),
        "subject.txt": (subject_of(state, config) + "\n").encode("utf-8"),
        "preheader.txt": (state.issue.preheader + "\n").encode("utf-8"),
    }
    files.update({name: path.read_bytes() for name, path in published_images(source, html.decode("utf-8")).items()})
    if zip_file:
        files[ZIP_NAME] = template_zip({n: d for n, d in files.items() if n == "email.html" or n.startswith("img/")})
    readme = readme_lines(config, slug, service, state.issue.lang, zip_file, any(n.startswith("img/") for n in files))
    files["README.txt"] = ("\n".join(readme) + "\n").encode("utf-8")
    bundle = Bundle(folder, private=bool(where))
    for name, data in files.items():
        write_atomic(folder / name, data)
        bundle.files.append(folder / name)
    # Recorded with the issue's outputs, so a rebuild from new text removes the stale bundle.
    cache = BuildCache.load(config.cache_dir)
    cache.add_files(
        report.out_dir,
        slug,
        {(folder / name).relative_to(report.out_dir).as_posix(): data for name, data in files.items()},
    )
    cache.save()
    return bundle


def readme_lines(config: Config, slug: str, service: str, lang: str, zip_file: bool, images: bool) -> list[str]:
    """README.txt of the bundle: where each file goes, in the issue's language where the
    service's steps are written in it (`STEPS_JA`), else in English."""
    profile = SERVICES[service]
    publication = config.publication
    values = {"sender_name": publication.sender_name or "-", "postal_address": publication.postal_address or "-"}
    ja = lang.lower().startswith("ja") and service in STEPS_JA
    steps = [line.format(**values) for line in (STEPS_JA if ja else STEPS)[service]]
    if ja:
        tags = [f"名前のタグ: {profile.name}"] if profile.name else []
        pictures = (
            "画像: email.html は公開先の https アドレスで画像を参照しています。img/ は画像ギャラリーに上げる場合に。"
        )
        return [f"{slug} ({profile.label} 用)", "", *steps, "", *tags, *([pictures] if images else [])]
    if profile.unsubscribe:
        tags = [f"Unsubscribe tag: {profile.unsubscribe}" + (f"; name tag: {profile.name}" if profile.name else "")]
    else:
        tags = [f"Name tag: {profile.name}"] if profile.name else []
    return [
        f"{slug} for {profile.label}",
        "",
        *steps,
        *([ZIP_IMPORTS[service]] if zip_file else []),
        "",
        *tags,
        *(
            [
                "Images: upload img/ to the service's file manager, or keep them on your site "
                "(email.html links their published addresses)."
            ]
            if images
            else []
        ),
    ]


def template_zip(files: dict[str, bytes]) -> bytes:
    """A zip of *files*, the same bytes on every run: names sorted, one fixed timestamp and
    mode (given a bare name, zipfile stamps each entry with the time of the export)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, wherever it runs, so external_attr reads as a mode
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()
