"""Correction records: dated, append-only errata under ``corrections/<slug>/``."""

from __future__ import annotations

from .config import Config

RECORD_SUFFIX = ".yml"


def count_records(config: Config, slug: str) -> int:
    """How many correction records an issue has."""
    folder = config.corrections_dir / slug
    return sum(1 for p in folder.glob(f"*{RECORD_SUFFIX}") if p.is_file()) if folder.is_dir() else 0
