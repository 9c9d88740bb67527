"""What each MiniWoB++ task asks, in the `miniwob` package's own words, for `agentloop list`.

Read from the package's files as text (no import of its environments, which pull in Selenium):
the "## Description" of the task's environment class, where the package declares one; else
the instruction the task's page shows in its query box. A variant described only as a change
to another task ("[click-collapsible-2] Removed animation.") gets that task's description too.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_SUBDOMAIN = re.compile(r'^\s*subdomain\s*=\s*"([^"]+)"', re.M)
_DESCRIPTION = re.compile(r"## Description\s*\n(.*?)(?:\n\s*\n|\n\s*##|\Z)", re.S)
_EXAMPLE = re.compile(r"## Example utterances\s*\n\s*\*\s*(.+)")
_VARIANT = re.compile(r"^\[([\w-]+)\]\s*(.*)$")
_QUERY_DIV = re.compile(r'<div id="query">([^<]+)</div>')
_QUERY_SET = re.compile(r"""#query['"]\)\.html\(\s*['"]([^'"]+)['"]\s*\)""")
_TITLE = re.compile(r"<title>([^<]+?)(?: Task)?</title>")


def _words(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _declared(package: Path) -> dict[str, tuple[str, str]]:
    """Task name -> the "## Description" its environment class's docstring gives, and the first
    of its example instructions."""
    source = package / "envs" / "miniwob_envs.py"
    try:
        text = source.read_text("utf-8")
    except OSError:
        return {}
    out = {}
    for block in text.split("\nclass ")[1:]:
        name, desc, example = _SUBDOMAIN.search(block), _DESCRIPTION.search(block), _EXAMPLE.search(block)
        if name and desc:
            out[name.group(1)] = (_words(desc.group(1)), _words(example.group(1)) if example else "")
    return out


def _from_page(page: Path) -> str:
    """The instruction a task's page shows (or sets) in its query box, else its title."""
    try:
        html = page.read_text("utf-8")
    except OSError:
        return ""
    for pattern in (_QUERY_DIV, _QUERY_SET, _TITLE):
        m = pattern.search(html)
        if m and m.group(1).strip():
            return _words(m.group(1))
    return ""


def describe(package: Path, task: str) -> str:
    """What the MiniWoB++ task `task` asks, from the package installed at `package`; a variant
    also gets an example of its instruction (several variants differ in what they ask only there)."""
    declared = _declared(package)
    desc, example = declared.get(task) or (_from_page(package / "html" / "miniwob" / f"{task}.html"), "")
    variant = _VARIANT.match(desc)
    if variant and variant.group(1) in declared and variant.group(1) != task:
        change = variant.group(2).strip().rstrip(".")
        base = _VARIANT.sub(r"\2", describe(package, variant.group(1)).split(" For example:")[0])
        desc = f"{base} Variant: {change}." if change else base
        return f"{desc} For example: \u201c{example}\u201d" if example else desc
    return desc
