"""The prompt system: templates (jinja2 files beside this module), the code that fills them
for every role (`agentloop.prompts.messages`), the JSON shapes the model-based roles ask for
(`agentloop.prompts.schemas`) and the reply formats the runtime parses
(`agentloop.prompts.replies`).

The runtime's roles and the exports render with this same code, so a model trained on an
export is run with the prompts it was trained on. The version that names the templates, the
planner's modes and what a fine-tuned model learned are in `agentloop.prompt_spec`, below the
model backends that read them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import jinja2


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )


def _load(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def render(name: str, **values: Any) -> str:
    """Render `name` (e.g. "plan.j2"); a missing variable is an error, not an empty string."""
    return _env().get_template(name).render(**values).strip()


__all__ = ["render"]
