"""Refresh toolkit/data/caniemail.json, the small extract of the caniemail data set that
`notice check` reads (rule `client-support`).

The data set (caniemail.com, MIT licence, © Rémi Parmentier) is a JSON feed of ~300 features
with support per client family, platform and version. The npm package `caniemail` carries it
as data/caniemail.json. Get it and run this script:

    cd /tmp && npm pack caniemail && tar xzf caniemail-*.tgz
    python scripts/refresh_caniemail.py /tmp/package

The extract keeps, for each CSS property and HTML element feature, what `notice check` can
match in a built email (property names, property:value pairs, CSS functions, element names,
in-page links, image formats),
and per target client whether its latest test supports it. Everything else (selectors,
pseudo-classes, units, at-rules, attributes) is left out: inlining removes the selectors, and
the at-rules left in the <style> block are the theme's deliberate progressive extras.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "toolkit" / "data" / "caniemail.json"
LICENCE = "MIT, © Rémi Parmentier (caniemail.com)"

#: The clients `notice check` reports on, and the caniemail (family, platforms) they stand for.
#: Outlook on Windows renders with Word, unlike Outlook for Mac and Outlook.com: kept apart.
#: Gmail's and Yahoo's apps are kept apart from their webmail too: in-page links do nothing in
#: Gmail on iOS and Yahoo on iOS and Android, and Gmail's mobile web client drops display:none
#: and opacity (doiuse-email reports both), which one folded "Gmail" entry hid (issue 15).
CLIENTS: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "gmail": ("Gmail on the web", "gmail", ("desktop-webmail",)),
    "gmail-ios": ("Gmail for iOS", "gmail", ("ios",)),
    "gmail-android": ("Gmail for Android", "gmail", ("android",)),
    "gmail-mobile-web": ("Gmail's mobile web client", "gmail", ("mobile-webmail",)),
    "apple-mail": ("Apple Mail", "apple-mail", None),
    "outlook-windows": ("Outlook on Windows", "outlook", ("windows",)),
    "outlook-mac": ("Outlook for Mac and Outlook.com", "outlook", ("macos", "outlook-com")),
    "yahoo": ("Yahoo! Mail on the web", "yahoo", ("desktop-webmail",)),
    "yahoo-ios": ("Yahoo! Mail for iOS", "yahoo", ("ios",)),
    "yahoo-android": ("Yahoo! Mail for Android", "yahoo", ("android",)),
}
#: Names for a whole family: a feature that every one of its clients drops names the family once.
FAMILIES = {
    "Gmail": ["gmail", "gmail-ios", "gmail-android", "gmail-mobile-web"],
    "Yahoo! Mail": ["yahoo", "yahoo-ios", "yahoo-android"],
}

#: Titles naming several properties, as caniemail's own checker (npm caniemail, check-css) maps them.
PROPERTY_TITLES: dict[str, list[str]] = {
    "block-size & inline-size": ["block-size", "inline-size"],
    "border-inline & border-block": ["border-inline", "border-block"],
    "border-inline & border-block individual logical properties": [
        "border-block-end",
        "border-block-start",
        "border-inline-end",
        "border-inline-start",
    ],
    "border-inline & border-block longhand properties": [
        "border-block-color",
        "border-block-style",
        "border-block-width",
        "border-inline-color",
        "border-inline-style",
        "border-inline-width",
    ],
    "border-radius logical properties": [
        "border-end-end-radius",
        "border-end-start-radius",
        "border-start-end-radius",
        "border-start-start-radius",
    ],
    "color-scheme CSS property": ["color-scheme"],
    "css column properties": [
        "column-count",
        "column-fill",
        "column-gap",
        "column-rule",
        "column-rule-color",
        "column-rule-style",
        "column-rule-width",
        "column-span",
        "column-width",
        "columns",
    ],
    "gap, column-gap, row-gap": ["column-gap", "gap", "row-gap"],
    "grid-template-* properties": [
        "grid-template",
        "grid-template-areas",
        "grid-template-columns",
        "grid-template-rows",
    ],
    "left, right, top, bottom": ["left", "right", "top", "bottom"],
    "margin-block-start & margin-block-end": ["margin-block-end", "margin-block-start"],
    "margin-inline & margin-block": ["margin-block", "margin-inline"],
    "margin-inline-start & margin-inline-end": ["margin-inline-end", "margin-inline-start"],
    "padding-block-start & padding-block-end": ["padding-block-end", "padding-block-start"],
    "padding-inline & padding-block": ["padding-block", "padding-inline"],
    "padding-inline-start & padding-inline-end": ["padding-inline-end", "padding-inline-start"],
    "font shorthand": ["font"],
    "scroll-snap": ["scroll-snap-type", "scroll-snap-align", "scroll-snap-stop"],
}
FUNCTION_TITLES: dict[str, list[str]] = {
    "CSS calc() function": ["calc"],
    "CSS Variables (Custom Properties)": ["var"],
    "lch(), oklch(), lab(), oklab()": ["lch", "oklch", "lab", "oklab"],
}
#: Left out: an attribute whose title looks like a property, and what every email has by
#: design (<body>; the one leftover <style> block, whose size rule `style-size` watches).
LEFT_OUT = {"css-inert-attribute", "html-body", "html-style"}
#: Elements of the HTML features whose titles do not name them.
ELEMENT_SLUGS: dict[str, list[str]] = {
    "html-semantics": [
        "article",
        "aside",
        "details",
        "figcaption",
        "figure",
        "footer",
        "header",
        "main",
        "mark",
        "nav",
        "section",
        "summary",
        "time",
    ],
    "html-image-maps": ["map", "area"],
    "html-svg": ["svg"],
    "html-address": ["address"],
}
#: Image formats, matched by the extension of a local image's file (rule image-format, issue 11).
FORMAT_SLUGS: dict[str, list[str]] = {"image-svg": ["svg"], "image-webp": ["webp"], "image-avif": ["avif"]}
#: Links of the HTML features: in-page links (href="#..."), which some clients do not follow.
LINK_SLUGS: dict[str, list[str]] = {"html-anchor-links": ["in-page"]}
NOTE_LIMIT = 240  # characters: longer notes are left to the feature's page


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="caniemail.json, or the unpacked npm package folder")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--date", help="the refresh date, YYYY-MM-DD (default: today)")
    args = parser.parse_args(argv)
    data_path, package = locate(args.source)
    data = json.loads(data_path.read_text(encoding="utf-8"))
    extract = make_extract(data, package, args.date or dt.date.today().isoformat())
    text = dump(extract)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"{len(extract['features'])} features, {len(text.encode()) / 1024:.0f} KB -> {args.out}")
    return 0


def dump(extract: dict[str, Any]) -> str:
    """Compact JSON with one feature per line, so that a refresh reads as a short diff."""

    def compact(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    features = ",\n".join(f" {compact(slug)}:{compact(feature)}" for slug, feature in extract["features"].items())
    head = ",\n".join(f"{compact(key)}:{compact(value)}" for key, value in extract.items() if key != "features")
    return f'{{{head},\n"features":{{\n{features}\n}}}}\n'


def locate(source: Path) -> tuple[Path, dict[str, Any]]:
    """The data file and the package.json beside it (name and version), from either path."""
    folder = source if source.is_dir() else source.parent
    data_path = source if source.is_file() else folder / "data" / "caniemail.json"
    for candidate in (folder, folder.parent, folder.parent.parent):
        manifest = candidate / "package.json"
        if manifest.is_file():
            return data_path, json.loads(manifest.read_text(encoding="utf-8"))
    return data_path, {"name": "caniemail", "version": "unknown"}


def make_extract(data: dict[str, Any], package: dict[str, Any], refreshed: str) -> dict[str, Any]:
    features = {}
    for feature in data["data"]:
        match = match_of(feature)
        if match is None:
            continue
        support, notes = {}, {}
        for client, (_, family, platforms) in CLIENTS.items():
            value, note = support_of(feature, family, platforms)
            support[client] = value
            if note:
                notes[client] = note
        features[feature["slug"]] = {
            "title": feature["title"].strip(),
            "url": feature["url"],
            "match": match,
            "support": support,
            **({"notes": notes} if notes else {}),
        }
    return {
        "source": {
            "package": package.get("name", "caniemail"),
            "version": package.get("version", "unknown"),
            "data_updated": data.get("last_update_date", ""),
            "licence": LICENCE,
            "refreshed": refreshed,
        },
        "clients": {client: name for client, (name, _, _) in CLIENTS.items()},
        "families": FAMILIES,
        "features": features,
    }


def match_of(feature: dict[str, Any]) -> dict[str, list[str]] | None:  # noqa: C901 - one branch per caniemail category, read as a table
    """What in a built email stands for *feature*: properties, property:value pairs,
    functions or elements; None for features the check does not look for."""
    slug, title = feature["slug"], feature["title"].strip()
    if slug in LEFT_OUT:
        return None
    if slug in FORMAT_SLUGS:
        return {"formats": FORMAT_SLUGS[slug]}
    if feature["category"] == "css":
        if re.match(r"css-(pseudo|selector|unit|at-|comments|important)", slug):
            return None
        if title in PROPERTY_TITLES:
            return {"properties": PROPERTY_TITLES[title]}
        if title in FUNCTION_TITLES:
            return {"functions": FUNCTION_TITLES[title]}
        pair = re.fullmatch(r"([a-z-]+)\s*:\s*([a-z-]+)", title)
        if pair:
            return {"values": [f"{pair[1]}:{pair[2]}"]}
        functions = re.findall(r"([a-z-]+)\(\)", title)
        if functions:
            return {"functions": functions}
        name = re.fullmatch(r"([a-z-]+)(?: property)?", title)
        return {"properties": [name[1]]} if name else None
    if feature["category"] == "html":
        if slug in LINK_SLUGS:
            return {"links": LINK_SLUGS[slug]}
        if slug in ELEMENT_SLUGS:
            return {"elements": ELEMENT_SLUGS[slug]}
        typed = re.fullmatch(r'<(\w+) type="(\w+)"> element', title)
        if typed:
            return {"elements": [f"{typed[1]}[type={typed[2]}]"]}
        if title == "<h1> to <h6> elements":
            return {"elements": [f"h{n}" for n in range(1, 7)]}
        names = re.findall(r"<(\w+)>", title)
        if names and (
            title.endswith(("element", "elements"))
            or (title.startswith("<") and "," in title)
            or title == f"<{names[0]}>"
        ):
            return {"elements": names}
    return None


def support_of(feature: dict[str, Any], family: str, platforms: tuple[str, ...] | None) -> tuple[str, str]:
    """("y"|"n"|"a"|"u", note) for one client: the latest test on each of its platforms.

    Versions are listed in the order they were tested (caniemail's site shows the last as
    current); version strings mix years, dates and numbers, so they are not sorted.
    """
    tested = feature["stats"].get(family, {})
    latest = {
        platform: list(versions.values())[-1]
        for platform, versions in tested.items()
        if versions and (platforms is None or platform in platforms)
    }
    if not latest:
        return "u", ""
    values = {platform: value.split()[0] for platform, value in latest.items()}
    numbers = sorted({n for value in latest.values() for n in re.findall(r"#(\d+)", value)}, key=int)
    texts = [feature.get("notes_by_num", {}).get(n) or "" for n in numbers]
    note = " ".join(f"#{n}: {text}" for n, text in zip(numbers, texts) if text)
    note = note if len(note) <= NOTE_LIMIT else " ".join(f"#{n}" for n in numbers)
    kinds = set(values.values())
    if len(kinds) == 1:
        return kinds.pop(), note
    # Mixed across platforms: partial, saying where it fails.
    failing = sorted(p for p, v in values.items() if v == "n")
    mixed = f"not on {', '.join(failing)}" if failing else ""
    return "a", "; ".join(filter(None, (mixed, note)))


if __name__ == "__main__":
    sys.exit(main())
