"""Everything that goes to disk or crosses a process boundary, as pydantic models.

A run folder holds `run.json` (a `RunManifest`), and per episode `steps.jsonl` (one
`StepRecord` a line), frames as image files, and `episode.json` (an `EpisodeRecord`).
`SCHEMA_VERSION` changes whenever a reader would have to.
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentloop.calls import SkillCall
from agentloop.errors import ErrorKind
from agentloop.skillset import FinishStatus

SCHEMA_VERSION = "2.0"


class Outcome(str, Enum):
    """How an episode ended."""

    SUCCESS = "success"  # the task's own check passed
    FAILURE = "failure"  # the env terminated without success, or the loop gave up replanning
    TRUNCATED = "truncated"  # the step limit came first
    ERROR = "error"  # the env or the planner raised; the episode is not evidence of skill


class VerdictSource(str, Enum):
    """Who gave a verdict."""

    RULE = "rule"  # skill preconditions or expected effects on the scene graph
    PIXEL = "pixel"  # frame difference, for envs without a scene graph
    VLM = "vlm"  # a model judged it
    HUMAN = "human"
    NONE = "none"  # no judge: the open loop (the verdict is a formality, never counted)
    ERROR = "error"  # the judge itself failed; the verdict passes the step through


class FeedbackSource(str, Enum):
    """What a piece of feedback to the planner came from."""

    CRITIC = "critic"
    VALIDATOR = "validator"
    ACTION_ERROR = "action_error"
    HUMAN = "human"
    MODEL_ERROR = "model_error"


def now() -> datetime:
    return datetime.now(timezone.utc)


class Verdict(BaseModel):
    """A critic's judgement before acting (accept/score/suggestion) or a validator's after
    acting (ok/reason). `source` names who gave it."""

    ok: bool
    score: float | None = Field(default=None, description="confidence in [0, 1] when given")
    reason: str = ""
    suggestion: str | None = None
    source: VerdictSource = VerdictSource.RULE
    predicted_outcome: str | None = Field(default=None, description="what the critic expects")
    overruled: str | None = Field(
        default=None, description="the judge's own failure reason, when the env's account (success or "
        "more progress) overruled it: the step passed")

    @property
    def judged(self) -> bool:
        """False for the open loop's formal verdicts and for judges that failed."""
        return self.source not in (VerdictSource.NONE, VerdictSource.ERROR)


# The stage a plan is at (ExploreVLM's word for it is its `phase`, the key models write):
# exploring to find what the goal needs, completing it, or done.
PlanStage = Literal["explore", "complete", "done"]


class Plan(BaseModel):
    """A plan: subgoals, the next skill calls, and its stage (explore, complete or done)."""

    subgoals: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list, description="upcoming skill calls as text")
    phase: PlanStage = "complete"
    rationale: str = ""
    reflection: str | None = Field(default=None, description="stage-two notes, if reflected")


class Feedback(BaseModel):
    """What reaches the planner between steps: a critic rejection, a validator failure,
    an action error or a human correction."""

    source: FeedbackSource
    message: str
    suggestion: str | None = None
    step: int = 0


class Claim(BaseModel):
    """A planner's own account of how its episode ended, kept beside the env's verdict
    (`EpisodeRecord.success`): the env decides the outcome, never the claim."""

    status: FinishStatus
    answer: str = ""
    step: int = Field(description="the step that ended the episode")


class CallRole(str, Enum):
    """Which call of which role a model call was: the planner's stages, the judges, a
    process reward model. Exports pick their rows by it."""

    PLAN = "plan"  # the planner's stage one: a plan and the call it starts with
    REFLECT = "reflect"  # stage two: the plan checked against the scene and committed
    ACTION = "action"  # the planner's next call (the only call in single-call mode)
    CRITIC = "critic"
    VALIDATOR = "validator"
    PRM = "prm"  # a process reward model scoring a candidate action

    @classmethod
    def _missing_(cls, value: object) -> CallRole | None:
        # Records and exports written before the values matched the names still read.
        return {"planner": cls.PLAN, "planner.action": cls.ACTION}.get(value) if isinstance(value, str) else None


class ModelCallRecord(BaseModel):
    """One model request as sent and as answered, token-exact where the backend says how:
    RL trainers train on the exact token ids, since re-tokenising text changes them at
    chat-template boundaries."""

    role: CallRole
    model: str = Field(description="the backend spec, e.g. hf:PATH or openai:NAME")
    prompt: list[dict[str, Any]] = Field(default_factory=list, description="messages; images as file refs")
    raw: str = ""
    parsed: Any = None
    error: str | None = None
    latency_s: float = 0.0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    logprob_sum: float | None = None
    mean_entropy: float | None = None
    token_logprobs: list[float] | None = Field(default=None, description="one per completion token")
    prompt_token_ids: list[int] | None = Field(default=None, description="the prompt as the model saw it")
    completion_token_ids: list[int] | None = None
    sampling: dict[str, Any] = Field(default_factory=dict, description="temperature, max_tokens, seed, ... as sent")
    model_id: str | None = Field(default=None, description="the model as the backend names it")
    model_revision: str | None = Field(default=None, description="hub commit, weights hash or server fingerprint")
    prompt_version: str | None = Field(default=None, description="agentloop.prompt_spec.prompt_version() that rendered it")
    candidate: int | None = Field(default=None, description="index in StepRecord.candidates it proposed or judged")
    attempt: int = Field(default=0, description="0 for the first try, n for the n-th retry after an unusable reply")


