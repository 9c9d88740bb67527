"""The import direction, read from the source: envs → skills → core, each env family on its
own, and no import cycles anywhere. (import-linter checks the core's own layers; it cannot
see `envs/` and `skills/`, which are installed under `agentloop` from folders beside it.)
The layers name every part of the core, and a copy of the core with a folder-level loop put
back fails them."""

import ast
import os
import re
import shutil
import subprocess
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


def _layers() -> list[str]:
    """The modules the layers contract names (read as text: tomllib is not in Python 3.10)."""
    block = re.search(r"^layers = \[(.*?)^\]", (ROOT / "pyproject.toml").read_text(), re.S | re.M)
    assert block is not None, "no layers contract in pyproject.toml"
    return re.findall(r"agentloop[\w.]*", block.group(1))


def test_the_layers_name_every_part_of_the_core():
    parts = {f"agentloop.{p.stem}" for p in (ROOT / "agentloop").iterdir()
             if (p.suffix == ".py" and p.name != "__init__.py") or (p / "__init__.py").is_file()}
    assert parts - set(_layers()) == set(), "parts of the core outside the import-linter layers"


# Each a loop between folders that the layers keep out: the module that gains the import, and
# the import (each of these packages is imported, the other way, by the other one today).
LOOPS = [
    ("models/types.py", "agentloop.prompts"),  # backends reading the prompt renderer
    ("prompts/messages.py", "agentloop.roles"),  # the renderer reading the roles
    ("context.py", "agentloop.loop"),  # a contract type reading the loop
]


@pytest.mark.parametrize(("module", "target"), LOOPS)
def test_a_folder_level_loop_breaks_the_layers(tmp_path, module, target):
    shutil.copytree(ROOT / "agentloop", tmp_path / "agentloop", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "agentloop" / module).open("a") as f:
        f.write(f"\nimport {target}  # noqa\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # the copy, not the installed package
    r = subprocess.run(["lint-imports", "--no-cache"], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=120)
    importer = "agentloop." + module.removesuffix(".py").replace("/", ".")
    assert r.returncode == 1 and "BROKEN" in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]
    assert f"{importer} -> {target}" in r.stdout, r.stdout[-3000:]
