"""Local images: found beside the issue, copied into its output under a content-hashed name.

``![店内の様子](images/shop.jpg)`` in ``issues/hello.md`` means the file ``issues/hello/images/shop.jpg``,
``issues/images/shop.jpg`` (beside the issue file) or ``images/shop.jpg`` in the publication
folder, the first that exists. The build copies it to ``<out>/hello/img/shop.3f2a9c1e.jpg``
(8 hex digits of its sha256: a replaced photo gets a new name, so no mail client or CDN
shows the old one from its cache) and every rendering (email, web page, feeds, correction
notices) links that file's absolute URL under base_url, with the width and height Outlook on
Windows needs (issue 11, item 1). Remote images are left alone: no network at build time.

The images are outputs of their issue, like its pages: the build cache records them, a
rebuild removes the copies no longer referenced, and a draft's are withdrawn with its pages.
One resolver, `IssueImages`, serves the Markdown treeprocessor (toolkit.markup), the cache
key (`images_key`) and `export --for` (`published_images`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import os
import re
import shlex
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import quote, unquote, urlsplit

from .errors import ToolkitError, display_path
from .limits import CONTENT_WIDTH, IMAGE_MAX_BYTES
from .source import is_inside, read_issue, read_regular

if TYPE_CHECKING:
    from .config import Config
    from .issue_state import IssueState
    from .records import Record
    from .source import Issue

#: The folder of an issue's output that holds its images.
IMAGE_FOLDER = "img"
#: Formats a build copies, by extension. SVG, WebP and AVIF are copied too, and warned
#: about by `notice check` (rule image-format) with the clients that do not show them.
FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".gif": "GIF",
    ".webp": "WebP",
    ".avif": "AVIF",
    ".svg": "SVG",
}
#: EXIF orientations that turn the picture a quarter (5-8): width and height swap (EXIF 2.32, 4.6.4 A).
QUARTER_TURNS = (5, 6, 7, 8)
EXIF_ORIENTATION = 0x0112
#: ``shop.3f2a9c1e.jpg``: a copy's name, the original's stem and extension around the hash.
HASHED_RE = re.compile(r"(?P<stem>.+)\.(?P<hash>[0-9a-f]{8})(?P<ext>\.[A-Za-z0-9]+)")


class ImageError(ToolkitError):
    """A local image the build cannot use: missing, unreadable, or outside the publication."""

    #: The `notice check` rule that reports it (the build fails with it as well).
    check_rule = "image-missing"


class ImageReplacedError(ImageError):
    """An image of a published issue whose bytes are not those its lock recorded: the photo
    readers received was replaced under the same name, which no correction shows."""

    check_rule = "silent-edit"


@dataclass(frozen=True)
class LocalImage:
    """One image file of the publication, as an issue's renderings show it."""

    path: Path
    #: Its copy's name under ``<slug>/img/``: ``shop.3f2a9c1e.jpg``.
    name: str
    data: bytes = field(repr=False)
    #: Pixels, upright (EXIF orientation applied); an SVG's width and height or viewBox; None
    #: for an SVG that gives neither.
    pixels: tuple[int, int] | None
    #: The width and height it is shown at, in CSS pixels (None: unknown, SVG).
    size: tuple[int, int] | None
    #: The sha256 of *data*, hex: what a lock records of it.
    digest: str = ""

    @property
    def output(self) -> str:
        return f"{IMAGE_FOLDER}/{self.name}"


def is_local(src: str) -> bool:
    """A path the author means as a file: no scheme (https:, data:, cid:), not ``//host`` or ``#``."""
    src = src.strip()
    return bool(src) and not src.startswith(("#", "/", "\\")) and not urlsplit(src).scheme


def hashed_name(path: Path, data: bytes, digest: str = "") -> str:
    """``shop.3f2a9c1e.jpg``: the stem, 8 hex digits of the sha256 (*digest*, when known), the
    extension lowercased."""
    return f"{path.stem}.{(digest or hashlib.sha256(data).hexdigest())[:8]}{path.suffix.lower()}"


def original_name(name: str) -> str:
    """``shop.jpg`` from ``shop.3f2a9c1e.jpg`` (unchanged when it is no copy's name)."""
    match = HASHED_RE.fullmatch(name)
    return f"{match['stem']}{match['ext']}" if match else name


