"""Dates in the reader's language, and the memo of what Babel answered (issue 13)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import babel
import pytest

from toolkit import __version__, labels
from toolkit.labels import FormattedDates, babel_version, format_date, format_day

DAY = dt.date(2018, 7, 13)


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch) -> FormattedDates:
    """A memo of its own for the test, so the process-wide one keeps nothing from it."""
    fresh = FormattedDates()
    monkeypatch.setattr(labels, "DATES", fresh)
    return fresh


def _file(path: Path, dates: dict[str, str], *, babel_: str | None = None, notice: str = __version__) -> None:
    data = {"format": 1, "babel": babel_ or babel.__version__, "notice": notice, "dates": dates}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _key(lang: str = "ja", day: dt.date = DAY) -> str:
    return json.dumps(["date", lang, "long", day.isoformat()], ensure_ascii=False)


def test_dates_in_each_language():
    assert format_date(dt.datetime(2018, 7, 13, 9, 30), "ja") == "2018年7月13日"
    assert format_date(DAY, "en") == "July 13, 2018"
    assert format_day(DAY, "ja") == "7月13日" and format_day(DAY, "en") == "Jul 13"
    assert format_date(DAY, "xx-unknown") == "July 13, 2018"  # an unknown language reads as English


def test_babel_version_is_read_without_importing_it():
    assert babel_version() == babel.__version__


def test_what_babel_answered_is_saved_and_served_again(memo, tmp_path):
    path = tmp_path / "dates.json"
    memo.load(path)
    assert format_date(DAY, "ja") == "2018年7月13日"
    memo.save()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["babel"] == babel.__version__ and saved["notice"] == __version__
    assert saved["dates"] == {_key(): "2018年7月13日"}
    # What the file says is what the next process answers: it does not ask Babel again.
    _file(path, {_key(): "from the file"})
    memo.load(path)
    assert format_date(DAY, "ja") == "from the file"


@pytest.mark.parametrize(
    "stale",
    [
        {"babel_": "0.0.1"},  # written by another Babel: its CLDR data may say otherwise
        {"notice": "0.0.1"},  # written by another notice
    ],
    ids=["babel-version", "notice-version"],
)
def test_a_file_from_another_version_is_not_used(memo, tmp_path, stale):
    path = tmp_path / "dates.json"
    _file(path, {_key(): "stale"}, **stale)
    memo.load(path)
    assert format_date(DAY, "ja") == "2018年7月13日"
    memo.save()
    assert json.loads(path.read_text(encoding="utf-8"))["dates"] == {_key(): "2018年7月13日"}


@pytest.mark.parametrize("text", ["not json", "[]", '{"format": 1, "dates": []}', '{"format": 2}'])
def test_a_damaged_file_is_formatted_again(memo, tmp_path, text):
    path = tmp_path / "dates.json"
    path.write_text(text, encoding="utf-8")
    memo.load(path)
    assert format_date(DAY, "en") == "July 13, 2018"


def test_nothing_is_written_when_nothing_was_added(memo, tmp_path):
    path = tmp_path / "dates.json"
    _file(path, {_key(): "2018年7月13日"})
    before = path.stat().st_mtime_ns
    memo.load(path)
    format_date(DAY, "ja")
    memo.save()
    assert path.stat().st_mtime_ns == before


def test_only_plain_dates_are_kept(memo, tmp_path):
    class Day(dt.date):
        pass

    memo.load(tmp_path / "dates.json")
    assert format_date(Day(2018, 7, 13), "en") == "July 13, 2018"
    assert memo.entries == {}


def test_a_memo_past_its_limit_keeps_only_the_dates_this_build_asked_for(memo, tmp_path):
    path = tmp_path / "dates.json"
    _file(path, {_key(day=dt.date(2000, 1, n)): f"old {n}" for n in range(1, 4)})
    memo.load(path)
    memo.LIMIT = 2
    assert format_date(dt.date(2000, 1, 1), "ja") == "old 1"
    format_date(DAY, "ja")
    memo.save()
    saved = json.loads(path.read_text(encoding="utf-8"))["dates"]
    assert saved == {_key(day=dt.date(2000, 1, 1)): "old 1", _key(): "2018年7月13日"}
