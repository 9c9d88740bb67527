"""GiGPO advantages over groups of rollouts of one task and seed.

Episode level: outcome minus the group mean, divided by the group's standard deviation.
Step level: steps of the group's episodes that saw the same perceived state (identical
`state_key`) form an anchor group; each step's discounted return is compared with that
anchor group's the same way. The advantage used for training is A_E + omega * A_S.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence

from agentloop.rewards.models import (
    EpisodeAdvantage,
    EpisodeRewards,
    GroupAdvantages,
    RewardConfig,
    StepAdvantage,
)


def relative(values: Sequence[float]) -> list[float]:
    """(x - mean) / std (population std); centred only when every value is equal."""
    if not values:
        return []
    mean = statistics.fmean(values)
    std = statistics.pstdev(values) if len(values) > 1 else 0.0
    return [(v - mean) / std if std > 0 else v - mean for v in values]


def gigpo(episodes: Sequence[EpisodeRewards], config: RewardConfig | None = None) -> GroupAdvantages:
    if not episodes:
        raise ValueError("a GiGPO group needs at least one episode")
    config = config or episodes[0].config
    ep_adv = relative([e.outcome for e in episodes])

    anchors: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for i, e in enumerate(episodes):
        for t, key in enumerate(e.state_key):
            if key is not None:
                anchors[key].append((i, t))
    step_adv: dict[tuple[int, int], float] = {}
    for members in anchors.values():
        for (i, t), a in zip(members, relative([episodes[i].returns[t] for i, t in members])):
            step_adv[(i, t)] = a

    out = []
    for i, e in enumerate(episodes):
        steps = []
        for t, key in enumerate(e.state_key):
            a_s = step_adv.get((i, t), 0.0)
            steps.append(StepAdvantage(
                index=t, state_key=key, ret=e.returns[t],
                anchor_size=len(anchors[key]) if key is not None else 1,
                step_advantage=a_s, advantage=ep_adv[i] + config.omega * a_s,
            ))
        out.append(EpisodeAdvantage(episode_id=e.episode_id, outcome=e.outcome,
                                    episode_advantage=ep_adv[i], steps=steps))
    return GroupAdvantages(task=episodes[0].task, seed=episodes[0].seed, config=config, episodes=out)
