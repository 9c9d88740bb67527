"""The command line's synopsis, written from the commands themselves: the README's "Command line"
block is this text (`python -m agentloop.cli.synopsis` prints it, `... README.md` writes it
there; a test compares the two), so
the README and `--help` cannot name different options or values.

Each command gets its one-line description as a comment and its arguments and options, wrapped
under the command's name: `[--flag VALUE]` for an option, the option's metavar (or its choices)
as the value. (typer may carry its own click, so parameters are read by their attributes.)
"""

from __future__ import annotations

import textwrap
from enum import Enum
from pathlib import Path
from typing import Any

import typer

WIDTH = 100
README_HEADING = "## Command line"
# Values of options that name none, by the option's annotated type.
_PLACEHOLDERS: dict[object, str] = {int: "N", float: "X", Path: "PATH"}


def summary(command: Any) -> str:
    """The command's description as `--help` lists it: its help's first paragraph."""
    first = (command.help or "").strip().split("\n\n")[0]
    return " ".join(first.split())


def value(param: Any) -> str:
    """What an option takes, as the synopsis writes it: its metavar, else its enum's values,
    else a placeholder for its type."""
    if param.metavar:
        return str(param.metavar)
    kind = param.type_descriptor.annotation
    if isinstance(kind, type) and issubclass(kind, Enum):
        return "|".join(str(member.value) for member in kind)
    return _PLACEHOLDERS.get(kind, (param.name or "value").upper())


def word(param: Any) -> str | None:
    """One argument or option of the synopsis; None for `--help`."""
    if param.param_type_name == "argument":
        name = (param.name or "arg").upper()
        return name if param.required else f"[{name}]"
    longs = [o for o in param.opts if o.startswith("--")] or param.opts
    if longs == ["--help"]:
        return None
    if param.is_flag:
        text = "|".join(longs + [o for o in param.secondary_opts if o.startswith("--")])
    else:
        text = f"{longs[0]} {value(param)}"
    return text if param.required else f"[{text}]"


def pack(words: list[str], width: int) -> list[str]:
    """`words` on lines of at most `width` characters, never splitting one (a longer word has a
    line to itself)."""
    lines: list[str] = []
    for w in words:
        if lines and len(lines[-1]) + 1 + len(w) <= width:
            lines[-1] += " " + w
        else:
            lines.append(w)
    return lines


def command_lines(name: str, command: Any) -> list[str]:
    """`# description` and the command's synopsis, wrapped at `WIDTH`."""
    words = [w for p in command.params if (w := word(p)) is not None]
    head = f"agentloop {name} "
    body = pack(words, WIDTH - len(head)) or [""]
    lines = [head + body[0]] + [" " * len(head) + line for line in body[1:]]
    comment = ["# " + line for line in textwrap.wrap(summary(command), WIDTH - 2)]
    return [*comment, *(line.rstrip() for line in lines)]


def synopsis(app: typer.Typer) -> str:
    """Every command of `app`, in the order they were registered."""
    group: Any = typer.main.get_command(app)
    blocks = ["\n".join(command_lines(name, cmd)) for name, cmd in group.commands.items() if not cmd.hidden]
    return "\n".join(blocks) + "\n"


def in_readme(text: str, block: str) -> str:
    """`text` (a README) with the code block under its "## Command line" heading replaced by `block`."""
    start = text.index("```bash\n", text.index(README_HEADING)) + len("```bash\n")
    return text[:start] + block + text[text.index("```\n", start):]


if __name__ == "__main__":  # prints the synopsis; with a README's path, writes it there
    import sys

    from agentloop.cli import app as _app

    if len(sys.argv) > 1:
        readme = Path(sys.argv[1])
        readme.write_text(in_readme(readme.read_text(), synopsis(_app)))
    else:
        print(synopsis(_app), end="")
