"""Which prompts: the planner's mode, the version that names the templates, and what a model
fine-tuned on agentloop's exports was trained with, saved beside its weights.

The rendering lives in `agentloop.prompts`; these names sit below it, in the contract layer,
because model backends need them (a fine-tuned model says which prompts it learned) and the
prompts import the backends' message types.

`prompt_version()` changes whenever a template changes (it hashes the `.j2` files of
`agentloop/prompts/`) or `PROMPT_SCHEMA` is bumped (for changes in the code that fills them,
`agentloop.prompts.messages`); every recorded model call and every exported row carries it.

`agentloop_prompts.json` in a model folder names the prompt version, the planner mode and
whether frames were in the prompts. The runtime reads it, so `--model hf:PATH` runs the model
with the prompts it was trained on, and says so when the prompts have changed since.
"""

from __future__ import annotations

import hashlib
import warnings
from enum import Enum
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agentloop.errors import ConfigError

# Bump when the code that fills the templates (agentloop.prompts) or what it renders (skill
# descriptions, the scene text) changes what a prompt says.
PROMPT_SCHEMA = "7"
TRAINED_FILE = "agentloop_prompts.json"
# The templates are data files beside the code that renders them; the version reads them as
# files, so this module needs nothing from that package.
TEMPLATES = Path(__file__).parent / "prompts"


class PlannerMode(str, Enum):
    """How the model planner asks for a step's action."""

    STAGED = "staged"  # plan, reflect, then act (ExploreVLM's two stages): up to three calls
    SINGLE = "single"  # one call a step for the next skill call: small trained models


@cache
def prompt_version() -> str:
    """`<schema>.<hash of every template>`: what rendered a prompt, recorded beside it."""
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES.glob("*.j2"), key=lambda f: f.name):
        digest.update(path.name.encode() + b"\0" + path.read_text(encoding="utf-8").encode() + b"\0")
    return f"{PROMPT_SCHEMA}.{digest.hexdigest()[:8]}"


class TrainedFor(BaseModel):
    """The prompts a fine-tuned model learned: version, planner mode, frames or text only,
    and for a process reward model the separator after each scored step."""

    prompt_version: str
    mode: PlannerMode = PlannerMode.STAGED
    images: bool = True
    step_separator: str = "\n"  # TRL's PRMConfig.step_separator the model was trained with

    @classmethod
    def current(cls, mode: PlannerMode, images: bool, step_separator: str = "\n") -> TrainedFor:
        """The prompts this agentloop renders, in `mode`."""
        return cls(prompt_version=prompt_version(), mode=mode, images=images, step_separator=step_separator)

    def write(self, model_dir: Path | str) -> Path:
        """Save beside the weights in `model_dir`."""
        path = Path(model_dir) / TRAINED_FILE
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, model_dir: Path | str) -> TrainedFor | None:
        """What `model_dir` says it was trained with; None for a model that says nothing."""
        path = Path(model_dir) / TRAINED_FILE
        if not path.is_file():
            return None
        try:
            found = cls.model_validate_json(path.read_text(encoding="utf-8"))
        except ValidationError as e:
            raise ConfigError(f"{path}: not a prompt description: {e.errors()[0]['msg']}") from None
        if found.prompt_version != prompt_version():
            warnings.warn(f"{model_dir} was trained on prompts {found.prompt_version}; this agentloop renders "
                          f"{prompt_version()}: its prompts differ from those it learned", stacklevel=2)
        return found
