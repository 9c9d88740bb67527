"""agentloop envs as TRL's `environment_factory`: one class per env, one tool per skill.

```python
from trl import GRPOConfig, GRPOTrainer
from agentloop.integrations.trl import environment_factory

trainer = GRPOTrainer(model=..., train_dataset=dataset,  # columns: prompt, seed (and task)
                      environment_factory=environment_factory("agentloop/robot.pick-place"))
```

GRPOTrainer makes one instance per rollout and calls `reset(**row)`: the row's `seed` (else a
stable hash of the row, so the members of a group always share their start) and optional
`task` (an env id or task name of the same vocabulary) choose the episode; it returns the
goal and the text view (with the frame first, when frames are on). Each skill of the env is a
public method with the skill's typed arguments and one-line description, so the tool schema
TRL derives is the skill's. A call runs through the rule critic (a rejection is the answer,
with its reason and suggestion, and nothing runs), then the skill, then the validator, and
answers `[image, text]` (or the text alone with `frames=False`, for text-only models).
`get_reward()` ends the rollout and scores it (`RewardMode`); the rollout's step records are
on the instance (`steps`, `episode`) for reward functions that want the verdicts themselves.
With `servers=` (a running `agentloop serve`, or several) the envs run there instead of in the
trainer's process, with the same tools, answers and rewards (`agentloop.integrations.remote`).
"""

from __future__ import annotations

import weakref
from typing import Any

from agentloop import registry
from agentloop.integrations.remote import remote_factory
from agentloop.integrations.tool_env import FactoryOptions, SkillToolEnv, tool_class
from agentloop.integrations.tools import skillset_of


def environment_factory(env_id: str, servers: str | list[str] | None = None, **options: Any) -> type[SkillToolEnv]:
    """A class for `GRPOTrainer(environment_factory=...)` over `env_id`; `options` are
    `FactoryOptions`' fields (see the module's docstring). With `servers` (the URL of a running
    `agentloop serve`, or several), each rollout's env runs there instead of in this process:
    see `agentloop.integrations.remote`."""
    if servers is not None:
        return remote_factory(env_id, servers, **options)
    opts = FactoryOptions(**options)
    env_id = registry.resolve(env_id)
    config = opts.run_config(env_id, "trl")
    recorder = opts.recorder(config)
    skills = skillset_of(env_id, opts.env_kwargs)
    cls = tool_class(SkillToolEnv, env_id, skills, opts, config=config, recorder=recorder)
    if recorder is not None:  # the class outlives its instances: its recorder closes with it, at the latest at exit
        weakref.finalize(cls, recorder.close)
    return cls