def pixel_size(data: bytes) -> tuple[int, int] | None:
    """Width and height in pixels, upright; None for a file Pillow cannot read.

    Pillow reads only the header here (no decoding). A camera's portrait photo is stored
    landscape with an EXIF orientation of 6 or 8: every mail client and browser turns it
    upright (CSS image-orientation: from-image is the default), so the sides swap.
    """
    from PIL import Image, UnidentifiedImageError  # lazy: most issues have no image (issue 13: 15 ms a process)

    try:
        with warnings.catch_warnings():
            # Only the header is read, never the pixels: a huge image is no decompression bomb here.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                orientation = image.getexif().get(EXIF_ORIENTATION)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        return None
    return (height, width) if orientation in QUARTER_TURNS else (width, height)


#: An SVG length notice can size an image by: a number of CSS pixels, "px" or no unit.
_SVG_LENGTH_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*")


def svg_size(data: bytes) -> tuple[int, int] | None:
    """An SVG's size from its root's width and height (in px), else its viewBox; None without
    one. Parsed without entities, DTDs or the network: a file is never a way to read another."""
    from lxml import etree  # lazy: only for an SVG (issue 13: lxml's import was 6 ms of a cold build)

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    lengths = [_SVG_LENGTH_RE.fullmatch(root.get(side) or "") for side in ("width", "height")]
    if all(lengths):
        width, height = (round(float(m[1])) for m in lengths if m)
    else:
        box = (root.get("viewBox") or "").replace(",", " ").split()
        try:
            width, height = (round(float(n)) for n in box[2:4]) if len(box) == 4 else (0, 0)
        except ValueError:
            return None
    return (width, height) if width > 0 and height > 0 else None


def display_size(pixels: tuple[int, int], name: str, limit: int = CONTENT_WIDTH) -> tuple[int, int]:
    """The size to show an image at: half its pixels when its name says ``@2x`` (drawn for
    high-density screens), and never wider than the content column, keeping its proportions."""
    width, height = pixels
    if "@2x" in Path(name).stem:
        width, height = max(1, round(width / 2)), max(1, round(height / 2))
    if width > limit:
        width, height = limit, max(1, round(height * limit / width))
    return width, height


def search_folders(config: Config, issue: Issue) -> list[Path]:
    """Where a relative image path is looked for, in order: the issue's own folder
    (``issues/<slug>/``), beside the issue file (``issues/``), the publication folder."""
    return [config.issues_dir / issue.slug, issue.path.parent, config.root]