class Candidate(BaseModel):
    """One proposed action at a step, whether or not it ran."""

    text: str
    call: SkillCall | None = None
    action_error: str | None = None
    action_error_kind: ErrorKind | None = None
    verdict: Verdict | None = None
    executed: bool = False


class RewardComponents(BaseModel):
    """Kept apart, never pre-summed: trainers choose how to combine them."""

    env: float = 0.0
    progress: float | None = None
    valid_action: bool = True
    critic: float | None = None
    validator: float | None = None


class StepRecord(BaseModel):
    """One step of an episode as it happened: what was perceived, proposed, judged, done and
    learned. One line of `steps.jsonl`."""

    schema_version: str = SCHEMA_VERSION
    episode_id: str
    index: int
    started_at: datetime
    ended_at: datetime
    frame: str | None = Field(default=None, description="frame file before the step, relative to the episode folder")
    frame_after: str | None = None
    text_view: str = ""
    scene_graph: dict[str, Any] | None = None
    state_key: str | None = None
    plan: Plan | None = None
    plan_reflected: Plan | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    action: SkillCall | None = None
    action_text: str | None = None
    action_error: str | None = None
    action_error_kind: ErrorKind | None = None
    critic: Verdict | None = None
    validator: Verdict | None = None
    rewards: RewardComponents = Field(default_factory=RewardComponents)
    success: bool = False
    progress: float | None = None
    label: bool | None = Field(
        default=None,
        description="step label: the action ran, was valid and (if validated) passed the validator",
    )
    terminated: bool = False
    truncated: bool = False
    replanned: bool = False
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per phase")
    model_calls: list[ModelCallRecord] = Field(default_factory=list)
    feedback: list[Feedback] = Field(default_factory=list, description="feedback given to the planner after this step")
    human_feedback: str | None = None
    env_info: dict[str, Any] = Field(
        default_factory=dict, description="the env's own JSON facts about the step (Perception.extra)")


class CriticAgreement(BaseModel):
    """How the critic's decisions compare with the validator's findings over an episode.

    Only judged verdicts count: the open loop's formal accepts are left out. A rejected
    action never runs, so the validator cannot say whether the rejection was right.
    """

    accepted_passed: int = Field(default=0, description="accepted, and the validator passed it")
    accepted_failed: int = Field(default=0, description="accepted, and the validator failed it")
    rejected: int = Field(default=0, description="rejected before it ran")

    @property
    def precision(self) -> float | None:
        """Share of the critic's accepts that the validator confirmed."""
        accepted = self.accepted_passed + self.accepted_failed
        return self.accepted_passed / accepted if accepted else None

    def __add__(self, other: CriticAgreement) -> CriticAgreement:
        return CriticAgreement(
            accepted_passed=self.accepted_passed + other.accepted_passed,
            accepted_failed=self.accepted_failed + other.accepted_failed,
            rejected=self.rejected + other.rejected,
        )


class EpisodeRecord(BaseModel):
    """One episode's outcome and counts: `episode.json`."""

    schema_version: str = SCHEMA_VERSION
    episode_id: str
    env_id: str
    task: str
    seed: int
    rollout: int = 0
    goal: str = ""
    outcome: Outcome
    success: bool
    error: str | None = Field(default=None, description="one line: why the episode ended as an error")
    error_trace: str | None = Field(default=None, description="the traceback behind `error`, when code crashed")
    steps: int = 0
    replans: int = 0
    critic_rejections: int = 0
    validator_failures: int = 0
    action_errors: int = 0
    model_errors: int = Field(default=0, description="steps on which the model failed")
    critic_agreement: CriticAgreement = Field(default_factory=CriticAgreement)
    final_progress: float | None = None
    total_env_reward: float = 0.0
    started_at: datetime
    ended_at: datetime
    duration_s: float = 0.0
    planner: str = ""
    critic: str = ""
    validator: str = ""
    models: list[str] = Field(default_factory=list)
    claim: Claim | None = Field(default=None, description="the planner's finish claim, if it ended the episode")
    max_steps: int | None = Field(default=None, description="the step limit the episode ran under")


class CriticKind(str, Enum):
    """Who judges a proposed action before it runs."""

    NONE = "none"  # nobody: every action runs
    RULE = "rule"  # the skill's preconditions on the scene graph
    VLM = "vlm"  # the rules first, then a model
    LEARNED = "prm"  # a process reward model, alone or after the rules


