"""Seconds per SFT step on web rows: batches drawn at random against batches of rows of like
length (`group_by_length`, what `agentloop.models.tiny.train_sft` uses).

A batch is padded to its longest row. Web prompts run from about 1,300 tokens (a button) to
5,000 (a date picker), so a random batch of 8 pads most rows by hundreds of tokens, and
attention's cost grows with the square of the padded length. The rows are a small scripted
run's single-call export over tasks with short and long prompts, the model the learning
benchmark's default size; each strategy trains the same model from the same seed.

    python benchmarks/sft_batching.py                 # 40 steps each
    python benchmarks/sft_batching.py --steps 100 --batch 8
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from improve import agentloop_run, console, rows
from rich.table import Table

from agentloop.models import tiny
from agentloop.prompt_spec import PlannerMode

TASKS = ("miniwob.click-button", "miniwob.enter-text", "miniwob.click-checkboxes", "miniwob.login-user",
         "miniwob.social-media", "miniwob.choose-date", "miniwob.book-flight", "miniwob.email-inbox")


def padded(lengths: list[int], batch: int) -> int:
    """Tokens a pass over `lengths` in batches of `batch`, in this order, computes (padding included)."""
    return sum(max(lengths[i:i + batch]) * len(lengths[i:i + batch]) for i in range(0, len(lengths), batch))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--episodes", type=int, default=4, help="scripted episodes per task")
    a = ap.parse_args()
    out = Path(tempfile.mkdtemp(prefix="sft-batching-"))
    runs = [agentloop_run(f"agentloop/{t}", out / "runs" / t, a.episodes, 3000, ["--planner", "scripted"]) for t in TASKS]
    ds = rows(runs, "sft", out)
    tok = tiny.train_tokenizer(tiny.row_texts(ds), vocab_size=4000)
    lengths = [len(tok.apply_chat_template(r["messages"], tokenize=True, return_dict=False)) for r in ds]
    by_length = sorted(lengths)
    table = Table(title=f"SFT on {len(ds)} web rows ({min(lengths)}-{max(lengths)} tokens), batch {a.batch}")
    for col in ("batches", "s / step", "tokens computed per real token"):
        table.add_column(col)
    times = {}
    for name, grouped in (("random", False), ("rows of like length", True)):
        torch.manual_seed(0)
        model = tiny.causal_lm(tok, hidden=128, layers=4)
        t = time.perf_counter()
        tiny.train_sft(model, tok, ds, out / name.replace(" ", "-"), steps=a.steps, mode=PlannerMode.SINGLE,
                       batch=a.batch, grouped=grouped)
        times[name] = (time.perf_counter() - t) / a.steps
        # The padding a pass computes: rows in their shuffled order, or sorted (a group's order).
        waste = padded(lengths if not grouped else by_length, a.batch) / sum(lengths)
        table.add_row(name, f"{times[name]:.2f}", f"{waste:.2f}")
    console.print(table)
    console.print(f"grouped batches: {times['random'] / times['rows of like length']:.2f}x the steps per second")


if __name__ == "__main__":
    main()
