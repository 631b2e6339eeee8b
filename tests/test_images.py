"""Local images (issue 11, item 1): copied under a hashed name, sized from the file, checked."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from toolkit.config import load_config
from toolkit.images import (
    IMAGE_FOLDER,
    IssueImages,
    display_size,
    hashed_name,
    original_name,
    pixel_size,
    svg_size,
    written_sources,
)
from toolkit.limits import CONTENT_WIDTH
from toolkit.markup import render_fragment
from toolkit.source import read_issue

from conftest import make_publication, write_issue

BASE = "https://news.example.com/"


def picture(path: Path, size: tuple[int, int], kind: str = "JPEG", **options) -> bytes:
    """A real image file made with Pillow; its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, kind, **options)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def copy_name(data: bytes, stem: str, ext: str) -> str:
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:8]}.{ext}"


def relative(pub: Path, path: str) -> str:
    """A finding's path from the publication folder (the CLI shows it from the current one)."""
    return Path(path).resolve().relative_to(pub.resolve()).as_posix()


def images_of(html: str) -> list[dict[str, str]]:
    return [dict(re.findall(r'(\w+)="([^"]*)"', tag)) for tag in re.findall(r"<img\b[^>]*>", html)]


@pytest.fixture
def pub(tmp_path: Path) -> Path:
    """A publication inlined by css-inline, which takes milliseconds where premailer takes a second."""
    return make_publication(tmp_path / "pub", inliner="css-inline")


def build(run, pub: Path, *more: str):
    return run("-C", str(pub), "build", "--drafts", *more)


@pytest.mark.parametrize("inliner", ["premailer", "css-inline"])
def test_a_jpeg_and_a_png_land_in_the_output_with_their_sizes(run, tmp_path, inliner):
    pub = make_publication(tmp_path / "pub", inliner=inliner)
    jpeg = picture(pub / "issues" / "images" / "shop.jpg", (1200, 800))  # wider than the column
    png = picture(pub / "issues" / "images" / "logo@2x.png", (400, 300), "PNG")  # for 2x screens
    small = picture(pub / "issues" / "hello" / "map.png", (320, 200), "PNG")  # in issues/<slug>/
    write_issue(pub, "hello", body="![店内の様子](images/shop.jpg)\n\n![Logo](images/logo@2x.png)\n\n![Map](map.png)\n")
    result = build(run, pub)
    assert result.exit_code == 0, result.output
    folder = pub / "build" / "hello"
    names = {copy_name(jpeg, "shop", "jpg"), copy_name(png, "logo@2x", "png"), copy_name(small, "map", "png")}
    assert {p.name for p in (folder / "img").iterdir()} == names
    assert (folder / "img" / copy_name(jpeg, "shop", "jpg")).read_bytes() == jpeg
    web = images_of((folder / "web.html").read_text(encoding="utf-8"))
    assert [(i["src"], i["width"], i["height"]) for i in web] == [
        (
            f"{BASE}hello/img/{copy_name(jpeg, 'shop', 'jpg')}",
            str(CONTENT_WIDTH),
            str(round(800 * CONTENT_WIDTH / 1200)),
        ),
        (f"{BASE}hello/img/{copy_name(png, 'logo%402x', 'png')}".replace("%40", "@"), "200", "150"),
        (f"{BASE}hello/img/{copy_name(small, 'map', 'png')}", "320", "200"),
    ]
    email = images_of((folder / "email.html").read_text(encoding="utf-8"))
    # The email: the same files and widths; height="auto" (Yahoo! Mail drops height: auto).
    assert [(i["src"], i["width"], i["height"]) for i in email] == [(i["src"], i["width"], "auto") for i in web]


def test_the_author_s_width_wins_and_the_height_follows(run, pub):
    picture(pub / "issues" / "images" / "shop.jpg", (1200, 800))
    write_issue(pub, "hello", body='![Shop](images/shop.jpg){: width="300" }\n')
    assert build(run, pub).exit_code == 0
    (image,) = images_of((pub / "build" / "hello" / "web.html").read_text(encoding="utf-8"))
    assert (image["width"], image["height"]) == ("300", "200")
    write_issue(pub, "hello", body='![Shop](images/shop.jpg){: height="100" }\n')  # a height alone
    assert build(run, pub).exit_code == 0
    (image,) = images_of((pub / "build" / "hello" / "web.html").read_text(encoding="utf-8"))
    assert (image["width"], image["height"]) == ("150", "100")


