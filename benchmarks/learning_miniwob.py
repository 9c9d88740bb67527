"""Record → train → run at benchmark scale on MiniWoB++, one small model for all its tasks.

One model for every task the scripted web planner solves, trained on its runs and run back as
users run it:

1. Record the scripted planner in the closed loop (default flags) on every claimed MiniWoB++
   and site task (`web_tasks.claimed_tasks()`), on training seeds.
2. Export single-call, text-only `sft` rows (the export streams: memory flat in the rows).
3. Train a BPE tokenizer on the rows and a small Llama-style model from a config (nothing is
   downloaded), its width and depth chosen by training candidates for the same time and asking
   them held-out prompts (`learning_sizes.py`); fine-tune it with TRL's SFT trainer; DAgger rounds: run the model on other
   training seeds, relabel its runs with the scripted planner (`--teacher scripted`), train on
   both. A step classifier (TRL's PRM trainer) learns from the scripted and DAgger runs.
4. Run the model with `agentloop run agentloop/<task> --model hf:PATH` on held-out seeds: the
   closed loop, the open loop (`--critic none --validator none`), with the learned critic
   (`--critic rule+prm:PATH --candidates N`); the scripted planner is the ceiling.
5. Write per-task success per arm, the means over the claimed tasks and over the WebGUM 56-task
   subset (`learning_miniwob_webgum.json`), sizes, times and the commit to `--results`.

    python benchmarks/learning_miniwob.py --quick     # the whole path, 2 tasks, a tiny model (minutes)
    python benchmarks/learning_miniwob.py --resume    # the benchmark; again with --resume after a stop
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import datasets
import learning_sizes
import torch
from improve import ROOT, agentloop_run, console, relabeled, rows
from rich.table import Table
from web_tasks import claimed_tasks

from agentloop.models import tiny
from agentloop.prompt_spec import PlannerMode
from agentloop.recording import RunDir

WEBGUM = json.loads((Path(__file__).with_name("learning_miniwob_webgum.json")).read_text())
TRAIN_SEED, DAGGER_SEED, HELD_OUT_SEED = 1000, 20000, 90000  # DAgger round r starts at DAGGER_SEED + 1000 r
QUICK_TASKS = ("miniwob.click-button", "miniwob.enter-text")
CHECKPOINT_EVERY = 50  # training steps: a stage stopped part way (the end of a session) resumes from there


@dataclass(frozen=True)
class Settings:
    """What one benchmark run does: tasks, episodes, model, training, evaluation. The defaults are
    sized for a 2-core CPU (15 to 20 hours idle, half of it the held-out runs; the stages resume): prompts are 1,742 tokens at
    the median and 3,185 at p90 (55 % of them the skill list), replies about 20."""

    episodes: int = 50  # scripted episodes per task: ~3.1 steps each, 16,500 rows over 107 tasks
    seeds: int = 10  # held-out seeds per task and arm
    hidden: int = 128  # 2.1 M parameters with 4 layers and an 8,000-token vocabulary; when neither this nor
    layers: int = 4  # `layers` is given, the `sizes` stage chooses both (`learning_sizes.py`)
    ctx: int = 0  # rows longer are left out of training; 0: none (the longest row); 3,072 would leave out 11 %: choose-date*, social-media*
    size_minutes: int = 12  # of training for each candidate size
    vocab: int = 8000
    steps: int = 2000
    batch: int = 8
    dagger_rounds: int = 1
    dagger_episodes: int = 5  # per task and round
    prm_steps: int = 300
    candidates: int = 3
    concurrency: int = 2
    workers: int = 1
    max_steps: int = 20  # of the model's episodes (DAgger, held-out; the scripted planner needs 15 at most); 0: the env's own


# The quick run's model learns nothing yet: a flailing model's episodes are cut at 5 steps (the
# scripted planner needs 1 and 2 on its tasks), so the path is walked in minutes.
QUICK = Settings(episodes=4, seeds=2, hidden=64, layers=2, ctx=0, vocab=2000, steps=16, batch=4,
                 dagger_rounds=1, dagger_episodes=2, prm_steps=8, candidates=2, max_steps=5)


class Stages:
    """The stages' outputs in `--out`: each stage writes its facts to `stages/<name>.json` when
    done, and with `--resume` a stage whose file is there is not run again."""

    def __init__(self, out: Path, resume: bool):
        self.dir, self.resume = out / "stages", resume
        self.dir.mkdir(parents=True, exist_ok=True)

    def run(self, name: str, stage: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        path = self.dir / f"{name}.json"
        if self.resume and path.exists():
            console.print(f"{name}: done before, kept ({path})")
            return dict(json.loads(path.read_text()))
        t = time.perf_counter()
        facts = {**stage(), "wall_s": round(time.perf_counter() - t, 1)}
        path.write_text(json.dumps(facts, indent=1))
        console.print(f"{name}: {json.dumps(facts)[:300]}", highlight=False)
        return facts


def cli_run(task: str, run: Path, episodes: int, seed: int, args: list[str], s: Settings) -> Path:
    """`agentloop run agentloop/<task>` as a user runs it, its error shown when it fails."""
    flags = ["--concurrency", str(s.concurrency), "--workers", str(s.workers), *args]
    try:
        return agentloop_run(f"agentloop/{task}", run, episodes, seed, flags)
    except subprocess.CalledProcessError as e:
        console.print(f"[red]{task}: agentloop run failed[/red]\n{(e.stderr or b'').decode()[-2000:]}")
        raise


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 2)


def record(tasks: list[str], out: Path, s: Settings) -> dict[str, Any]:
    """Stage 1: the scripted planner's runs on the training seeds, one run folder a task."""
    per_task = {}
    for task in tasks:
        t = time.perf_counter()
        run = cli_run(task, out / "record" / task, s.episodes, TRAIN_SEED, ["--planner", "scripted"], s)
        recs = [r for _, r in RunDir(run).episodes()]
        per_task[task] = {"episodes": len(recs), "success": sum(r.success for r in recs) / max(1, len(recs)),
                          "steps": sum(r.steps for r in recs), "wall_s": round(time.perf_counter() - t, 1)}
    return {"episodes": sum(p["episodes"] for p in per_task.values()), "steps": sum(p["steps"] for p in per_task.values()),
            "disk_mb": folder_mb(out / "record"), "per_task": per_task}