@dataclass
class IssueImages:
    """The local images of one issue's renderings, each file read once.

    *strict*: a missing or unreadable image is an `ImageError` (the issue's own body and
    notes); a lenient view (`lenient`) leaves such a src as written, for the feeds and the
    as-sent page, whose issue build reports the error once.
    """

    config: Config
    issue: Issue
    strict: bool = True
    #: The issue's correction records: an image in a note is reported at the record's line.
    records: tuple[Record, ...] = ()
    #: The images used so far, by file: the build copies each one.
    used: dict[Path, LocalImage] = field(default_factory=dict)
    #: The pictures readers received (`records.Lock.images` and each record's): path -> sha256.
    locked: dict[str, str] = field(default_factory=dict)
    #: False: one of them changed since is left as written, like a missing image (the feeds and the
    #: corrections log, whose issue's own build reports it), instead of an `ImageReplacedError`.
    report_changes: bool = True

    def lenient(self) -> IssueImages:
        return dataclasses.replace(self, strict=False)  # the same `used`: one set of copies

    def resolve(self, src: str) -> LocalImage | None:
        """The image *src* names, or None for a remote one (or a bad one, when lenient)."""
        if not is_local(src):
            return None
        try:
            try:
                path = self.find(src)
                image = self.used.get(path) or self.read(src, path)
            except ImageError:
                if not any(os.path.lexists(place) for place in self._candidates(src)):
                    self._check_locked(src, None)  # a published picture that is gone says so
                raise
            self._check_locked(src, image)  # in a lenient view too: it would show the wrong picture
        except ImageError as error:
            if self.strict or (self.report_changes and isinstance(error, ImageReplacedError)):
                raise
            return None
        self.used[path] = image
        return image

    def _check_locked(self, src: str, image: LocalImage | None) -> None:
        """Refuse a picture readers received (the lock's or a record's) that *src* no longer shows
        as it was: its file replaced, gone, or shadowed by another file that *src* finds first."""
        if not self.locked:
            return
        name = self.locked_name(image.path) if image is not None else None
        if name is not None and name in self.locked:
            if image is not None and image.digest != self.locked[name]:
                self._refuse(src, name, f"image {src} ({name}) was replaced after the issue was published")
            return
        # Not a file readers received: is one of the places src is looked in such a file?
        published = next((n for n in map(self.locked_name, self._candidates(src)) if n in self.locked), None)
        if published is None:
            return
        if image is None:
            self._refuse(src, published, f"image {src} ({published}) is gone since the issue was published")
        elif image.digest != self.locked[published]:  # the same bytes elsewhere: the same copy, the same picture
            self._refuse(src, published, f"image {src} now shows {name}, not the published {published}", name)

    def _refuse(self, src: str, name: str, what: str, shadow: str | None = None) -> NoReturn:
        """Raise the `ImageReplacedError`; *shadow*: the file that now stands in front of *name*."""
        if not self.report_changes:
            raise ImageReplacedError(what)
        message = f"{what}: readers received another picture, and no correction shows the change"
        if shadow is not None:
            hint = f"move {shlex.quote(self.shown(shadow))} away: {self.shown(name)} is the picture readers received"
        else:
            hint = replaced_hint(self.issue, self.records, src, self.shown(name))
        raise self.error(src, message, hint, ImageReplacedError)

    def shown(self, name: str) -> str:
        """A lock's *name* as the user should type it from where they stand."""
        return display_path(self.config.root / name)

    def locked_name(self, path: Path) -> str:
        """How a lock names *path* (one `find` returned): relative to the publication, with slashes."""
        return path.relative_to(self._root).as_posix()

    def locked_images(self) -> dict[str, str]:
        """What a lock records of the images used so far (`records.write_lock`)."""
        return {self.locked_name(path): image.digest for path, image in self.used.items()}

    def url(self, image: LocalImage) -> str:
        """The copy's address: under base_url, the name percent-encoded (spaces, Japanese)."""
        base = self.config.publication.base_url
        relative = f"{self.issue.slug}/{IMAGE_FOLDER}/{quote(image.name, safe='@')}"
        return f"{base.rstrip('/')}/{relative}" if base else relative

    def email_heights(self, html: str) -> str:
        """*html* with its local images at ``height="auto"``, as MJML's mj-image writes them:
        Yahoo! Mail turns the theme's ``height: auto`` into ``min-height`` (caniemail css-height),
        and a pixel height attribute would then stretch an image that ``max-width: 100%`` narrowed
        on a phone. Outlook on Windows scales the height from the width. The web page keeps both,
        so the browser reserves the image's place before it loads."""
        prefix = self.url_prefix()
        # Both branches need this text. Without it (most issues) nothing is compiled: the pattern
        # holds the slug, and compiling one per issue was 5% of a warm render (issue 13).
        if f'src="{prefix}' not in html:
            return html
        prefix = re.escape(prefix)
        return re.sub(
            rf'(<img\b[^>]*?\bsrc="{prefix}[^"]*"[^>]*?\bheight=")\d+(")|(<img\b[^>]*?\bheight=")\d+("[^>]*?\bsrc="{prefix})',
            lambda m: f"{m[1]}auto{m[2]}" if m[1] else f"{m[3]}auto{m[4]}",
            html,
        )

    def url_prefix(self) -> str:
        return self.url(LocalImage(Path(), "", b"", None, None))

    def relative_to_pages(self, files: dict[str, str]) -> dict[str, str]:
        """Without base_url a copy's address is ``<slug>/img/<name>``, relative to the output
        folder; each of the issue's own pages (*files*: names inside ``<out>/<slug>/``) then gets
        it relative to itself, so the page opened from disk, `notice snapshot` and the preview
        show the photo before anything is uploaded. With base_url every address is absolute."""
        if self.config.publication.base_url or not self.used:
            return files
        written = f'src="{self.issue.slug}/{IMAGE_FOLDER}/'
        return {
            name: text.replace(written, f'src="{"../" * name.count("/")}{IMAGE_FOLDER}/')
            if name.endswith(".html") and written in text
            else text
            for name, text in files.items()
        }

    def files(self) -> dict[str, bytes]:
        """``img/<name>`` -> the bytes, for every image used: outputs of the issue."""
        return {image.output: image.data for image in self.used.values()}

    @functools.cached_property
    def _root(self) -> Path:
        """The publication folder, as `find` compares paths with it (absolute, normalised)."""
        return Path(os.path.normpath(self.config.root.absolute()))

    def _places(self, src: str) -> list[tuple[Path, Path]]:
        """(search folder, the path *src* names from it), in `search_folders`' order."""
        relative = unquote(src.strip().split("#")[0].split("?")[0])
        return [
            (folder, Path(os.path.normpath((folder / relative).absolute())))
            for folder in search_folders(self.config, self.issue)
        ]

    def _candidates(self, src: str) -> list[Path]:
        """Where *src* is looked for, in order, inside the publication."""
        return [place for _, place in self._places(src) if self._root in place.parents]

    def find(self, src: str) -> Path:
        """The file *src* names, inside the publication; never a path that leads out of it,
        which is refused before anything is read (`../../etc/passwd.png`, a link out)."""
        relative = unquote(src.strip().split("#")[0].split("?")[0])
        root = self._root
        escapes = False
        for folder, candidate in self._places(src):
            if root not in candidate.parents:
                # Said when it leaves the publication from beside the issue file, where the
                # author wrote it (`../logo.png` that is in none of the folders is "not found").
                escapes = escapes or folder == self.issue.path.parent
                continue
            if not os.path.lexists(candidate):
                continue
            if not is_inside(candidate, root):
                raise self.error(
                    src,
                    f"image {src} leads through a link outside the publication folder",
                    "copy the image into the publication instead of linking to it",
                )
            private = self._private(candidate.resolve(), root.resolve())
            if private:
                raise self.error(
                    src, f"image {src} is in {private}, which is never published", "move it to issues/images/"
                )
            return candidate
        if escapes:
            raise self.error(
                src,
                f"image {src} is outside the publication folder",
                "notice reads only inside the publication: copy the image into issues/images/",
            )
        looked = ", ".join(_shown(folder, self.config.root) for folder in search_folders(self.config, self.issue))
        raise self.error(
            src,
            f"image {src} not found (looked in {looked})",
            f"put the file at {_shown(self.issue.path.parent, self.config.root)}{relative}, or correct the path",
        )

    def read(self, src: str, path: Path) -> LocalImage:
        try:
            # A regular file only (a FIFO would hang the build), at most 20 MB, inside the publication.
            data = read_regular(path, root=self.config.root, error=ImageError, limit=IMAGE_MAX_BYTES)
        except ImageError as exc:
            why = exc.message.removeprefix("cannot read this file: ")
            raise self.error(src, f"cannot use image {src}: {why}", "save it as an ordinary JPEG or PNG file") from None
        svg = path.suffix.lower() == ".svg"
        pixels = svg_size(data) if svg else pixel_size(data)
        if pixels is None and not svg:
            raise self.error(
                src,
                f"image {src} is not an image notice can read",
                f"save it as JPEG or PNG; the build copies {', '.join(sorted(set(FORMATS.values())))}",
            )
        size = display_size(pixels, path.name) if pixels else None
        digest = hashlib.sha256(data).hexdigest()
        return LocalImage(path, hashed_name(path, data, digest), data, pixels, size, digest)

    def error(self, src: str, message: str, hint: str, kind: type[ImageError] = ImageError) -> ImageError:
        """An `ImageError` (or *kind*) where *src* is written: the issue's line, else a record's."""
        line = self.line_of(src)
        if line is None:
            for record in self.records:
                try:
                    text = record.path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                if src in text:
                    return kind(message, path=record.path, line=text.count("\n", 0, text.find(src)) + 1, hint=hint)
        return kind(message, path=self.issue.path, line=line, hint=hint)

    def line_of(self, src: str) -> int | None:
        """The line of the issue file where *src* is written (its body, as the author typed it)."""
        body = self.issue.body
        for needle in (src, quote(src, safe="/@"), unquote(src)):
            at = body.find(needle)
            if at >= 0:
                return self.issue.body_line + body.count("\n", 0, at)
        return None

    def _private(self, path: Path, root: Path) -> str:
        """The folder of the publication that holds *path* and is never published, if any."""
        out = self.config.out_dir.resolve()
        if out == path or out in path.parents:
            return f"the output folder {self.config.build.out}"
        parts = path.relative_to(root).parts[:-1]
        hidden = next((part for part in parts if part.startswith(".")), None)
        return f"the hidden folder {hidden}" if hidden else ""


