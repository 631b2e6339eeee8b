"""Where a publication is: the nearest folder holding notice.toml.

Kept apart from `config` (which loads the renderers' settings and their modules) so a command
can find its publication, and the caches under it, before it imports anything heavy.
"""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError

CONFIG_NAME = "notice.toml"
CACHE_NAME = ".notice-cache"


def find_root(start: Path) -> Path:
    """The nearest folder at or above *start* that holds notice.toml, as git finds .git."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_NAME} in {start} or any folder above it",
        hint="run `notice init` to start a publication here, or point at one with `notice -C DIR`",
    )
