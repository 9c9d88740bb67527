"""The import direction, read from the source: envs → skills → core, each env family on its
own, and no import cycles anywhere. (import-linter checks the core's own layers; it cannot
see `envs/` and `skills/`, which are installed under `agentloop` from folders beside it.)"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TREES = {"agentloop": "agentloop", "envs": "agentloop.envs", "skills": "agentloop.skills"}
FOREIGN = ("playwright", "mujoco", "adbutils")


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = list(rel.with_suffix("").parts[1:])
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join([TREES[rel.parts[0]], *parts])


def _imports(path: Path, module: str) -> Iterator[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            yield base
            yield from (f"{base}.{a.name}" for a in node.names)


def _graph() -> dict[str, set[str]]:
    files = [p for tree in TREES for p in (ROOT / tree).rglob("*.py")]
    graph = {_module(p): set(_imports(p, _module(p))) for p in files}
    return graph


GRAPH = _graph()


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _family(module: str) -> str:
    if _within(module, "agentloop.envs"):
        return ".".join(module.split(".")[:3])  # agentloop.envs.<family>
    if _within(module, "agentloop.skills"):
        return "agentloop.skills"
    return "core"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_one_way(module):
    family = _family(module)
    for target in GRAPH[module]:
        if target.split(".")[0] in FOREIGN:
            assert _within(family, "agentloop.envs"), f"{module} imports {target}: only envs may"
        elif _within(target, "agentloop.envs"):
            assert _within(family, "agentloop.envs"), f"{module} imports the env {target}"
            assert _family(target) in (family, "agentloop.envs"), f"{module} imports another env family: {target}"
        elif _within(target, "agentloop.skills"):
            assert family != "core", f"{module} (core) imports the vocabulary {target}"


def test_no_import_cycles():
    edges = {m: {t for t in ts if t in GRAPH and t != m and not m.startswith(t + ".")} for m, ts in GRAPH.items()}
    seen: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        seen[m] = 1
        path.append(m)
        for t in sorted(edges[m]):
            if seen.get(t) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(t):] + [t]))
            if t not in seen:
                visit(t)
        path.pop()
        seen[m] = 2

    for m in sorted(edges):
        if m not in seen:
            visit(m)
