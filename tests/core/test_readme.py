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