def sft_rows(out: Path, folder: str) -> datasets.Dataset:
    """The rows an export stage wrote under `out/<folder>`, as one dataset."""
    files = sorted(str(p) for p in (out / folder).glob("*/sft.parquet"))
    return datasets.load_dataset("parquet", split="train", data_files=files).shuffle(seed=0)


def export_stage(tasks: list[str], out: Path) -> dict[str, Any]:
    """Stage 2: single-call, text-only sft rows of every scripted run."""
    ds = rows([out / "record" / t for t in tasks], "sft", out)
    return {"rows": len(ds), "parquet_mb": folder_mb(out / "sft")}


def token_lengths(ds: datasets.Dataset, tok: Any) -> tuple[list[int], list[int]]:
    """Each row's prompt and full (prompt and reply) length in tokens, as the trainer sees it."""
    prompts, full = [], []
    for row in ds:
        msgs = row["messages"]
        prompts.append(len(tok.apply_chat_template(msgs[:-1], add_generation_prompt=True, tokenize=True, return_dict=False)))
        full.append(len(tok.apply_chat_template(msgs, tokenize=True, return_dict=False)))
    return prompts, full


def quantiles(xs: list[int]) -> dict[str, float]:
    xs = sorted(xs)
    return {"median": statistics.median(xs), "p90": xs[int(0.9 * (len(xs) - 1))], "max": xs[-1], "mean": round(statistics.mean(xs), 1)}


def fitting(ds: datasets.Dataset, tok: Any, ctx: int) -> datasets.Dataset:
    """The rows whose prompt and reply fit the model's context (the trainer would cut the reply)."""
    _, full = token_lengths(ds, tok)
    return ds.select([i for i, n in enumerate(full) if n <= ctx])


