"""The learning benchmark's model size, chosen from measurements: the `sizes` stage of
`learning_miniwob.py` (run before its training when `--hidden` and `--layers` are not given), or
alone on a benchmark folder whose export and tokenizer stages are done.

Each candidate (width, layers) is made from its config and trained for the same wall time on the
scripted rows, every tenth training seed's episodes held out; then it answers the held-out
prompts greedily, and a reply is right when it names the scripted planner's skill with the same
arguments. A wider or deeper model learns more per step and makes fewer steps in the time; the
one with the most replies right is the one the benchmark trains. (Greedy and unconstrained: the
runtime also constrains decoding to the skills and ids in view, so these are lower bounds.)

    python benchmarks/learning_sizes.py --out recordings/learning-miniwob [--minutes 12]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import datasets
import torch
from improve import ROOT, console
from rich.table import Table
from transformers import TrainerCallback

from agentloop.models import tiny
from agentloop.prompt_spec import PlannerMode

CANDIDATES = ((128, 4), (192, 4), (256, 4))  # 2.1 M, 3.9 M and 6.2 M parameters with 8,000 tokens
HELD_OUT_EVERY = 10  # episodes whose seed is 9 mod 10 are held out
ASKED = 300  # held-out prompts answered per candidate (a fixed sample, the same for each)


class TimeLimit(TrainerCallback):
    """Stops training once `seconds` have passed since its first step began."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.start, self.steps = seconds, 0.0, 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.start = time.monotonic()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.steps = state.global_step
        if time.monotonic() - self.start >= self.seconds:
            control.should_training_stop = True


def seed_of(episode_id: str) -> int:
    m = re.search(r"__s(\d+)__", episode_id)
    return int(m.group(1)) if m else 0


def split(rows: datasets.Dataset) -> tuple[datasets.Dataset, datasets.Dataset]:
    """(training rows, held-out rows), by the seed of the episode each row comes from."""
    held = [seed_of(e) % HELD_OUT_EVERY == HELD_OUT_EVERY - 1 for e in rows["episode_id"]]
    return (rows.select([i for i, h in enumerate(held) if not h]), rows.select([i for i, h in enumerate(held) if h]))


def _text(message: dict[str, Any]) -> str:
    content = message["content"]
    return content if isinstance(content, str) else "".join(p.get("text") or "" for p in content)


def _call(text: str) -> Any:
    """The reply's skill and arguments, or None where it is not a JSON call."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return (data.get("skill"), data.get("args")) if isinstance(data, dict) else None


@torch.no_grad()
def replies_right(model: Any, tok: Any, rows: datasets.Dataset) -> float:
    """The share of `rows` whose greedy reply is the row's call."""
    model.eval()
    right = 0
    for row in rows:
        prompt = tok.apply_chat_template(row["messages"][:-1], add_generation_prompt=True, tokenize=True,
                                         return_dict=False)
        ids = torch.tensor([prompt])
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=64, do_sample=False)
        reply = tok.decode(out[0, ids.shape[1]:], skip_special_tokens=True)
        want = _call(_text(row["messages"][-1]))
        right += want is not None and _call(reply) == want
    return right / max(1, len(rows))


def measure(rows: datasets.Dataset, tok: Any, out: Path, minutes: float, context: int) -> dict[str, Any]:
    """Each candidate trained for `minutes` and asked the held-out prompts; the best one."""
    train, held = split(rows)
    asked = held.shuffle(seed=0).select(range(min(ASKED, len(held))))
    per: dict[str, dict[str, Any]] = {}
    for hidden, layers in CANDIDATES:
        name = f"{hidden}x{layers}"
        facts = out / f"{name}.json"
        if facts.exists():  # measured before this stage was stopped
            per[name] = json.loads(facts.read_text())
            continue
        torch.manual_seed(0)
        model = tiny.causal_lm(tok, hidden=hidden, layers=layers, context=context)
        limit = TimeLimit(minutes * 60)
        tiny.train_sft(model, tok, train, out / name, steps=100_000, mode=PlannerMode.SINGLE, callbacks=[limit])
        t = time.perf_counter()
        per[name] = {"hidden": hidden, "layers": layers, "parameters": sum(p.numel() for p in model.parameters()),
                     "steps": limit.steps, "s_per_step": round(minutes * 60 / max(1, limit.steps), 2),
                     "replies_right": round(replies_right(model, tok, asked), 3),
                     "ask_s": round(time.perf_counter() - t, 1)}
        facts.write_text(json.dumps(per[name]))
        console.print(f"{name}: {per[name]}", highlight=False)
    best = max(per.values(), key=lambda p: (p["replies_right"], -p["parameters"]))
    return {"hidden": best["hidden"], "layers": best["layers"], "minutes_each": minutes, "rows": len(train),
            "held_out_rows": len(held), "asked": len(asked), "candidates": per}


def table(facts: dict[str, Any]) -> Table:
    t = Table(title=f"Model sizes, {facts['minutes_each']} min of training each, {facts['asked']} held-out prompts")
    for col in ("width x layers", "parameters", "steps", "s / step", "replies right"):
        t.add_column(col, justify="right")
    for name, p in facts["candidates"].items():
        t.add_row(name, f"{p['parameters'] / 1e6:.1f} M", str(p["steps"]), str(p["s_per_step"]), f"{p['replies_right']:.1%}")
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "recordings" / "learning-miniwob")
    ap.add_argument("--minutes", type=float, default=12.0)
    ap.add_argument("--context", type=int, default=6144)
    a = ap.parse_args()
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(a.out / "models" / "tokenizer")
    files = sorted(str(p) for p in (a.out / "sft").glob("*/sft.parquet"))
    rows = datasets.load_dataset("parquet", split="train", data_files=files)
    facts = measure(rows, tok, a.out / "sizes", a.minutes, a.context)
    console.print(table(facts))


if __name__ == "__main__":
    main()
