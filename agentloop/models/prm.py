"""A process reward model as a backend: a token-classification checkpoint trained with TRL's
stepwise-supervision trainer on agentloop's `prm` export, scoring the last assistant turn.

`complete(messages)` reads every turn but the last as the prompt and the last as the step to
score, tokenises them exactly as TRL's `PRMTrainer.tokenize_row` does (the prompt, then the
step and the step separator, a BOS first where the tokenizer has one) and answers
`{"score": p}`, p the probability of the "right" label at the separator. The threads of a
process share one loaded model; a lock serialises its forward passes.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from typing_extensions import Unpack

from agentloop.errors import ConfigError, ModelError
from agentloop.models.base import parse_into
from agentloop.models.types import Completion, Message, Sampling, Usage
from agentloop.prompt_spec import TrainedFor

if TYPE_CHECKING:
    import torch

DEFAULT_SEPARATOR = "\n"  # TRL's PRMConfig.step_separator default


class StepScore(BaseModel):
    """A process reward model's judgement of one step: the probability it is right."""

    score: float = Field(ge=0.0, le=1.0)


class StepScorer:
    """`StepScorer(path)`: the PRM at `path` (a folder written by `save_pretrained`)."""

    accepts_images = False

    def __init__(self, path: str, device: str = "cpu"):
        if not path:
            raise ConfigError("prm model spec needs a local path, e.g. prm:runs/prm-model")
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        self.name, self.path, self.device = f"prm:{path}", path, device
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModelForTokenClassification.from_pretrained(path).to(device).eval()
        except (OSError, ValueError) as e:
            raise ModelError(f"{self.name}: cannot load model: {type(e).__name__}: {str(e)[:300]}") from e
        if int(getattr(self.model.config, "num_labels", 0)) != 2:
            raise ConfigError(f"{self.name}: a process reward model has two labels (wrong, right)")
        trained = TrainedFor.read(path) if Path(path).is_dir() else None
        self.separator = trained.step_separator if trained is not None else DEFAULT_SEPARATOR
        self._lock = threading.Lock()

    def check(self) -> None:
        """Loaded in the constructor, so reachable by now."""

    def tokenize(self, prompt: str, step: str) -> tuple[list[int], list[int]]:
        """(prompt ids, step ids ending in the separator), as TRL's PRM trainer makes them."""
        tok = self.tokenizer
        prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        if tok.bos_token_id is not None:
            prompt_ids = [tok.bos_token_id, *prompt_ids]
        step_ids = tok(step, add_special_tokens=False)["input_ids"] + tok.encode(self.separator, add_special_tokens=False)
        return list(prompt_ids), list(step_ids)

    def score(self, prompt: str, step: str) -> tuple[float, list[int], list[int]]:
        """P(right) of `step` after `prompt`, with the token ids it was read from."""
        import torch

        prompt_ids, step_ids = self.tokenize(prompt, step)
        ids = torch.tensor([prompt_ids + step_ids], device=self.device)
        with self._lock, torch.inference_mode():
            logits: torch.Tensor = self.model(input_ids=ids).logits[0, -1].float()
        return float(torch.softmax(logits, dim=-1)[1]), prompt_ids, step_ids

    def complete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                 **sampling: Unpack[Sampling]) -> Completion:
        if len(messages) < 2:
            raise ModelError(f"{self.name}: needs the prompt's turns and the step to score as the last turn")
        t = time.perf_counter()
        try:
            p, prompt_ids, step_ids = self.score("\n\n".join(m.text() for m in messages[:-1]), messages[-1].text())
        except (RuntimeError, ValueError, IndexError) as e:
            raise ModelError(f"{self.name}: scoring failed: {type(e).__name__}: {str(e)[:300]}") from e
        c = Completion(text=json.dumps({"score": round(p, 6)}), model=self.name, latency_s=time.perf_counter() - t,
                       usage=Usage(prompt_tokens=len(prompt_ids), completion_tokens=len(step_ids)),
                       prompt_token_ids=prompt_ids, completion_token_ids=step_ids, model_id=self.path)
        return parse_into(c, schema)

    async def acomplete(self, messages: list[Message], schema: type[BaseModel] | None = None,
                        **sampling: Unpack[Sampling]) -> Completion:
        return await asyncio.to_thread(self.complete, messages, schema, **sampling)

