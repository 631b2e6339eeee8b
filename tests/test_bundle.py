"""`notice export SLUG --for SERVICE` (issue 10): the files a service's paste-your-code form wants."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile

import pytest
from PIL import Image

from conftest import write_issue


@pytest.mark.parametrize("service", ["mailchimp", "brevo", "sendgrid", "listmonk", "myasp", "benchmark"])
def test_the_bundle_holds_html_text_subject_preheader_images_and_a_readme(run, publication, service):
    (publication / "issues" / "images").mkdir()
    Image.new("RGB", (300, 200)).save(publication / "issues" / "images" / "shop.png")
    shop = (publication / "issues" / "images" / "shop.png").read_bytes()
    copy = f"shop.{hashlib.sha256(shop).hexdigest()[:8]}.png"  # the build's copy (toolkit.images)
    write_issue(publication, "hello", body="![The shop](images/shop.png) and ![remote](https://cdn.example.org/a.png)")
    result = run("-C", str(publication), "export", "hello", "--for", service)
    assert result.exit_code == 0, result.output
    built = publication / ".notice-cache" / "export" / "hello"  # a draft: built privately (issue 9)
    folder = built / "export" / service
    assert result.stdout.startswith(f"Exported hello for {service} to {folder}/ ")
    assert "(a draft: built privately, not into the output folder)" in result.stdout
    assert not (publication / "build" / "hello").exists()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [
        "README.txt",
        "email.html",
        "email.txt",
        f"img/{copy}",
        "preheader.txt",
        "subject.txt",
    ]
    assert (folder / "email.html").read_bytes() == (built / "email.html").read_bytes()
    assert (folder / "email.txt").read_bytes() == (built / "email.txt").read_bytes()
    assert (folder / "subject.txt").read_text(encoding="utf-8") == "Hello\n"
    assert (folder / "preheader.txt").read_text(encoding="utf-8") == "A short preview line.\n"
    assert (folder / "img" / copy).read_bytes() == shop == (built / "img" / copy).read_bytes()
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert "email.html" in readme and "subject.txt" in readme
    # A service that adds the link itself has no unsubscribe tag to name (Benchmark Email).
    assert ("Unsubscribe tag:" in readme) != (service == "benchmark")
    assert not (built / "message.eml").exists()  # .eml stays the default, written only without --for


def test_an_unknown_service_is_named(run, publication):
    result = run("-C", str(publication), "export", "hello", "--for", "mailchimpp")
    assert result.exit_code == 1
    assert "unknown service 'mailchimpp' for --for (did you mean 'mailchimp'?)" in result.stderr


def test_a_rebuild_from_new_text_removes_the_stale_bundle(run, publication):
    assert run("-C", str(publication), "export", "hello", "--for", "brevo").exit_code == 0
    folder = publication / ".notice-cache" / "export" / "hello" / "export" / "brevo"  # a draft's
    assert (folder / "email.html").is_file()
    write_issue(publication, "hello", title="Hello, edited")
    assert run("-C", str(publication), "export", "hello", "--for", "mailchimp").exit_code == 0  # rebuilds it there
    assert not (folder / "email.html").exists()


def test_a_published_issue_s_bundle_lands_in_the_output_folder(run, publication):
    assert run("-C", str(publication), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    result = run("-C", str(publication), "export", "hello", "--for", "sendgrid")
    assert result.exit_code == 0, result.output
    folder = publication / "build" / "hello" / "export" / "sendgrid"
    assert (folder / "email.html").read_bytes() == (publication / "build" / "hello" / "email.html").read_bytes()
    assert "built privately" not in result.stdout
    assert not (publication / ".notice-cache" / "export" / "hello").exists()


def test_mailchimp_s_zip_holds_the_html_and_its_images_and_is_the_same_on_every_export(run, publication):
    """Mailchimp's template import takes a zip (issue 10, item 2); a rerun must not change it."""
    (publication / "img").mkdir()
    Image.new("RGB", (30, 20)).save(publication / "img" / "shop.png")  # in the publication folder
    shop = (publication / "img" / "shop.png").read_bytes()
    copy = f"img/shop.{hashlib.sha256(shop).hexdigest()[:8]}.png"  # the build's copy (toolkit.images)
    write_issue(publication, "hello", body="![The shop](img/shop.png)")
    assert run("-C", str(publication), "export", "hello", "--for", "mailchimp", "--zip").exit_code == 0
    folder = publication / ".notice-cache" / "export" / "hello" / "export" / "mailchimp"
    first = (folder / "template.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert archive.namelist() == ["email.html", copy]
        assert archive.read("email.html") == (folder / "email.html").read_bytes()
        assert archive.read(copy) == shop
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "Import zip: template.zip" in (folder / "README.txt").read_text(encoding="utf-8")
    (folder / "template.zip").unlink()
    os.utime(publication / "img" / "shop.png", (1_000_000_000, 1_000_000_000))  # another file time
    assert run("-C", str(publication), "export", "hello", "--for", "mailchimp", "--zip").exit_code == 0
    assert (folder / "template.zip").read_bytes() == first


def test_zip_is_refused_where_the_service_imports_none(run, publication):
    result = run("-C", str(publication), "export", "hello", "--for", "brevo", "--zip")
    assert result.exit_code == 1
    assert "Brevo does not import a zip" in result.stderr and "mailchimp" in result.stderr
    result = run("-C", str(publication), "export", "hello", "--zip")
    assert result.exit_code == 1 and "--zip needs --for SERVICE" in result.stderr
    assert not (publication / ".notice-cache" / "export" / "hello" / "export").exists()


BENCHMARK_JA = """\
[publication]
name = "小さなお店便り"
lang = "ja"
base_url = "https://letter.example.jp/"
sender_name = "WEB活用研究会"
sender_email = "letter@example.jp"
postal_address = "〒100-0001 東京都千代田区千代田1-1"

[email]
service = "benchmark"
"""


def test_benchmark_s_bundle_for_a_japanese_issue_says_in_japanese_where_each_file_goes(run, tmp_path):
    """Benchmark Email takes pasted code and a text version, and adds its own footer (README,
    Mail services): the README says so in the issue's language, with the footer's values."""
    root = tmp_path / "ja"
    (root / "corrections").mkdir(parents=True)
    (root / "notice.toml").write_text(BENCHMARK_JA, encoding="utf-8")
    write_issue(root, "spring", title="春のお知らせ", body="[contact_attribute:firstname]様、春の営業時間です。")
    result = run("-C", str(root), "export", "spring", "--for", "benchmark")
    assert result.exit_code == 0, result.output
    folder = root / ".notice-cache" / "export" / "spring" / "export" / "benchmark"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.txt",
        "email.html",
        "email.txt",
        "preheader.txt",
        "subject.txt",
    ]
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert readme.startswith("spring (Benchmark Email 用)\n\n")
    assert "「HTMLコードエディタ」を選び、email.html を貼り付けます" in readme
    assert "同期をオフにしてから email.txt を貼り付けます" in readme
    assert "配信停止リンク: Benchmark Email がすべてのメールのフッターに入れます" in readme
    assert "(WEB活用研究会、〒100-0001 東京都千代田区千代田1-1)" in readme
    assert "名前のタグ: [contact_attribute:firstname]" in readme
    html = (folder / "email.html").read_text(encoding="utf-8")
    assert "[contact_attribute:firstname]様" in html and 'class="unsubscribe"' not in html
    assert "[contact_attribute:firstname]様" in (folder / "email.txt").read_text(encoding="utf-8")


def test_benchmark_imports_no_zip(run, publication):
    result = run("-C", str(publication), "export", "hello", "--for", "benchmark", "--zip")
    assert result.exit_code == 1 and "Benchmark Email does not import a zip" in result.stderr
