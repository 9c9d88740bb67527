"""`agentloop report RUN_DIR`: one static HTML file; every text from pages and models is
escaped by Jinja's autoescape."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import jinja2

from agentloop.recording.episode import read_steps
from agentloop.recording.run import RunDir
from agentloop.records import StepRecord, Verdict
from agentloop.report.plot import reward_plot
from agentloop.rewards import episode_rewards


def _verdict(v: Verdict | None) -> str:
    if v is None:
        return "-"
    score = f" ({v.score:.2f})" if v.score is not None else ""
    return f"{'ok' if v.ok else 'FAIL'}{score}: {v.reason}" + (f" → {v.suggestion}" if v.suggestion else "")


def _plan(s: StepRecord) -> str:
    p = s.plan_reflected or s.plan
    return "; ".join(p.steps or p.subgoals) if p else "-"


def build_report(run_dir: Path | str, out: Path | str | None = None) -> Path:
    rd = RunDir(run_dir)
    manifest = rd.manifest()
    out = Path(out) if out is not None else rd.path / "report.html"
    tasks: dict[str, list] = defaultdict(list)
    episodes = []
    for folder, rec in rd.episodes():
        tasks[rec.task].append(rec)
        steps = read_steps(folder) if (folder / "steps.jsonl").exists() else []
        rw = episode_rewards(folder) if steps else None
        rel = os.path.relpath(folder.resolve(), out.resolve().parent)
        episodes.append({
            "id": rec.episode_id, "success": rec.success, "outcome": rec.outcome, "goal": rec.goal,
            "error": rec.error, "replans": rec.replans,
            "plot": reward_plot({"r_t": rw.step_reward, "return": rw.returns, "progress": rw.progress}) if rw else "",
            "steps": [{
                "index": s.index, "frame": f"{rel}/{s.frame}" if s.frame else None, "plan": _plan(s),
                "action": s.action_text or (str(s.action) if s.action else "-"), "action_error": s.action_error,
                "critic": _verdict(s.critic), "critic_ok": s.critic is None or s.critic.ok,
                "validator": _verdict(s.validator), "validator_ok": s.validator is None or s.validator.ok,
                "human": s.human_feedback, "env": s.rewards.env, "progress": s.progress,
                "reward": rw.step_reward[t] if rw else 0.0, "ret": rw.returns[t] if rw else 0.0,
            } for t, s in enumerate(steps)],
        })
    rows = [{"task": t, "episodes": len(r), "successes": sum(x.success for x in r),
             "rate": sum(x.success for x in r) / len(r), "mean_steps": sum(x.steps for x in r) / len(r)}
            for t, r in sorted(tasks.items())]
    env = jinja2.Environment(loader=jinja2.PackageLoader("agentloop.report", "templates"),
                             autoescape=True)
    html = env.get_template("report.html.j2").render(
        run_id=manifest.run_id, env_ids=manifest.env_ids, planner=manifest.config.planner,
        critic=manifest.config.critic, validator=manifest.config.validator, tasks=rows, episodes=episodes,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, "utf-8")
    return out