def replaced_hint(issue: Issue, records: tuple[Record, ...], src: str, shown: str) -> str:
    """Restore the picture; and, unless a correction replaced it already, the command that shows
    another one beside the struck original (a whole image: a path alone cuts through its syntax)."""
    from .kinds import kind_of  # lazy: only for this error

    restore = f"restore the published file (`git checkout -- {shlex.quote(shown)}`)"
    replacing = next((r for r in records for pair in r.replaces if src in written_sources(pair.original)), None)
    if replacing is not None:
        if kind_of(replacing.kind).visible:
            return f"{restore}: the correction that replaced it shows it struck through"
        return f"{restore}: the page as it was sent (original.html) shows it"
    new_src = "{0}-2.{2}".format(*src.rpartition(".")) if "." in src.rsplit("/", 1)[-1] else f"{src}-2"
    save = f"save it beside it as {Path(unquote(new_src)).name}"
    if src not in written_sources(issue.body):
        return (  # a correction's note or new text showed it
            f"{restore}; to show another picture, {save} and add a record that shows it: "
            f"`notice correct {issue.slug} --kind update --note {shlex.quote(f'![...]({new_src})')}`"
        )
    whole, labelled, reference_use = _hint_patterns()
    written = next((m[0] for m in whole.finditer(issue.body) if m[1].strip("<>") == src), None)
    if written is not None:
        old, new = written, written.replace(src, new_src)
    else:  # a reference: ![alt][label] with [label]: src, replaced by an inline image
        labels = {m[1].lower() for m in labelled.finditer(issue.body) if m[2].strip("<>") == src}
        usage = next((m for m in reference_use.finditer(issue.body) if (m[2] or m[1]).lower() in labels), None)
        if usage is None:
            return f"{restore}; to show another picture, save it under a new name and correct the image with it"
        old, new = usage[0], f"![{usage[1]}]({new_src})"
    return (
        f"{restore}; to show another picture, {save} and record that: "
        f"`notice correct {issue.slug} --kind correction --replaces {shlex.quote(old)} --with {shlex.quote(new)}`"
    )