def tokenizer_stage(out: Path, s: Settings) -> dict[str, Any]:
    """Stage 3a: the tokenizer, trained on the rows; the rows' token lengths under it."""
    ds = sft_rows(out, "sft")
    tok = tiny.train_tokenizer(tiny.row_texts(ds), vocab_size=s.vocab)
    tok.save_pretrained(out / "models" / "tokenizer")
    prompts, full = token_lengths(ds, tok)
    ctx = s.ctx or max(full)
    return {"vocab": len(tok), "prompt_tokens": quantiles(prompts), "row_tokens": quantiles(full),
            "tokens": sum(full), "reply_tokens": sum(full) - sum(prompts),
            "rows_over_ctx": sum(n > ctx for n in full), "ctx": ctx}


def load_tokenizer(out: Path) -> Any:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(out / "models" / "tokenizer")


def sizes_stage(out: Path, s: Settings) -> dict[str, Any]:
    """Stage 3b: the model's width and depth, from candidates trained for the same time (`learning_sizes`)."""
    tok = load_tokenizer(out)
    facts = learning_sizes.measure(fitting(sft_rows(out, "sft"), tok, s.ctx), tok, out / "sizes", s.size_minutes, s.ctx)
    console.print(learning_sizes.table(facts))
    return facts


def sft_stage(out: Path, s: Settings) -> dict[str, Any]:
    """Stage 3c: behaviour cloning: the model from its config, trained on the scripted rows."""
    tok = load_tokenizer(out)
    ds = fitting(sft_rows(out, "sft"), tok, s.ctx)
    torch.manual_seed(0)
    model = tiny.causal_lm(tok, hidden=s.hidden, layers=s.layers, context=s.ctx)
    tiny.train_sft(model, tok, ds, out / "models" / "dagger-0", steps=s.steps, mode=PlannerMode.SINGLE, batch=s.batch,
                   checkpoint_every=CHECKPOINT_EVERY)
    return {"rows": len(ds), "steps": s.steps, "parameters": sum(p.numel() for p in model.parameters())}


