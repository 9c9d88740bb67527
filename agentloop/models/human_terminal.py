"""The terminal face of `--model human`: each request printed, each reply typed as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from agentloop.errors import ModelError
from agentloop.models.human_wire import HumanRequest, Validate


def outline(request: HumanRequest) -> str:
    """One line naming what the reply must be (the prompt itself shows its form)."""
    if not request.reply_schema:
        return "reply: any text"
    return f"reply: one JSON object fitting {request.schema_name}, in the form the prompt gives"


class TerminalChannel:
    """Prints a request (its images as the paths of saved PNG files) and reads the reply:
    lines are read until they make one JSON value, or until an empty line. A refused reply
    prints the parser's message and is asked for again."""

    def __init__(self, console: Console | None = None, read: Callable[[str], str] = input):
        self.console = console or Console(highlight=False)
        self._read = read

    def ask(self, request: HumanRequest, validate: Validate) -> str:
        self._show(request)
        while True:
            text = self._reply()
            error = validate(text)
            if error is None:
                return text
            request.attempt += 1
            request.error = error
            self.console.print(f"[red]refused:[/red] {escape(error)}", markup=True)
            self.console.print("answer again.")

    def _show(self, request: HumanRequest) -> None:
        c = self.console
        c.rule(f"request {request.id} to {request.model}")
        for m in request.messages:
            c.print(f"[bold]{m.role}[/bold]")
            for p in m.content:
                if p.type == "text":
                    c.print(p.text or "", markup=False)
                else:
                    c.print(f"[image {p.ref}: {p.path}]", markup=False)
        c.print(outline(request), markup=False)
        if request.error:  # a role refused the reply to the request this one asks again
            c.print(f"[red]refused:[/red] {escape(request.error)}", markup=True)
        c.print("type the reply (an empty line ends it):")

    def _reply(self) -> str:
        lines: list[str] = []
        while True:
            try:
                line = self._read("> " if not lines else "  ")
            except EOFError:
                if lines:
                    return "\n".join(lines)
                raise ModelError("human: input closed before the request was answered") from None
            if not line.strip():
                if lines:
                    return "\n".join(lines)
                continue
            lines.append(line)
            if _is_json("\n".join(lines)):
                return "\n".join(lines)

    def close(self) -> None:
        """Nothing to stop."""


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