_LEARNED_PREFIX, _RULE_FIRST = "prm:", "rule+"


class CriticSpec(BaseModel):
    """`--critic` read once: none, rule, vlm, `prm:PATH` (a learned critic) or `rule+prm:PATH`
    (the rules first, then the learned one). `str()` gives the text back."""

    model_config = ConfigDict(frozen=True)

    kind: CriticKind
    model: str | None = Field(default=None, description="the learned critic's model spec, prm:PATH")
    rule_first: bool = Field(default=False, description="the rule critic judges before the learned one")

    @classmethod
    def parse(cls, text: str) -> CriticSpec:
        """The spec `text` names; `ValueError` naming the accepted forms otherwise."""
        if text in (CriticKind.NONE.value, CriticKind.RULE.value, CriticKind.VLM.value):
            return cls(kind=CriticKind(text))
        rule_first = text.startswith(_RULE_FIRST)
        model = text[len(_RULE_FIRST):] if rule_first else text
        if model.startswith(_LEARNED_PREFIX) and len(model) > len(_LEARNED_PREFIX):
            return cls(kind=CriticKind.LEARNED, model=model, rule_first=rule_first)
        raise ValueError(f"critic {text!r}: expected none, rule, vlm, prm:PATH or rule+prm:PATH")

    def __str__(self) -> str:
        if self.kind is not CriticKind.LEARNED:
            return self.kind.value
        return (_RULE_FIRST if self.rule_first else "") + str(self.model)


class LoopSettings(BaseModel):
    """How each episode is judged and bounded: the settings a recorded run, the TRL factory and
    the OpenEnv server share, declared here once with the help text the command line shows."""

    model_config = ConfigDict(extra="forbid")

    critic: str = Field(
        default="rule", description="judge of each action before it runs: none, rule (skill "
        "preconditions), vlm (rules, then --model), prm:PATH (a learned critic) or rule+prm:PATH")
    validator: Literal["none", "rule", "vlm"] = Field(
        default="rule", description="judge of each action after it ran: none, rule (expected effects) "
        "or vlm (rules, then --model)")
    model: str | None = Field(
        default=None, description="model backend: openai:NAME (an OpenAI-compatible server), "
        "hf:PATH_OR_ID (local transformers), human[:stdio|:web[:PORT]] (a person or program answers) "
        "or function:module:callable")
    base_url: str | None = Field(
        default=None, description="server of an openai:NAME model (default: $OPENAI_BASE_URL); "
        "no key is ever stored")
    max_steps: int | None = Field(
        default=None, ge=1, description="steps per episode (default: the env's own limit, else 30)")
    max_replans: int = Field(
        default=20, ge=0, description="validator failures per episode before it ends as failure")
    record_frames: bool = Field(default=True, description="write frame images beside the step records")
    env_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="the env constructor's keyword arguments (KEY=VALUE on the "
        "command line, the value read as JSON where it is)")

    @field_validator("critic")
    @classmethod
    def _critic_choice(cls, value: str) -> str:
        CriticSpec.parse(value)
        return value

    @property
    def critic_spec(self) -> CriticSpec:
        """`critic`, parsed."""
        return CriticSpec.parse(self.critic)


class RunConfig(LoopSettings):
    """Everything that determines a run. Stored in `run.json`; never holds a secret. Each
    field's description is the help of its `agentloop run` option."""

    env_id: str = Field(description="e.g. agentloop/robot.pick-place, agentloop/miniwob.click-button")
    episodes: int = Field(default=1, ge=1, description="episodes (task seeds) to run")
    seed: int = Field(default=0, description="seed of the first episode; episode i uses seed+i")
    group_size: int = Field(default=1, ge=1, description="rollouts per task and seed (GiGPO groups)")
    planner: str = Field(
        default="auto", description="who proposes each action: auto (model with --model, else "
        "scripted), the env's scripted planner, the model planner (in the mode it was trained for, "
        "or the one named), a planner a module:Factory makes, or replay:RUN_DIR (the decisions "
        "that run recorded, episode by episode: the same records must come back)")
    candidates: int = Field(default=1, ge=1, description="best-of-N action candidates")
    max_critic_rejections: int = Field(default=3, ge=0, description="per step before it is skipped")
    workers: int = Field(default=1, ge=1, description="worker processes")
    concurrency: int = Field(default=1, ge=1, description="episodes in flight per worker (threads)")
    executor: Literal["local", "ray"] = Field(
        default="local", description="local processes, or a Ray cluster ($RAY_ADDRESS)")
    out: str = Field(default="recordings", description="run folder (default: recordings/<task>-<time>)")
    human: bool = Field(default=False, description="type corrections at each step")


class RunManifest(BaseModel):
    """`run.json`: what was run, with which versions and models (never a secret)."""

    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: datetime
    config: RunConfig
    env_ids: list[str]
    versions: dict[str, str]
    models: list[str] = Field(default_factory=list)
    command: list[str] = Field(default_factory=list)
