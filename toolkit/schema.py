"""Fields declared once: each notice.toml key, front-matter field and record field.

A declared field is a dataclass field whose metadata holds its one-line doc and a *parse*
function: ``parse(value, key, context)`` returns the value to store or raises `Invalid` with a
message and a hint. MkDocs declares its options the same way (``config/defaults.py``: one
line, a validator, a docstring, issue 8); this is the few dozen lines of that we need. The
README's tables are checked against these declarations by tests/test_schema.py.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import did_you_mean

#: ``(key or None, message, hint)``: what `read_mapping` found wrong; None when no key is to blame.
Problem = tuple[str | None, str, str]


class Invalid(Exception):
    """A value its field refuses: what is wrong, and how to write it instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Spec:
    """What `declare` says of a field: its doc, its parse function, whether it is required."""

    doc: str
    parse: Callable[[Any, str, Any], Any]
    required: bool


def declare(
    default: Any = dataclasses.MISSING,
    *,
    doc: str,
    parse: Callable[[Any, str, Any], Any] | None = None,
    required: bool = False,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """A dataclass field that is also a declared key: its default, doc and parse function."""
    spec = Spec(doc, parse or (lambda value, key, context: value), required)
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"spec": spec})
    return dataclasses.field(default=default, metadata={"spec": spec})


def declared(cls: type) -> dict[str, dataclasses.Field]:
    """The declared fields of *cls*, in order (others, such as a path, are not keys of the file)."""
    return {f.name: f for f in dataclasses.fields(cls) if "spec" in f.metadata}


def spec_of(field: dataclasses.Field) -> Spec:
    return field.metadata["spec"]


@functools.cache
def _specs(cls: type) -> tuple[dict[str, Spec], list[str]]:
    """*cls*'s declared fields' specs, and their names: once per class, not per mapping read
    (issue 13: every issue's front-matter is checked in every build)."""
    specs = {name: spec_of(field) for name, field in declared(cls).items()}
    return specs, list(specs)


def blank(value: Any) -> bool:
    """Nothing written: absent, null, or only spaces (``title: "   "`` is no title, issue 14)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _unknown(key: str, known: list[str]) -> tuple[str, str]:
    return f"unknown key '{key}'{did_you_mean(key, known)}", f"known keys: {', '.join(known)}"


def _missing(key: str, given: bool) -> tuple[str, str]:
    return f"the field '{key}' is missing", f"add {key}: ..."


def read_mapping(
    cls: type,
    data: Mapping[Any, Any],
    context: Any,
    *,
    unknown: Callable[[str, list[str]], tuple[str, str]] = _unknown,
    missing: Callable[[str, bool], tuple[str, str]] = _missing,
) -> tuple[dict[str, Any], list[Problem]]:
    """Check *data* against the fields of *cls*: every problem, and the parsed values of the
    keys written (the dataclass's defaults fill the rest). *unknown* and *missing* word the
    two problems every mapping shares in its own voice (``given``: written, but blank)."""
    known, names = _specs(cls)
    problems: list[Problem] = [(str(key), *unknown(str(key), list(names))) for key in data if key not in known]
    values: dict[str, Any] = {}
    for name, spec in known.items():
        if spec.required and blank(data.get(name)):
            problems.append((name if name in data else None, *missing(name, name in data)))
        elif name in data:
            try:
                values[name] = spec.parse(data[name], name, context)
            except Invalid as error:
                problems.append((name, error.message, error.hint))
    return values, problems


def markdown_rows(cls: type, cells: Callable[[str, dataclasses.Field], list[str]]) -> list[str]:
    """The rows of a README table of *cls*'s fields: ``| `name` | ... | doc |``."""
    return [
        "| " + " | ".join([f"`{name}`", *cells(name, field), spec_of(field).doc]) + " |"
        for name, field in declared(cls).items()
    ]
