"""The module graph: no import cycles inside toolkit, and imports at the top of their module.

An import hidden inside a function hides a cycle until the day that function runs first; issue 8
found five such cycles. Only the modules below may import inside a function, each for the reason
given, and each such import line says `# lazy` so a reader sees why it is not at the top.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, make_publication, write_issue

PACKAGE = REPO / "toolkit"

#: Modules that may import inside a function, and why.
LAZY_ALLOWED = {
    "toolkit.cli.authoring": "`notice --help` loads only click: a command imports the library when it runs",
    "toolkit.cli.errata": "`notice --help` loads only click",
    "toolkit.cli.mail": "`notice --help` loads only click",
    "toolkit.cli.state": "`notice --help` loads only click (notice.toml needs the config module and PyYAML)",
    "toolkit.inline": "only the inliner in use is imported, and premailer reads its cache size when imported",
    "toolkit.build": "a build with nothing to do loads no renderer (issue 13: two thirds of its time was imports)",
    "toolkit.source": "PyYAML only when YAML is read: a build with nothing to do reads none (issue 13)",
    "toolkit.records": "PyYAML only to write a record: reading one goes through source's parse cache (issue 13)",
    "toolkit.images": "Pillow only to measure an image, lxml only for an SVG: most issues have none (issue 13)",
    "toolkit.sanitize": "lxml only to report what raw HTML loses: nine issues in ten have none (issue 13: 6 ms)",
    "toolkit.webmeta": "lxml only for a correction's plain words: most issues have none (issue 13)",
    "toolkit.markup": "codehilite imported with Pygments kept out of it (issue 13: 5-7 ms a rendering process)",
    "toolkit.wrapping": "wcwidth only for characters it does not measure itself (issue 13: 25 ms a process)",
    "toolkit.social": "wcwidth only to find grapheme clusters, for emoji or a text to cut (issue 13)",
    "toolkit.errors": "JSON and difflib only for `check --format json` and a mistake: `notice --help` loads this module",
    "toolkit.labels": "Babel only for a date no earlier build formatted (issue 13: its locale data took ~50 ms)",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imported(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The toolkit modules an import statement of *module* loads."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names} & set(MODULES)
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    if node.level:
        base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        target = f"{base}.{node.module}" if node.module else base
    else:
        target = node.module or ""
    names = {target, *(f"{target}.{alias.name}" for alias in node.names)}
    return (names & set(MODULES)) - {module}


def import_nodes(module: str) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement of *module*, and whether it sits inside a function."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append((child, in_function))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(tree, False)
    return found


def graph() -> dict[str, set[str]]:
    """Module -> the toolkit modules it imports anywhere: at the top, in a function, for types."""
    return {module: set().union(*(imported(module, node) for node, _ in import_nodes(module))) for module in MODULES}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that returns to its start, or None."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = "open"
        stack.append(module)
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = "done"
        return None

    for module in sorted(edges):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_find_cycle_sees_a_cycle_and_only_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_inside_toolkit():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_imports_are_at_the_top_except_where_they_keep_help_fast():
    hidden, unmarked = [], []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, in_function in import_nodes(module):
            if not in_function:
                continue
            where = f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)}"
            if module not in LAZY_ALLOWED:
                hidden.append(where)
            elif "# lazy" not in lines[node.lineno - 1]:
                unmarked.append(where)
    assert not hidden, "imports inside functions (move them to the top of the module):\n" + "\n".join(hidden)
    assert not unmarked, "lazy imports without a `# lazy` comment:\n" + "\n".join(unmarked)


def test_the_graph_walker_finds_function_level_imports():
    # The walker itself: the CLI's commands do import inside functions, and it sees them.
    lazy = [node for node, in_function in import_nodes("toolkit.cli.authoring") if in_function]
    assert any(imported("toolkit.cli.authoring", node) == {"toolkit.build"} for node in lazy)
    assert "toolkit.cli.state" in graph()["toolkit.cli.authoring"]


def _modules_after_build(root: Path) -> list[str]:
    """The build `notice build --drafts` runs, in a new process: which of lxml, the
    renderers and Pygments (never: `test_codehilite_highlights_as_before`) it imported."""
    script = (
        "import sys\n"
        "from toolkit.cli import main\n"
        f"sys.argv = ['notice', '-C', {str(root)!r}, '-q', 'build', '--drafts']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print(sorted(name for name in ('lxml', 'markdown', 'nh3', 'pygments') if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return ast.literal_eval(done.stdout.splitlines()[-1])


@pytest.mark.slow
def test_a_rebuild_loads_lxml_only_for_what_needs_it(tmp_path):
    """lxml (6 ms of a cold build, issue 13) is for raw HTML's removal report, an SVG, a
    correction's words, the feeds and premailer: an edited issue of Markdown alone, inlined by
    css-inline, needs none of them."""
    publication = make_publication(tmp_path / "pub", inliner="css-inline")
    write_issue(publication, "hello")
    assert _modules_after_build(publication) == ["lxml", "markdown", "nh3"]  # the first build writes the feeds
    write_issue(publication, "hello", body="Edited *text*, nothing but Markdown.")
    assert _modules_after_build(publication) == ["markdown", "nh3"]
    write_issue(publication, "hello", body='Raw HTML: <div onclick="go()">hi</div>')
    assert _modules_after_build(publication) == ["lxml", "markdown", "nh3"]


@pytest.mark.slow
def test_premailer_runs_without_importing_requests_and_the_module_stays_whole(tmp_path):
    """premailer imports requests to fetch stylesheets, which notice never lets it do: a build
    with premailer loads neither requests nor urllib3 (35 ms, issue 13), and requests imported
    afterwards, by anyone, is the real module, as is what premailer holds once it is used."""
    publication = make_publication(tmp_path / "pub", inliner="premailer")
    write_issue(publication, "hello")
    script = (
        "import sys\n"
        "from toolkit.cli import main\n"
        f"sys.argv = ['notice', '-C', {str(tmp_path / 'pub')!r}, '-q', 'build', '--drafts']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "loaded = sorted(name for name in ('premailer', 'requests', 'urllib3') if name in sys.modules)\n"
        "import requests, premailer.premailer\n"
        "whole = requests.get is premailer.premailer.requests.get and type(requests).__name__ == 'module'\n"
        "print([loaded, whole])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ast.literal_eval(done.stdout.splitlines()[-1]) == [["premailer"], True]
    assert (publication / "build" / "hello" / "email.html").is_file()


#: Code for codehilite, in a language Pygments knows and one it does not, and then with a
#: formatter it does not have (codehilite catches Pygments' own ClassNotFound for that).
HIGHLIGHTED = (
    "import markdown\n"
    "src = '```python\\ndef f(x):\\n    return x + 1\\n```\\n\\n```nosuchlang\\nplain\\n```\\n'\n"
    "print(markdown.markdown(src, extensions=['fenced_code', 'codehilite']))\n"
    "print(markdown.markdown(src, extensions=['fenced_code', 'codehilite'],\n"
    "    extension_configs={'codehilite': {'pygments_formatter': 'nosuchformatter'}}))\n"
)


def test_codehilite_highlights_as_before():
    """notice imports Python-Markdown's codehilite (through fenced_code) with Pygments kept out,
    5-7 ms of each rendering process where Pygments is installed (issue 13); a program that
    highlights with codehilite beside notice gets what it gets without notice."""
    pytest.importorskip("pygments")
    before = (
        "import sys\n"
        "from toolkit.markup import builtin_extensions\n"
        "builtin_extensions()\n"
        "assert 'pygments' not in sys.modules, 'notice imported Pygments'\n"
    )
    alone = subprocess.run([sys.executable, "-c", HIGHLIGHTED], capture_output=True, text=True, check=True)
    beside = subprocess.run([sys.executable, "-c", before + HIGHLIGHTED], capture_output=True, text=True, check=True)
    assert '<span class="k">def</span>' in alone.stdout  # Pygments did highlight
    assert beside.stdout == alone.stdout
