"""The skill vocabularies, one module per embodiment: `robot`, `web`, `android`.

Installed as `agentloop.skills`. Each module holds skill classes (typed arguments, a one-line
description, preconditions, expected effects) and a `SKILLS` set; they depend only on the
core's skill machinery (`agentloop.skillset`, `agentloop.effects`, `agentloop.scene`). The
envs that execute them bind an executor to every skill through one `Executors` table.
"""