def dagger_stage(tasks: list[str], out: Path, r: int, s: Settings) -> dict[str, Any]:
    """Stage 3d, round r: the last model's runs on fresh training seeds, relabelled by the
    scripted planner; the model trained further on the scripted rows and every round's."""
    from transformers import LlamaForCausalLM

    last = out / "models" / f"dagger-{r - 1}"
    t = time.perf_counter()
    runs = [cli_run(task, out / "record" / f"{task}-dagger-{r}", s.dagger_episodes, DAGGER_SEED + 1000 * r,
                    ["--model", f"hf:{last}", *limit(s)], s) for task in tasks]
    recorded = time.perf_counter() - t
    new = relabeled(rows(runs, "sft", out, teacher="scripted"), len(sft_rows(out, "sft")))
    new.to_parquet(str(out / "relabeled" / f"round-{r}.parquet"))
    parts = [sft_rows(out, "sft"), *(datasets.load_dataset("parquet", split="train", data_files=str(p))
                                     for p in sorted((out / "relabeled").glob("round-*.parquet")))]
    tok = load_tokenizer(out)
    ds = fitting(datasets.concatenate_datasets(parts).shuffle(seed=r), tok, s.ctx)
    model = LlamaForCausalLM.from_pretrained(last)
    t = time.perf_counter()
    steps = max(10, s.steps // 2)
    tiny.train_sft(model, tok, ds, out / "models" / f"dagger-{r}", steps=steps, mode=PlannerMode.SINGLE, batch=s.batch,
                   checkpoint_every=CHECKPOINT_EVERY)
    return {"episodes": sum(len(RunDir(run).finished_ids()) for run in runs), "relabeled_rows": len(new),
            "rows": len(ds), "steps": steps, "record_s": round(recorded, 1), "train_s": round(time.perf_counter() - t, 1)}


def prm_stage(tasks: list[str], out: Path, s: Settings) -> dict[str, Any]:
    """Stage 3e: the learned critic, a step classifier on the scripted and DAgger runs' prm rows."""
    runs = [out / "record" / name for t in tasks
            for name in (t, *(f"{t}-dagger-{r}" for r in range(1, s.dagger_rounds + 1)))]
    ds = rows(runs, "prm", out)
    tok = load_tokenizer(out)
    tiny.train_prm(tiny.step_classifier(tok, hidden=64, layers=2), tok, ds, out / "models" / "prm",
                   steps=s.prm_steps, batch=s.batch, lr=3e-3, checkpoint_every=CHECKPOINT_EVERY)
    return {"rows": len(ds), "wrong": sum(not r[0] for r in ds["labels"]), "steps": s.prm_steps}


def limit(s: Settings) -> list[str]:
    return ["--max-steps", str(s.max_steps)] if s.max_steps else []


def arms(model: Path, prm: Path, s: Settings) -> dict[str, list[str]]:
    """Each arm's `agentloop run` flags."""
    hf = ["--model", f"hf:{model}", *limit(s)]
    return {"scripted planner (ceiling)": ["--planner", "scripted"],
            "model, open loop": [*hf, "--critic", "none", "--validator", "none"],
            "model, closed loop": hf,
            f"model + learned critic, best of {s.candidates}": [*hf, "--critic", f"rule+prm:{prm}",
                                                               "--candidates", str(s.candidates)]}


def evaluate(tasks: list[str], out: Path, s: Settings) -> dict[str, Any]:
    """Stage 4: every arm on the held-out seeds of every task, as `agentloop run` runs it."""
    model = out / "models" / f"dagger-{s.dagger_rounds}"
    per_task: dict[str, dict[str, float]] = {}
    for i, (arm, flags) in enumerate(arms(model, out / "models" / "prm", s).items()):
        for task in tasks:
            t = time.perf_counter()
            run = cli_run(task, out / "eval" / f"arm-{i}" / task, s.seeds, HELD_OUT_SEED, flags, s)
            recs = [r for _, r in RunDir(run).episodes()]
            per_task.setdefault(task, {})[arm] = sum(r.success for r in recs) / max(1, len(recs))
            console.print(f"{task}: {arm}: {per_task[task][arm]:.0%} ({time.perf_counter() - t:.0f} s)", highlight=False)
    return {"held_out_seeds": [HELD_OUT_SEED, HELD_OUT_SEED + s.seeds - 1], "per_task": per_task}


def means(per_task: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
    """Each arm's mean success over the claimed tasks run, and over the WebGUM 56 (a task not
    claimed counts 0, as a failed task does in the papers' means)."""
    names = list(next(iter(per_task.values())))
    webgum = WEBGUM["tasks"]
    ran = [t for t in webgum if t in per_task]
    return {arm: {"claimed": statistics.mean(v[arm] for v in per_task.values()),
                  "webgum56": sum(per_task[t][arm] for t in ran) / len(webgum),
                  "webgum_ran": statistics.mean(per_task[t][arm] for t in ran) if ran else None}
            for arm in names}


def table(summary: dict[str, dict[str, Any]], tasks: int, webgum_ran: int) -> Table:
    """The arms' means beside the published rows (those are means over the WebGUM 56)."""
    t = Table(title="MiniWoB++ mean success")
    for col in ("", f"claimed tasks run ({tasks})", f"WebGUM 56 (ran {webgum_ran}, others 0)",
                f"WebGUM tasks run ({webgum_ran})"):
        t.add_column(col, justify="right" if col else "left")
    pct = lambda x: "-" if x is None else f"{x:.1%}"  # noqa: E731
    for arm, m in summary.items():
        t.add_row(arm, pct(m["claimed"]), pct(m["webgum56"]), pct(m["webgum_ran"]))
    for name, v in WEBGUM["published_mean_success"].items():
        t.add_row(f"{name} (published)", "-", pct(v), "-")
    return t


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()


def chosen(args: argparse.Namespace) -> list[str]:
    claimed = claimed_tasks()
    if args.quick and not args.tasks:
        return list(QUICK_TASKS)
    pats = args.tasks.split(",") if args.tasks else ["*"]
    return [t for t in claimed if any(fnmatch.fnmatchcase(t, p) for p in pats)]


def settings(args: argparse.Namespace) -> Settings:
    base = QUICK if args.quick else Settings()
    given = {k: v for k, v in vars(args).items() if k in Settings.__dataclass_fields__ and v is not None}
    return Settings(**{**asdict(base), **given})


def parse() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, help="default: recordings/learning-miniwob[-quick]")
    ap.add_argument("--results", type=Path, help="default: benchmarks/results/learning_miniwob[.quick].json")
    ap.add_argument("--tasks", default="", help="comma-separated task names or globs (default: all claimed)")
    ap.add_argument("--quick", action="store_true", help="2 tasks, few episodes, a tiny model: the path, not the numbers")
    ap.add_argument("--resume", action="store_true", help="keep the stages --out holds; run the rest")
    for name, field in Settings.__dataclass_fields__.items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=int, help=f"default {field.default} ({QUICK.__dict__[name]} with --quick)")
    return ap.parse_args()


