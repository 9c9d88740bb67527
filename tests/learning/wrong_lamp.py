"""A model double for the relabel tests: it always switches on a lamp the goal does not name
(a mistake a model trained on scripted runs never saw), so the teacher has something to undo."""

import json
import re

from agentloop.models.types import Message


def reply(messages: list[Message], schema, sampling) -> str:
    named = set(re.findall(r"lamp_\d", re.search(r"switch on [^\n]*", "\n".join(m.text() for m in messages))[0]))
    wrong = next(f"lamp_{i}" for i in range(10) if f"lamp_{i}" not in named)
    return json.dumps({"skill": "switch_on", "args": {"lamp": wrong}})
