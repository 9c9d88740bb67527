"""Record → export → train → run, end to end on a CPU: what agentloop records trains what it runs.

1. Record scripted runs in the closed loop, with failures injected (`--disturb` on the robot,
   slipping switches on the toy), on training seeds.
2. Export them as `sft` rows in single-call mode without frames (what the model planner would
   have been sent at each step, the scripted decision as the reply).
3. Build a small Llama-style model from a config, with a BPE tokenizer trained on the exported
   text (nothing is downloaded), and fine-tune it with TRL's SFT trainer. Run the untrained
   model in the closed loop on other training seeds: its refused and failed candidates, with
   the scripted runs' steps, are the `prm` rows a step classifier is trained on with TRL's PRM
   trainer.
4. DAgger: run the fine-tuned model on other training seeds, export its runs with the scripted
   planner as teacher (`--teacher scripted`: the prompt it was sent at each state it reached,
   the teacher's decision there), and train on the scripted rows and those together.
5. Run the model as `--model hf:PATH` runs it (the same factory, backend and loop), on seeds it
   never saw: untrained, trained open loop, trained closed loop, trained with the learned
   critic picking among candidates (`--critic rule+prm:PATH --candidates N`), and the scripted
   planner as the ceiling; with no failures injected and with failures at 0.3.

    python benchmarks/improve.py                  # the full run (about an hour per 1,000 steps on 2 cores)
    python benchmarks/improve.py --quick          # a smoke run of the whole path (minutes)

Decoding is constrained to the skills and the ids in view (the planner's grounded schemas), so
even the untrained model names only what is there: its score is what chance among valid
actions gives.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
os.environ.setdefault("MUJOCO_GL", "egl")

import datasets
import torch
from rich.console import Console
from rich.table import Table

from agentloop import registry
from agentloop.exports import PromptOptions, export
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.models import ModelPool, tiny
from agentloop.prompt_spec import PlannerMode, TrainedFor
from agentloop.records import CriticAgreement, EpisodeRecord, RunConfig
from agentloop.roles.factory import build_roles

ROOT = Path(__file__).resolve().parents[1]
console = Console(width=160)


@dataclass(frozen=True)
class Task:
    """A task of the benchmark and how failures are injected into it."""

    env_id: str
    failure: str  # the env argument that injects failures at a probability
    train_episodes: int
    steps: int  # SFT optimisation steps: the robot's ids take longer to learn to copy

    @property
    def name(self) -> str:
        return self.env_id.split("/")[-1]


@dataclass(frozen=True)
class Arm:
    """One way of running a model (or the scripted planner) on the held-out seeds."""

    name: str
    model: str | None  # "trained", "untrained" or None for the scripted planner
    critic: str = "rule"
    validator: str = "rule"
    candidates: int = 1


@dataclass
class Result:
    """What one arm reached on one task at one failure rate."""

    records: list[EpisodeRecord] = field(default_factory=list)

    @property
    def success(self) -> float:
        return sum(r.success for r in self.records) / len(self.records) if self.records else 0.0

    @property
    def critic_accuracy(self) -> float | None:
        return sum((r.critic_agreement for r in self.records), CriticAgreement()).precision

    @property
    def model_errors(self) -> int:
        return sum(r.model_errors for r in self.records)


TASKS = [Task("agentloop/toy.switches", "slip", 1500, 800), Task("agentloop/robot.pick-place", "disturb", 900, 1600)]
ARMS = [
    Arm("untrained model", "untrained"),
    Arm("trained, open loop", "trained", critic="none", validator="none"),
    Arm("trained, closed loop", "trained"),
    Arm("trained + learned critic, best of 3", "trained", critic="rule+prm", candidates=3),
    Arm("scripted planner (ceiling)", None),
]
TRAIN_SEED, EXPLORE_SEED, DAGGER_SEED, FAILURE_RATES = 1000, 5000, 7000, (0.0, 0.3)
BATCH = 16
VOCAB = 4000
EXPLORE_EPISODES = {"agentloop/toy.switches": 60, "agentloop/robot.pick-place": 30}
DAGGER_EPISODES = {"agentloop/toy.switches": 200, "agentloop/robot.pick-place": 60}
MAX_STEPS = 12  # per held-out episode: the scripted planner needs at most about half of it


def record(task: Task, out: Path, episodes: int, model: str | None = None, kind: str = "explore",
           seed: int = TRAIN_SEED) -> Path:
    """Runs in the closed loop on training seeds, failures injected at 0.3: the scripted
    planner's, or with `model` a model's (its run named `kind`, from `seed` on)."""
    run = out / "record" / (task.name if model is None else f"{task.name}-{kind}")
    args = ["--env-arg", f"{task.failure}=0.3", "--max-steps", str(MAX_STEPS)]
    return agentloop_run(task.env_id, run, episodes, seed, [*args, *(["--model", model] if model else [])])


def agentloop_run(env_id: str, run: Path, episodes: int, seed: int, args: list[str]) -> Path:
    """`agentloop run env_id -n episodes --seed seed --no-frames --out run *args`, as a user runs it;
    a run in `run` that holds `episodes` already is kept, one cut short is finished (`--resume`)."""
    have = len(list((run / "episodes").glob("*/episode.json"))) if (run / "run.json").exists() else 0
    if have >= episodes:
        return run
    cmd = [sys.executable, "-m", "agentloop", "run", env_id, "-n", str(episodes), "--out", str(run), "--no-frames"]
    if have:  # a run cut short, or asked for more episodes now: finish it
        cmd.append("--resume")
    subprocess.run([*cmd, *args, "--seed", str(seed)], check=True, capture_output=True, cwd=ROOT)
    return run


def rows(runs: list[Path], fmt: str, out: Path, teacher: str | None = None) -> datasets.Dataset:
    """The `fmt` export of every run, one dataset (single-call prompts, text only). With
    `teacher`, every step's prompt gets the teacher's decision there (DAgger's relabelling)."""
    options = PromptOptions(mode=PlannerMode.SINGLE, images=False, teacher=teacher)
    folder = fmt if teacher is None else f"{fmt}-relabeled"
    parts = [datasets.load_dataset("parquet", split="train",
                                   data_files=str(export(run, fmt, out / folder / run.name, options=options)))
             for run in runs]
    return datasets.concatenate_datasets(parts).shuffle(seed=0)


def relabeled(rows: datasets.Dataset, scripted: int) -> datasets.Dataset:
    """DAgger's rows, each state once and at most a third of the scripted rows. A weak model
    loops in its mistakes (a wrong lamp on, refused again and again), and every round of a loop
    is a row: measured with all of them, 97 % of the toy's relabelled rows said `switch_off`
    and drowned the task itself, and the model went from 10 % to 0 %."""
    first: dict[str, int] = {}  # the state's prompt -> its first row
    for i, r in enumerate(rows):
        first.setdefault(r["messages"][1]["content"], i)
    unique = rows.select(sorted(first.values())).shuffle(seed=1)
    return unique.select(range(min(len(unique), scripted // 3)))


def train(task: Task, run: Path, out: Path, steps: int, scale: float) -> dict[str, str]:
    """The task's untrained and trained planner models and its learned critic, saved under
    `out/models/<task>`. Each task gets its own model: trained together, the robot's rows
    (longer, with many more ids to copy) slowed the toy's learning to a third."""
    models = out / "models" / task.name
    specs = {"untrained": f"hf:{models / 'untrained'}", "trained": f"hf:{models / 'trained'}",
             "prm": f"prm:{models / 'prm'}"}
    if all((models / name / "model.safetensors").exists() for name in specs):  # a benchmark cut short, run again
        console.print(f"{task.name}: the models in {models} are reused; delete the folder to train them again")
        return specs
    sft = rows([run], "sft", out)
    tok = tiny.train_tokenizer(tiny.row_texts(sft), vocab_size=VOCAB)
    torch.manual_seed(0)
    untrained = models / "untrained"
    model = tiny.causal_lm(tok, hidden=96, layers=4)
    model.save_pretrained(untrained)
    tok.save_pretrained(untrained)
    TrainedFor.current(PlannerMode.SINGLE, images=False).write(untrained)
    explored = record(task, out, max(2, int(EXPLORE_EPISODES[task.env_id] * scale)), f"hf:{untrained}",
                      seed=EXPLORE_SEED)
    t = time.perf_counter()
    first = tiny.train_sft(model, tok, sft, models / "behaviour-cloned", steps=steps,
                           mode=PlannerMode.SINGLE, batch=BATCH)
    console.print(f"{task.name} SFT: {len(sft)} rows, {steps} steps, {sum(p.numel() for p in model.parameters()):,} "
                  f"parameters, {time.perf_counter() - t:.0f} s")
    # DAgger: the model's own runs reach states the scripted runs never do (a wrong lamp on, the
    # wrong object in hand); the scripted planner, as teacher, says what to do in each of them.
    t = time.perf_counter()
    dagger = record(task, out, max(2, int(DAGGER_EPISODES[task.env_id] * scale)), f"hf:{first}", "dagger",
                    DAGGER_SEED)
    aggregated = datasets.concatenate_datasets([sft, relabeled(rows([dagger], "sft", out, teacher="scripted"),
                                                               len(sft))])
    tiny.train_sft(model, tok, aggregated, models / "trained", steps=max(10, steps // 2),
                   mode=PlannerMode.SINGLE, batch=BATCH)
    console.print(f"{task.name} DAgger: {len(aggregated) - len(sft)} relabelled rows from the model's own runs, "
                  f"{max(10, steps // 2)} more steps, {time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    prm = rows([run, explored, dagger], "prm", out)
    tiny.train_prm(tiny.step_classifier(tok, hidden=64, layers=2), tok, prm, models / "prm",
                   steps=max(30, steps // 4), batch=16, lr=3e-3)
    console.print(f"{task.name} PRM: {len(prm)} rows ({sum(not r[0] for r in prm['labels'])} wrong), "
                  f"{time.perf_counter() - t:.0f} s")
    return specs


def evaluate(task: Task, arm: Arm, rate: float, seeds: range, models: dict[str, str], pool: ModelPool) -> Result:
    """Run `arm` on the held-out `seeds` of `task` as `agentloop run` would (same factory and loop)."""
    critic = f"rule+{models['prm']}" if arm.critic == "rule+prm" else arm.critic
    spec = models[arm.model] if arm.model else None
    config = RunConfig(env_id=task.env_id, planner="auto", critic=critic, validator=arm.validator, model=spec,
                       candidates=arm.candidates, env_kwargs={task.failure: rate})
    env = registry.make(task.env_id, **config.env_kwargs)
    model = pool.get(spec) if spec else None
    out = Result()
    try:
        for seed in seeds:
            roles = build_roles(config, env, model, pool)
            limits = LoopLimits(max_steps=MAX_STEPS, candidates=arm.candidates)
            out.records.append(run_episode(env, EpisodeSpec(task.env_id, seed=seed), roles, limits).record)
    finally:
        env.close()
    return out


def table(results: dict[tuple[str, float, str], Result], seeds: int) -> Table:
    """Success per task and failure rate (columns) for each arm (rows)."""
    t = Table(title=f"success on {seeds} held-out seeds per cell (critic accuracy: accepted actions the validator passed)")
    t.add_column("arm")
    cols = [(task.name, rate) for task in TASKS for rate in FAILURE_RATES]
    for name, rate in cols:
        t.add_column(f"{name}\nfailures {rate:.1f}", justify="right")
    for arm in ARMS:
        cells = []
        for name, rate in cols:
            r = results[(name, rate, arm.name)]
            extra = f"  (critic {r.critic_accuracy:.0%})" if arm.critic == "rule+prm" and r.critic_accuracy is not None else ""
            errors = f"  [{r.model_errors} model errors]" if r.model_errors else ""
            cells.append(f"{r.success:.0%}{extra}{errors}")
        t.add_row(arm.name, *cells)
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "recordings" / "improve")
    parser.add_argument("--steps", type=int, help="SFT optimisation steps per task (default: the task's own)")
    parser.add_argument("--seeds", type=int, default=20, help="held-out seeds per cell")
    parser.add_argument("--quick", action="store_true", help="a few episodes and steps: the path, not the numbers")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)  # training is most of the time; the runs it starts keep to one
    scale = 0.1 if args.quick else 1.0
    seeds = 3 if args.quick else args.seeds
    t0 = time.perf_counter()
    runs = {task.name: record(task, args.out, max(3, int(task.train_episodes * scale))) for task in TASKS}
    console.print(f"recorded {len(runs)} scripted runs in {time.perf_counter() - t0:.0f} s")
    results: dict[tuple[str, float, str], Result] = {}
    with ModelPool() as pool:
        for task in TASKS:  # a task's numbers come as soon as its models are trained
            models = train(task, runs[task.name], args.out, 30 if args.quick else args.steps or task.steps, scale)
            for rate in FAILURE_RATES:
                for arm in ARMS:
                    t = time.perf_counter()
                    r = evaluate(task, arm, rate, range(seeds), models, pool)
                    results[(task.name, rate, arm.name)] = r
                    console.print(f"{task.env_id} failures {rate}: {arm.name}: {r.success:.0%} "
                                  f"({time.perf_counter() - t:.0f} s)", highlight=False)
    console.print(table(results, seeds))
    console.print(f"total {time.perf_counter() - t0:.0f} s; models in {args.out / 'models'}")


if __name__ == "__main__":
    main()