def main() -> None:
    args = parse()
    s, tasks = settings(args), chosen(args)
    suffix = "-quick" if args.quick else ""
    out = args.out or ROOT / "recordings" / f"learning-miniwob{suffix}"
    results = args.results or ROOT / "benchmarks" / "results" / f"learning_miniwob{suffix.replace('-', '.')}.json"
    if out.exists() and not args.resume:
        if not (args.quick and args.out is None):  # the quick run's own folder is started afresh
            sys.exit(f"{out} holds an earlier run: --resume it, or name another --out")
        shutil.rmtree(out)
    torch.set_num_threads(os.cpu_count() or 1)  # training is most of the time; the runs it starts keep to one
    (out / "relabeled").mkdir(parents=True, exist_ok=True)
    stages = Stages(out, args.resume)
    console.print(f"{len(tasks)} tasks; {s}")
    facts = {"record": stages.run("record", lambda: record(tasks, out, s)),
             "export": stages.run("export", lambda: export_stage(tasks, out)),
             "tokenizer": stages.run("tokenizer", lambda: tokenizer_stage(out, s))}
    s = replace(s, ctx=facts["tokenizer"]["ctx"])
    if not args.quick and args.hidden is None and args.layers is None:
        facts["sizes"] = stages.run("sizes", lambda: sizes_stage(out, s))
        s = replace(s, hidden=facts["sizes"]["hidden"], layers=facts["sizes"]["layers"])
    facts["sft"] = stages.run("sft", lambda: sft_stage(out, s))
    for r in range(1, s.dagger_rounds + 1):
        facts[f"dagger-{r}"] = stages.run(f"dagger-{r}", partial(dagger_stage, tasks, out, r, s))
    facts["prm"] = stages.run("prm", lambda: prm_stage(tasks, out, s))
    ev = stages.run("eval", lambda: evaluate(tasks, out, s))
    summary = means(ev["per_task"])
    webgum_ran = sum(t in ev["per_task"] for t in WEBGUM["tasks"])
    report = {"mode": "quick" if args.quick else "full", "git_commit": git_commit(), "settings": asdict(s),
              "tasks": tasks, "webgum_not_run": [t for t in WEBGUM["tasks"] if t not in ev["per_task"]],
              "held_out_seeds": ev["held_out_seeds"], "mean_success": summary, "per_task": ev["per_task"],
              "stages": facts, "eval_wall_s": ev["wall_s"],
              "total_wall_s": round(sum(f["wall_s"] for f in facts.values()) + ev["wall_s"], 1),  # over every session
              "webgum_source": WEBGUM["source"]}
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(report, indent=1) + "\n")
    console.print(table(summary, len(tasks), webgum_ran))
    console.print(f"total {report['total_wall_s']:.0f} s; results in {results}; models in {out / 'models'}")


if __name__ == "__main__":
    main()
