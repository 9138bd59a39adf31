"""The import graph of bot/, cogs/ and storage/ has no cycles (lazy imports included)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "cogs", "storage")

# Cycles tolerated for now: none. Any cycle fails the test.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """Project modules `module` imports, at any depth except under `if TYPE_CHECKING:`."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]

    def resolve(name: str) -> str | None:
        # "a.b.c" may name a module or an attribute of one: the longest known prefix wins.
        while name:
            if name in known:
                return name
            name = name.rpartition(".")[0]
        return None

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.orelse:
                visit(statement)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := resolve(alias.name)) is not None:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # `from pkg import mod` imports pkg.mod; `from mod import name` imports mod.
                target = resolve(f"{base}.{alias.name}") or resolve(base)
                if target is not None:
                    found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {
        module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
    }
    known = set(files)
    return {
        name: _imports(
            ast.parse(path.read_text(encoding="utf-8"), str(path)),
            name,
            path.name == "__init__.py",
            known,
        )
        for name, path in files.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), as one cycle each."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return components


def path_through(graph: dict[str, set[str]], members: list[str]) -> list[str]:
    """One concrete cycle inside a component, for the failure message: a -> b -> ... -> a."""
    inside = set(members)
    start = members[0]
    trail = [start]
    seen = {start}
    while True:
        step = sorted(graph[trail[-1]] & inside)
        back = [m for m in step if m == start]
        if back and len(trail) > 1:
            return [*trail, start]
        unvisited = [m for m in step if m not in seen]
        if not unvisited:
            nxt = step[0]
            return [*trail[trail.index(nxt) :], nxt]
        trail.append(unvisited[0])
        seen.add(unvisited[0])


def test_the_packages_import_each_other_without_cycles() -> None:
    graph = import_graph()
    assert "bot.app" in graph and "bot.ops.leaders" in graph["bot.app"]
    found = cycles(graph)
    unexpected = [c for c in found if frozenset(c) not in KNOWN_CYCLES]
    report = "\n".join(" -> ".join(path_through(graph, c)) for c in unexpected)
    assert not unexpected, f"import cycles:\n{report}"


def test_the_cycle_finder_reports_a_lazy_import_cycle() -> None:
    graph = {
        "a": {"b"},
        "b": {"c"},
        "c": {"a"},  # e.g. an import inside a function
        "d": {"a"},
    }
    assert cycles(graph) == [["a", "b", "c"]]
    assert path_through(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


def test_imports_inside_functions_count_and_type_checking_ones_do_not() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from bot.service import narratives\n"
        "def f():\n"
        "    from bot.pipeline import ScoringPipeline\n"
        "    import storage.db\n"
        "from . import posts\n"
    )
    known = {"bot", "bot.posts", "bot.pipeline", "bot.service.narratives", "storage.db"}
    assert _imports(ast.parse(source), "bot.app", False, known) == {
        "bot.pipeline",
        "storage.db",
        "bot.posts",
    }