def issue_images(config: Config, state: IssueState) -> IssueImages:
    """The resolver of an issue's renderings: its records' notes, and the images its lock and
    records recorded checked against their bytes then."""
    locked: dict[str, str] = {}
    for images in [state.lock.images if state.lock else None, *(record.images for record in state.records)]:
        locked.update(images or {})
    return IssueImages(config, state.issue, records=tuple(state.records), locked=locked)


def quiet_images(config: Config, state: IssueState) -> IssueImages:
    """`issue_images` for the pages beside the issue's own (feeds, the corrections log): a bad
    image, or a picture changed since readers received it, is left as written; the issue's own
    build reports it."""
    return dataclasses.replace(issue_images(config, state), strict=False, report_changes=False)


def carried_images(config: Config, item: dict) -> IssueImages | None:
    """The corrected issue's images, for a note the next issue carries (toolkit.next_issue)
    that shows a local one: the note was written for that issue, so it links that issue's
    copy, as its notices and the corrections log do. Lenient: that issue's build reports a
    bad image, or a picture its records hold that changed since (`quiet_images`). None without
    a local image (no file read), or once that issue's file is gone."""
    from .issue_state import load_state  # lazy: it reads records, which import this module

    if not written_sources(item.get("note") or ""):
        return None
    try:
        issue = read_issue(
            config.issues_dir / f"{item['issue']}.md",
            default_lang=config.publication.lang,
            tz=config.tz,
            root=config.root,
        )
    except ToolkitError:
        return None
    try:
        return quiet_images(config, load_state(config, issue))
    except ToolkitError:  # damaged records: that issue's build says so
        return IssueImages(config, issue, strict=False)


def _shown(folder: Path, root: Path) -> str:
    try:
        relative = folder.relative_to(root).as_posix()
    except ValueError:
        return str(folder)
    return "the publication folder" if relative == "." else f"{relative}/"