def test_exif_orientation_swaps_the_sides(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown turned a quarter: a phone's portrait photo
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600)).save(buffer, "JPEG", exif=exif.tobytes())
    assert pixel_size(buffer.getvalue()) == (600, 800)
    assert display_size((600, 800), "photo.jpg") == (CONTENT_WIDTH, round(800 * CONTENT_WIDTH / 600))


@pytest.mark.parametrize(
    ("pixels", "name", "shown"),
    [
        ((300, 200), "a.png", (300, 200)),
        ((1072, 600), "a@2x.png", (CONTENT_WIDTH, 300)),
        ((400, 300), "a@2x.png", (200, 150)),
        ((2000, 1000), "a.jpg", (CONTENT_WIDTH, CONTENT_WIDTH // 2)),
    ],
)
def test_display_size(pixels, name, shown):
    assert display_size(pixels, name) == shown


@given(width=st.integers(1, 20000), height=st.integers(1, 20000), retina=st.booleans(), limit=st.integers(50, 1200))
def test_display_size_never_passes_the_column_and_keeps_the_proportions(width, height, retina, limit):
    shown_width, shown_height = display_size((width, height), "a@2x.png" if retina else "a.png", limit)
    assert 1 <= shown_width <= limit and shown_height >= 1
    assert shown_width <= (width + 1) // 2 + 1 if retina else shown_width <= width
    if shown_width >= 50 and shown_height >= 50:  # rounding aside, the shape is the file's
        assert abs(shown_width / shown_height - width / height) / (width / height) < 0.05


@pytest.mark.parametrize(
    ("svg", "size"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40px"/>', (120, 40)),
        ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300, 150"/>', (300, 150)),
        ('<svg xmlns="http://www.w3.org/2000/svg" width="50%" viewBox="0 0 30 10"/>', (30, 10)),
        ('<svg xmlns="http://www.w3.org/2000/svg" width="10em"/>', None),
        ('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg width="&x;" height="1"/>', None),
        ("not xml", None),
    ],
)
def test_svg_size(svg, size):
    assert svg_size(svg.encode()) == size


def test_feeds_and_correction_notices_link_the_same_copy(run, pub):
    data = picture(pub / "issues" / "images" / "shop.jpg", (300, 200))
    write_issue(pub, "hello", body="![Shop](images/shop.jpg)\n\nWe open at 9.\n")
    assert run("-C", str(pub), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    result = run(
        "-C", str(pub), "correct", "hello", "--kind", "correction", "--replaces", "at 9", "--with", "at 10",
        "--note", "The hours changed. ![Shop](images/shop.jpg)",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert run("-C", str(pub), "build").exit_code == 0
    url = f"{BASE}hello/img/{copy_name(data, 'shop', 'jpg')}"
    out = pub / "build"
    (notice,) = (out / "hello" / "corrections").glob("*/email.html")
    for page in (out / "hello" / "email.html", out / "hello" / "web.html", out / "hello" / "original.html", notice):
        assert url in page.read_text(encoding="utf-8"), page
    assert url in (out / "corrections.html").read_text(encoding="utf-8")  # the log shows the note
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    assert url in feed["items"][0]["content_html"]


def test_remote_images_are_left_alone(run, pub):
    write_issue(pub, "hello", body="![Remote](https://cdn.example.org/a.png)\n")
    assert build(run, pub).exit_code == 0
    (image,) = images_of((pub / "build" / "hello" / "web.html").read_text(encoding="utf-8"))
    assert image["src"] == "https://cdn.example.org/a.png" and "width" not in image
    assert not (pub / "build" / "hello" / "img").exists()


def test_a_missing_image_fails_with_file_and_line_and_keeps_the_old_outputs(run, pub):
    picture(pub / "issues" / "images" / "shop.jpg", (300, 200))
    write_issue(pub, "hello", body="Intro.\n\n![Shop](images/shop.jpg)\n")
    assert build(run, pub).exit_code == 0
    before = {p: p.read_bytes() for p in (pub / "build" / "hello").rglob("*") if p.is_file()}
    issue = write_issue(
        pub, "hello", title="Hello again", body="Intro.\n\n![Shop](images/shop.jpg)\n\n![Gone](images/gone.jpg)\n"
    )
    line = issue.read_text(encoding="utf-8").splitlines().index("![Gone](images/gone.jpg)") + 1
    result = build(run, pub)
    assert result.exit_code == 1
    assert f"issues/hello.md:{line}: error: image images/gone.jpg not found" in result.stderr
    assert "hint: put the file at issues/images/gone.jpg" in result.stderr
    assert {p: p.read_bytes() for p in (pub / "build" / "hello").rglob("*") if p.is_file()} == before
    check = run("-C", str(pub), "check", "--format", "json")
    assert check.exit_code == 1
    found = [f for f in json.loads(check.stdout)["findings"] if f["rule"] == "image-missing"]
    assert [(f["severity"], relative(pub, f["path"]), f["line"]) for f in found] == [("error", "issues/hello.md", line)]


def test_a_missing_image_in_a_correction_note_is_refused_then_a_deleted_one_points_at_the_record(run, pub):
    """A record can never change: one whose picture is missing is refused before it is written.
    A picture deleted after the record was made is reported at the record's line."""
    write_issue(pub, "hello", body="We open at 9.\n")
    assert run("-C", str(pub), "publish", "hello", "--date", "2026-01-05 09:00").exit_code == 0
    note = "The hours changed. ![Hours](images/hours.png)"
    result = run("-C", str(pub), "correct", "hello", "--kind", "addendum", "--note", note)
    assert result.exit_code == 1
    assert "error: image images/hours.png not found" in result.stderr
    assert not list((pub / "corrections" / "hello").glob("0*.yml"))
    picture(pub / "issues" / "images" / "hours.png", (40, 20), "PNG")
    result = run("-C", str(pub), "correct", "hello", "--kind", "addendum", "--note", note)
    assert result.exit_code == 0, result.output
    (record,) = (pub / "corrections" / "hello").glob("0*.yml")
    line = next(n for n, text in enumerate(record.read_text(encoding="utf-8").splitlines(), 1) if "hours.png" in text)
    (pub / "issues" / "images" / "hours.png").unlink()
    result = run("-C", str(pub), "build")
    assert result.exit_code == 1
    assert (
        f"{record.name}:{line}: error: image images/hours.png (issues/images/hours.png) is gone since the issue "
        "was published"
    ) in result.stderr


@pytest.mark.parametrize("src", ["../../etc/passwd.png", "../../../../../../etc/passwd.png"])
def test_an_image_outside_the_publication_is_an_error_never_read(run, pub, src):
    write_issue(pub, "hello", body=f"![x]({src})\n")
    result = build(run, pub)
    assert result.exit_code == 1
    assert f"error: image {src} is outside the publication folder" in result.stderr


def test_a_parent_path_inside_the_publication_is_looked_for_not_refused(run, pub):
    write_issue(pub, "hello", body="![x](../logo.png)\n")
    result = build(run, pub)
    assert "error: image ../logo.png not found" in result.stderr
    picture(pub / "logo.png", (10, 10), "PNG")  # issues/../logo.png: the publication folder's
    assert build(run, pub).exit_code == 0


def test_an_image_linked_out_of_the_publication_is_an_error(run, pub, tmp_path):
    outside = tmp_path / "secret.png"
    picture(outside, (10, 10), "PNG")
    (pub / "issues" / "images").mkdir(parents=True)
    (pub / "issues" / "images" / "x.png").symlink_to(outside)
    write_issue(pub, "hello", body="![x](images/x.png)\n")
    result = build(run, pub)
    assert result.exit_code == 1
    assert "image images/x.png leads through a link outside the publication folder" in result.stderr
    assert not list((pub / "build").rglob("*.png"))


def test_a_fifo_or_a_folder_in_an_image_s_place_is_an_error_never_opened(run, pub):
    (pub / "issues" / "images" / "dir.png").mkdir(parents=True)
    os.mkfifo(pub / "issues" / "images" / "pipe.png")  # reading it would hang the build
    write_issue(pub, "hello", body="![a](images/pipe.png)\n\n![b](images/dir.png)\n")
    result = build(run, pub)
    assert result.exit_code == 1
    assert "cannot use image images/pipe.png: it is a named pipe (FIFO), not a regular file" in result.stderr


def test_an_image_in_a_private_folder_is_refused(run, pub):
    picture(pub / ".notice-cache" / "x.png", (10, 10), "PNG")
    write_issue(pub, "hello", body="![x](../.notice-cache/x.png)\n")
    result = build(run, pub)
    assert result.exit_code == 1
    assert "is in the hidden folder .notice-cache, which is never published" in result.stderr


def test_a_changed_image_rebuilds_and_its_old_copy_goes(run, pub):
    old = picture(pub / "issues" / "images" / "shop.jpg", (300, 200))
    write_issue(pub, "hello", body="![Shop](images/shop.jpg)\n")
    assert build(run, pub).exit_code == 0
    assert "unchanged" in build(run, pub).output  # nothing to do: the cache knows the image
    new = picture(pub / "issues" / "images" / "shop.jpg", (400, 200))
    result = build(run, pub)
    assert "Built 1 issue" in result.output
    folder = pub / "build" / "hello" / "img"
    assert [p.name for p in folder.iterdir()] == [copy_name(new, "shop", "jpg")]
    assert copy_name(old, "shop", "jpg") not in (pub / "build" / "hello" / "web.html").read_text(encoding="utf-8")


def test_an_image_no_longer_referenced_is_removed(run, pub):
    picture(pub / "issues" / "images" / "shop.jpg", (300, 200))
    write_issue(pub, "hello", body="![Shop](images/shop.jpg)\n")
    assert build(run, pub).exit_code == 0
    write_issue(pub, "hello", body="No picture today.\n")
    assert build(run, pub).exit_code == 0
    assert not (pub / "build" / "hello" / "img").exists()


def test_a_draft_s_images_never_reach_the_public_output(run, pub):
    picture(pub / "issues" / "images" / "shop.jpg", (300, 200))
    write_issue(pub, "hello", body="![Shop](images/shop.jpg)\n")  # a draft
    assert run("-C", str(pub), "build").exit_code == 0
    assert not list((pub / "build").rglob("*.jpg"))
    assert build(run, pub).exit_code == 0  # --drafts: marked pages, and their images
    assert list((pub / "build").rglob("*.jpg"))
    assert run("-C", str(pub), "build").exit_code == 0  # withdrawn with the draft's pages
    assert not list((pub / "build").rglob("*.jpg"))


def test_check_warns_about_heavy_images_and_formats_clients_do_not_show(run, pub):
    (pub / "notice.toml").write_text(
        (pub / "notice.toml").read_text(encoding="utf-8") + "\n[images]\nmax_kb = 1\n", encoding="utf-8"
    )
    picture(pub / "issues" / "images" / "big.png", (64, 64), "PNG", compress_level=0)  # ~12 KB
    picture(pub / "issues" / "images" / "photo.webp", (40, 40), "WEBP")
    (pub / "issues" / "images" / "icon.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8"
    )
    issue = write_issue(
        pub, "hello", body="![Big](images/big.png)\n\n![Photo](images/photo.webp)\n\n![Icon](images/icon.svg)\n"
    )
    lines = issue.read_text(encoding="utf-8").splitlines()
    line = {name: next(n for n, text in enumerate(lines, 1) if name in text) for name in ("big", "photo", "icon")}
    result = run("-C", str(pub), "check", "--format", "json")
    found = {(f["rule"], f["line"]): f["message"] for f in json.loads(result.stdout)["findings"]}
    assert found[("image-size", line["big"])].startswith("image big.png is 12 KB, over [images] max_kb (1 KB)")
    assert found[("image-format", line["photo"])] == (
        "WebP image photo.webp is not shown by Outlook on Windows (and only partly by Gmail)"
    )
    assert found[("image-format", line["icon"])] == (
        "SVG image icon.svg is not shown by Gmail on the web, Gmail's mobile web client, Outlook on Windows "
        "(and only partly by Gmail for iOS, Gmail for Android)"
    )
    assert not any(rule == "image-width" for rule, _ in found)  # the SVG's own width and height
    # height="auto" in the email: Yahoo! Mail dropping the theme's height: auto loses nothing.
    assert not [message for (rule, _), message in found.items() if rule == "client-support"]


def test_check_warns_when_an_email_s_images_add_up_to_over_a_megabyte(run, pub):
    body = ""
    for n in range(3):  # noise does not compress: ~400 KB each
        path = pub / "issues" / "images" / f"noise{n}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.frombytes("RGB", (370, 370), bytes(range(256)) * 1604 + bytes(n + 1) * 76).save(path, compress_level=0)
        body += f"![Noise {n}](images/noise{n}.png)\n\n"
    write_issue(pub, "hello", body=body)
    result = run("-C", str(pub), "check", "--format", "json")
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert rules.count("images-total") == 1 and rules.count("image-size") == 3


def test_image_alt_still_points_at_the_markdown_line(run, pub):
    picture(pub / "issues" / "images" / "shop.jpg", (300, 200))
    issue = write_issue(pub, "hello", body="Intro.\n\n![](images/shop.jpg)\n")
    line = issue.read_text(encoding="utf-8").splitlines().index("![](images/shop.jpg)") + 1
    result = run("-C", str(pub), "check", "--format", "json")
    found = [(f["rule"], relative(pub, f["path"]), f["line"]) for f in json.loads(result.stdout)["findings"]]
    assert ("image-alt", "issues/hello.md", line) in found


def test_export_bundles_the_build_s_copies(run, pub):
    data = picture(pub / "issues" / "images" / "shop.jpg", (300, 200))
    write_issue(pub, "hello", body="![Shop](images/shop.jpg)\n")
    result = run("-C", str(pub), "export", "hello", "--for", "brevo")
    assert result.exit_code == 0, result.output
    folder = pub / ".notice-cache" / "export" / "hello" / "export" / "brevo"
    assert (folder / "img" / copy_name(data, "shop", "jpg")).read_bytes() == data
    assert "upload img/" in (folder / "README.txt").read_text(encoding="utf-8")


def test_written_sources_finds_inline_angle_and_reference_images():
    text = (
        '![a](images/a.png "t")\n![b](<images/my shop.jpg>)\n![c][ref]\n\n[ref]: images/c.gif\n![d](https://x.jp/d.png)'
    )
    assert written_sources(text) == ["images/a.png", "images/my shop.jpg", "images/c.gif"]


def test_original_name_undoes_hashed_name():
    assert original_name(hashed_name(Path("店内 の様子@2x.JPG"), b"x")) == "店内 の様子@2x.jpg"


NAMES = st.text(alphabet=st.sampled_from("abcxyz019 -_店内様子写真ア"), min_size=1, max_size=12).filter(
    lambda s: s.strip() == s and not s.startswith("-")
)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stem=NAMES)
def test_any_file_name_is_copied_and_linked(run, tmp_path, stem):
    """Spaces and Japanese in a file name: written `<...>` or percent-encoded, found, copied, linked."""
    pub = make_publication(tmp_path / f"pub-{hashlib.sha256(stem.encode()).hexdigest()[:10]}", inliner="css-inline")
    data = picture(pub / "issues" / "images" / f"{stem}.png", (50, 40), "PNG")
    write_issue(pub, "hello", body=f"![Picture](<images/{stem}.png>)\n")
    result = build(run, pub)
    assert result.exit_code == 0, result.output
    name = copy_name(data, stem, "png")
    assert (pub / "build" / "hello" / "img" / name).read_bytes() == data
    (image,) = images_of((pub / "build" / "hello" / "web.html").read_text(encoding="utf-8"))
    assert unquote(image["src"]) == f"{BASE}hello/img/{name}" and (image["width"], image["height"]) == ("50", "40")


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "shown"), [(375, 375 - 2 * 18), (600, CONTENT_WIDTH)])
def test_the_email_shows_the_image_at_its_width(run, pub, browser, viewport, shown):
    """At 375 px the column is the screen less the phone padding (18 px a side); at 600 px the image
    is the content width. Loaded for real: the base_url is answered from the output folder."""
    picture(pub / "issues" / "images" / "shop.jpg", (1200, 800))
    write_issue(pub, "hello", body="![Shop](images/shop.jpg)\n")
    assert build(run, pub).exit_code == 0
    out = pub / "build"
    page = browser.new_page(viewport={"width": viewport, "height": 900})

    def answer(route):
        path = out / route.request.url.removeprefix(BASE).split("?")[0]
        if path.is_file():
            route.fulfill(status=200, body=path.read_bytes(), content_type="image/jpeg")
        else:
            route.abort()

    page.route(f"{BASE}**", answer)
    page.goto((out / "hello" / "email.html").as_uri())
    page.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    box = page.eval_on_selector(
        "img[alt=Shop]", "i => [i.getBoundingClientRect().width, i.getBoundingClientRect().height, i.naturalWidth]"
    )
    page.close()
    assert box[2] == 1200  # the copy itself was loaded
    assert round(box[0]) == shown and round(box[1]) == round(shown * 800 / 1200)


@pytest.mark.browser
def test_notice_snapshot_shows_the_local_image_at_its_width(run, pub):
    """`notice snapshot` answers the browser's request for the not yet uploaded copy itself:
    the screenshot holds a red block exactly the image's shown size, at 375 and at 600 px."""
    picture(pub / "issues" / "images" / "shop.jpg", (1200, 800), quality=100)
    write_issue(pub, "hello", body="Intro.\n\n![Shop](images/shop.jpg)\n\n![Remote](https://cdn.example.org/x.png)\n")
    result = run("-C", str(pub), "snapshot", "hello", "--width", "375,600")
    assert result.exit_code == 0, result.output
    for width, shown in ((375, 375 - 2 * 18), (600, CONTENT_WIDTH)):
        with Image.open(pub / "snapshots" / f"hello-{width}.png") as shot:
            pixels = shot.convert("RGB")
        red = [
            (x, y)
            for y in range(0, pixels.height, 2)
            for x in range(pixels.width)
            if (lambda p: p[0] > 170 and p[1] < 80 and p[2] < 80)(pixels.getpixel((x, y)))
        ]
        columns = {x for x, _ in red}
        rows = {y for _, y in red}
        assert abs(len(columns) - shown) <= 2, width
        assert abs((max(rows) - min(rows)) - round(shown * 800 / 1200)) <= 3, width


def test_the_treeprocessor_string_in_string_out(pub):
    """The Markdown stage alone: a local image becomes its copy's URL with a size; a remote one
    and a link to a local file are left to the absolute-URL step."""
    data = picture(pub / "issues" / "images" / "a b.png", (100, 50), "PNG")
    issue = read_issue(write_issue(pub, "hello"), default_lang="en")
    images = IssueImages(load_config(pub), issue)
    html = render_fragment(
        "![A](<images/a b.png>) ![R](https://x.jp/r.png) [menu](files/menu.pdf)", base_url=BASE, images=images
    ).html
    name = copy_name(data, "a%20b", "png")
    assert html == (
        f'<p><img alt="A" height="50" src="{BASE}hello/img/{name}" width="100"> '
        '<img alt="R" src="https://x.jp/r.png"> '
        f'<a href="{BASE}files/menu.pdf">menu</a></p>'
    )
    assert images.files() == {f"img/{copy_name(data, 'a b', 'png')}": data}


def test_without_base_url_each_page_finds_its_images_from_where_it_lies(run, tmp_path):
    """A new publication has no base_url yet: its sample's photo must still show in the page
    opened from disk and in `notice snapshot` (which opens that file), so each page links the
    copy relative to itself, not to the output folder."""
    assert run("init", str(tmp_path / "new"), "--lang", "ja").exit_code == 0
    result = run("-C", str(tmp_path / "new"), "build", "--drafts")
    assert result.exit_code == 0, result.output
    pages = sorted((tmp_path / "new" / "build").glob("*/*.html"))
    sources = [(page, image["src"]) for page in pages for image in images_of(page.read_text(encoding="utf-8"))]
    assert {page.name for page, _ in sources} == {"email.html", "web.html"}
    for page, src in sources:
        assert src.startswith(f"{IMAGE_FOLDER}/"), (page, src)
        assert (page.parent / unquote(src)).is_file(), (page, src)
