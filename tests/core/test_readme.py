"""The README's plug-in example is real code: extract it, import it, register it, run it."""

import re
import sys
from pathlib import Path

from agentloop import registry
from agentloop.loop import EpisodeSpec, LoopLimits, run_episode
from agentloop.roles import EffectValidator, FunctionPlanner, PreconditionCritic, Roles

README = Path(__file__).parents[2] / "README.md"


def test_plugin_example_runs(tmp_path, monkeypatch):
    text = README.read_text()
    code = re.search(r"```python\n(# my_envs/counter.py\n.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()[1:]) < 30  # the first line only names the file
    pkg = tmp_path / "my_envs"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "counter.py").write_text(code)
    monkeypatch.syspath_prepend(str(tmp_path))
    from my_envs.counter import register_envs

    register_envs()
    env = registry.make("agentloop/counter.to-three")
    roles = Roles(FunctionPlanner(lambda ctx: "add()"), PreconditionCritic(), EffectValidator())
    result = run_episode(env, EpisodeSpec("agentloop/counter.to-three", 0), roles, LoopLimits(max_steps=10))
    assert result.record.success and result.record.steps == 3 and result.record.validator_failures == 0
    sys.modules.pop("my_envs.counter", None)
    sys.modules.pop("my_envs", None)


FAMILIES = ("toy", "robot", "miniwob", "site", "android")
VALUE = "<value>"  # stands for what a prompt fills in after a heading
OPTIONAL = ("GOAL AS FACTS", "NO LONGER IN VIEW")  # shown only where the env or the episode has them


def _template_headings(template: str = "single.j2", **extra: object) -> dict[str, re.Pattern[str]]:
    """The prompt's heading lines, in order, as `template` renders them with every block shown,
    each with a pattern in which the filled-in parts (values, numbers) may vary."""
    from types import SimpleNamespace

    from agentloop.prompts import render
    from agentloop.prompts.episode import HistoryView

    skill = SimpleNamespace(signature=lambda: "s()", irreversible=False, description="d")
    text = render(template, goal=VALUE, goal_facts=[VALUE], skills=[skill], step=7, max_steps=9, scene_text=VALUE,
                  memory=[VALUE], history=HistoryView([VALUE], 1, ""), feedback=[VALUE], **extra)
    lines = [line for line in text.splitlines() if line and line != VALUE and not line.startswith("- ")]
    return {line: re.compile(r"\d+".join(re.escape(part) for part in re.split(r"\d+", line))
                             .replace(re.escape(VALUE), ".+")) for line in lines}


def _section() -> str:
    text = README.read_text()
    return text[text.index("## What a model sees\n"):text.index("## Train on your runs\n")]


def _examples() -> dict[str, tuple[str, str]]:
    """family -> (its summary line, its prompt) of the README's "What a model sees" examples."""
    section = _section()
    found = re.findall(r"<details><summary>(\w+): ([^<]+)</summary>\n\n```text\n(.*?)\n```", section, re.S)
    return {family: (summary, prompt) for family, summary, prompt in found}


def test_prompt_examples_match_the_templates():
    """Each family's example prompt has the headings the templates render now, in their order,
    and no heading they no longer render; its system turn is the one its family gets."""
    from agentloop.prompts import render
    from agentloop.prompts.messages import embodiment

    headings = _template_headings()
    assert len(headings) == 9, list(headings)  # every block rendered: goal, facts, skills, ... the reply line
    examples = _examples()
    assert sorted(examples) == sorted(FAMILIES)
    for family, (summary, prompt) in examples.items():
        lines = prompt.splitlines()
        assert len(lines) <= 60, family
        assert lines[0] == render("system_single.j2", embodiment=embodiment(f"agentloop/{family}.task")), family
        shown = {h: p for h, p in headings.items() if any(p.fullmatch(line) for line in lines)}
        missing = [h for h in headings if h not in shown and not h.startswith(OPTIONAL)]
        assert not missing, f"{family}: the README's example lacks {missing}"
        at = [next(i for i, line in enumerate(lines) if p.fullmatch(line)) for p in shown.values()]
        assert at == sorted(at), f"{family}: headings out of the templates' order"
        stale = [line for line in lines if re.match(r"[A-Z]{2,}[A-Z ]*\b", line)
                 and not any(p.fullmatch(line) for p in headings.values())]
        assert not stale, f"{family}: headings the templates no longer render: {stale}"
        step = re.search(r"step (\d+)$", summary).group(1)
        assert f"STEP {step} of " in prompt, f"{family}: the summary names another step"


def test_staged_plan_example_matches_the_template():
    """The staged action call's plan block, as the README shows it, is what action.j2 renders."""
    from types import SimpleNamespace

    single = _template_headings()
    staged = _template_headings("action.j2", plan=SimpleNamespace(phase="complete"), plan_steps=[(VALUE, True)],
                                planned_at=1)
    plan_lines = {h: p for h, p in staged.items() if h not in single}
    assert len(plan_lines) == 3 and next(iter(plan_lines)).startswith("CURRENT PLAN ("), list(plan_lines)
    example = re.search(r"```text\n(CURRENT PLAN.*?)\n```", _section(), re.S).group(1).splitlines()
    for heading, pattern in plan_lines.items():
        assert any(pattern.fullmatch(line) for line in example), f"the README's plan block lacks {heading!r}"
    assert re.fullmatch(r"- \[x\] .+", example[1]) and re.fullmatch(r"- \[ \] .+", example[2])
