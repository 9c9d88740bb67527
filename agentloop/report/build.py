"""`agentloop report RUN_DIR`: one static HTML file; every text from pages and models is
escaped by Jinja's autoescape."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import jinja2

from agentloop.recording import RunDir, read_steps
from agentloop.records import CriticAgreement, EpisodeRecord, StepRecord, Verdict, VerdictSource
from agentloop.report.plot import reward_plot
from agentloop.rewards import EpisodeRewards, episode_rewards

View = dict[str, object]  # what the template shows of a task, an episode or a step


def _verdict(v: Verdict | None) -> str:
    if v is None or v.source is VerdictSource.NONE:
        return "-"
    score = f" ({v.score:.2f})" if v.score is not None else ""
    suggestion = f" → {v.suggestion}" if v.suggestion else ""
    return f"{'ok' if v.ok else 'FAIL'}{score} [{v.source.value}]: {v.reason}{suggestion}"


def _plan(s: StepRecord) -> str:
    p = s.plan_reflected or s.plan
    return "; ".join(p.steps or p.subgoals) if p else "-"


def _step_view(s: StepRecord, t: int, rel: str, rw: EpisodeRewards | None) -> View:
    return {
        "index": s.index, "frame": f"{rel}/{s.frame}" if s.frame else None, "plan": _plan(s),
        "action": s.action_text or (str(s.action) if s.action else "-"), "action_error": s.action_error,
        "critic": _verdict(s.critic), "critic_ok": s.critic is None or s.critic.ok,
        "validator": _verdict(s.validator), "validator_ok": s.validator is None or s.validator.ok,
        "human": s.human_feedback, "env": s.rewards.env, "progress": s.progress,
        "reward": rw.step_reward[t] if rw else 0.0, "ret": rw.returns[t] if rw else 0.0,
    }


def _episode_view(folder: Path, rec: EpisodeRecord, out: Path) -> View:
    steps = read_steps(folder) if (folder / "steps.jsonl").exists() else []
    rw = episode_rewards(folder) if steps else None
    rel = os.path.relpath(folder.resolve(), out.resolve().parent)
    return {
        "id": rec.episode_id, "success": rec.success, "outcome": rec.outcome.value, "goal": rec.goal,
        "error": rec.error, "replans": rec.replans,
        "plot": reward_plot({"r_t": rw.step_reward, "return": rw.returns, "progress": rw.progress}) if rw else "",
        "steps": [_step_view(s, t, rel, rw) for t, s in enumerate(steps)],
    }


def _task_view(task: str, recs: list[EpisodeRecord]) -> View:
    agreement = sum((r.critic_agreement for r in recs), CriticAgreement())
    n, wins = len(recs), sum(r.success for r in recs)
    return {"task": task, "episodes": n, "successes": wins, "rate": wins / n,
            "mean_steps": sum(r.steps for r in recs) / n, "critic_precision": agreement.precision,
            "critic_rejections": agreement.rejected}


def build_report(run_dir: Path | str, out: Path | str | None = None) -> Path:
    """Write the report of the run at `run_dir` (default: RUN_DIR/report.html); returns its path."""
    rd = RunDir(run_dir)
    manifest = rd.manifest()
    out = Path(out) if out is not None else rd.path / "report.html"
    tasks: dict[str, list[EpisodeRecord]] = defaultdict(list)
    episodes = []
    for folder, rec in rd.episodes():
        tasks[rec.task].append(rec)
        episodes.append(_episode_view(folder, rec, out))
    env = jinja2.Environment(loader=jinja2.PackageLoader("agentloop.report", "templates"), autoescape=True)
    html = env.get_template("report.html.j2").render(
        run_id=manifest.run_id, env_ids=manifest.env_ids, planner=manifest.config.planner,
        critic=manifest.config.critic, validator=manifest.config.validator,
        tasks=[_task_view(t, r) for t, r in sorted(tasks.items())], episodes=episodes,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, "utf-8")
    return out
