"""What a model fine-tuned on agentloop's exports was trained with, saved beside its weights.

`agentloop_prompts.json` in a model folder names the prompt version, the planner mode and
whether frames were in the prompts. The runtime reads it, so `--model hf:PATH` runs the model
with the prompts it was trained on, and says so when the prompts have changed since.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agentloop.errors import ConfigError
from agentloop.prompts import PlannerMode, prompt_version

TRAINED_FILE = "agentloop_prompts.json"


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