# --- the build cache ---------------------------------------------------------------------------

#: Where Markdown writes an image's path: ``![alt](path "title")``, ``![alt](<path with spaces>)``,
#: and a reference definition ``[id]: path`` (an over-approximation: a link's too).
_INLINE_RE = re.compile(r"!\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]+)")
_REFERENCE_RE = re.compile(r"^[ ]{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)", re.M)


@functools.cache
def _hint_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """For `replaced_hint` only (compiled for that error, not in every build): a whole inline
    image with its title, a reference's label and target, and an image that uses a reference
    (``![alt][label]``, ``![label]``)."""
    return (
        re.compile(_INLINE_RE.pattern + r"""(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)"""),
        re.compile(r"^[ ]{0,3}\[([^\]]+)\]:\s*(<[^>]*>|\S+)", re.M),
        re.compile(r"!\[([^\]]*)\](?:\[([^\]]*)\])?(?![(\[:])"),
    )


def written_sources(text: str) -> list[str]:
    """The image paths *text* may use, as written (a cheap scan: no Markdown rendering; text
    without ``![`` has no image, and is passed over at memory speed: a no-op build reads them all)."""
    if "!" not in text or "![" not in text:  # one character is found by memchr: 30 times faster
        return []
    references = _REFERENCE_RE.findall(text) if "]:" in text else []
    found = [m.strip("<>") for m in _INLINE_RE.findall(text) + references]
    return [src for src in dict.fromkeys(found) if is_local(src)]


def image_sources(state: IssueState) -> list[str]:
    """The image paths the issue's body, its lock and its records write (`written_sources`)."""
    texts = [state.issue.body, state.lock.body if state.lock else ""]
    for record in state.records:
        texts.append(record.note)
        texts.extend(pair.corrected for pair in record.replaces)
    return written_sources("\n".join(texts))


def images_key(config: Config, state: IssueState, sources: list[str] | None = None) -> str:
    """What the issue's images add to its cache key: each local file's path, size and
    modification time (or that it is missing), so a replaced, changed or deleted image
    rebuilds the issue without hashing every image on every build. *sources*: its
    `image_sources`, when the build kept them instead of the body (`toolkit.kept_issues`)."""
    resolver = IssueImages(config, state.issue)
    parts = []
    for src in image_sources(state) if sources is None else sources:
        try:
            path = resolver.find(src)
            stat = path.stat()
            parts.append(f"{src}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
        except (ImageError, OSError):
            parts.append(f"{src}\0-")
    # The carried notes' images are the corrected issues' files: one replaced there gets a new
    # copy's name, which this issue's block must link too.
    for item in (state.lock.next_issue or ()) if state.lock else state.carried:
        carried = carried_images(config, item)
        for src in written_sources(item["note"]) if carried else []:
            try:
                stat = carried.find(src).stat()  # type: ignore[union-attr]
                parts.append(f"{item['issue']}\0{src}\0{stat.st_size}\0{stat.st_mtime_ns}")
            except (ImageError, OSError):
                parts.append(f"{item['issue']}\0{src}\0-")
    return hashlib.sha256("\0\0".join(parts).encode()).hexdigest() if parts else ""


# --- export --for ------------------------------------------------------------------------------


def published_urls(config: Config, slug: str, folder: Path, html: str) -> dict[str, Path]:
    """The published URL -> the built copy, for each local image *html* shows (`notice snapshot`
    answers the browser's requests with them: they are not uploaded yet)."""
    base = config.publication.base_url
    prefix = f"{base.rstrip('/')}/{slug}/" if base else f"{slug}/"
    return {
        f"{prefix}{IMAGE_FOLDER}/{quote(path.name, safe='@')}": path for path in published_images(folder, html).values()
    }


def published_images(folder: Path, html: str) -> dict[str, Path]:
    """``img/<name>`` -> the built copy, for each image of an issue's output *folder* that
    *html* shows: the build's own list, read back, never a second lookup of the sources."""
    images = folder / IMAGE_FOLDER
    if not images.is_dir():
        return {}
    sources = {unquote(src.rsplit("/", 1)[-1]) for src in re.findall(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", html)}
    return {
        f"{IMAGE_FOLDER}/{path.name}": path
        for path in sorted(images.iterdir())
        if path.name in sources and path.is_file() and not path.is_symlink()
    }
