"""The prompt system: templates (jinja2 files beside this module), the code that fills them
for every role (`agentloop.prompts.messages`), the reply formats the runtime parses
(`agentloop.prompts.replies`), and the version that names them all.

The runtime's roles and the exports render with this same code, so a model trained on an
export is run with the prompts it was trained on. `prompt_version()` changes whenever a
template changes (it hashes them) or `PROMPT_SCHEMA` is bumped (for changes in the code that
fills them); every recorded model call and every exported row carries it.
"""

from __future__ import annotations

import hashlib
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any

import jinja2

# Bump when the code that fills the templates changes what a prompt says.
PROMPT_SCHEMA = "3"


class PlannerMode(str, Enum):
    """How the model planner asks for a step's action."""

    STAGED = "staged"  # plan, reflect, then act (ExploreVLM's two stages): up to three calls
    SINGLE = "single"  # one call a step for the next skill call: small trained models


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


@cache
def prompt_version() -> str:
    """`<schema>.<hash of every template>`: what rendered a prompt, recorded beside it."""
    digest = hashlib.sha256()
    names = sorted(f.name for f in resources.files(__package__).iterdir() if f.name.endswith(".j2"))
    for name in names:
        digest.update(name.encode() + b"\0" + _load(name).encode() + b"\0")
    return f"{PROMPT_SCHEMA}.{digest.hexdigest()[:8]}"


__all__ = ["PROMPT_SCHEMA", "PlannerMode", "prompt_version", "render"]
