"""Skills: the typed actions of an embodiment, and the set an env executes.

A `Skill` is a name, a pydantic argument model, a one-line description (its docstring), a
`precondition` the rule critic checks before acting and `expected_effect` predicates the
effect validator checks on the next scene graph. A `SkillSet` is one embodiment's
vocabulary; it binds a call to its skill with typed arguments (`BoundCall`). The
vocabularies themselves live in `agentloop.skills` (the repository's `skills/` folder).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from agentloop.calls import SkillCall, SkillSpec
from agentloop.effects import Effect
from agentloop.errors import ActionError, ErrorKind
from agentloop.scene import SceneGraph


class FinishStatus(str, Enum):
    """What a planner claims when it ends an episode with the `finish` skill."""

    DONE = "done"  # the goal holds (and `answer` is the answer, where the task asks for one)
    INFEASIBLE = "infeasible"  # the task cannot be done here


class NoArgs(BaseModel):
    """The arguments of a skill that takes none."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Unmet:
    """A precondition that does not hold: what is wrong now (`problem`, the critic's reason)
    and the condition to reach first (`reach`, the critic's suggestion to the planner)."""

    problem: str
    reach: str

    def __str__(self) -> str:
        return self.problem


class Skill:
    """Base class of a skill. Subclasses set `name`, an `Args` model and a docstring (its
    first line is the description the planner is shown).

    `precondition` returns None when the call may run, else the reason it may not.
    `expected_effect` returns the predicates that should hold on the next scene graph.
    Both receive the skill's own `Args` instance, validated.
    """

    name: ClassVar[str]
    Args: ClassVar[type[BaseModel]] = NoArgs
    irreversible: ClassVar[bool] = False
    by_loop: ClassVar[bool] = False  # run by the agent loop itself, with no executor in an env

    @classmethod
    def description(cls) -> str:
        doc = (cls.__doc__ or cls.name).strip()
        return doc.splitlines()[0].strip()

    @classmethod
    def spec(cls) -> SkillSpec:
        schema = cls.Args.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return SkillSpec(
            name=cls.name, description=cls.description(), parameters=schema,
            irreversible=cls.irreversible,
        )

    def precondition(self, scene: SceneGraph, args: Any) -> str | Unmet | None:
        """What stops the call now (None: nothing does); an `Unmet` also says what to reach first."""
        return None

    def expected_effect(self, scene: SceneGraph, args: Any) -> list[Effect]:
        return []


class FinishArgs(BaseModel):
    """The claim a planner ends the episode with."""

    model_config = ConfigDict(extra="forbid")
    # The enum inline (not a `$ref`): skill signatures and grounded schemas show its values.
    status: Annotated[FinishStatus, WithJsonSchema({"type": "string", "enum": [s.value for s in FinishStatus]})] = Field(
        description="'done' when the goal holds, 'infeasible' when the task cannot be done")
    answer: str = Field(default="", description="the answer, where the goal asks for one")


class Finish(Skill):
    """End the episode: 'done' (with the answer, if the goal asks one) or 'infeasible'.

    The claim is the planner's; the env's own account decides the outcome."""

    name = "finish"
    Args = FinishArgs
    # Run by the loop, never by an env: it ends the episode, and the env's own success decides
    # the outcome; the claim is recorded beside it.
    by_loop: ClassVar[bool] = True


class BoundCall(BaseModel):
    """A parsed call bound to its skill, its arguments validated by the skill's `Args`."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    call: SkillCall
    skill: Skill
    args: BaseModel

    @property
    def irreversible(self) -> bool:
        return bool(self.skill.irreversible)


class SkillSet:
    """The vocabulary of one embodiment: parse, validate and describe its skills. Every set
    has `finish` too (last), the loop's own way for a planner to end an episode."""

    def __init__(self, skills: Iterable[Skill | type[Skill]]):
        self._skills: dict[str, Skill] = {}
        for s in [*skills, Finish]:
            inst = s() if isinstance(s, type) else s
            self._skills.setdefault(inst.name, inst)
        self._specs = [type(s).spec() for s in self._skills.values()]

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def __getitem__(self, name: str) -> Skill:
        return self._skills[name]

    def __iter__(self) -> Iterator[Skill]:
        return iter(self._skills.values())

    def __len__(self) -> int:
        return len(self._skills)

    def names(self) -> list[str]:
        return list(self._skills)

    def specs(self) -> list[SkillSpec]:
        return list(self._specs)

    def bind(self, action: str | Mapping[str, Any] | SkillCall) -> BoundCall:
        """Parse and validate an action; raises `ActionError` saying exactly what is wrong."""
        call = SkillCall.parse(action, self._specs)
        skill = self._skills.get(call.name)
        if skill is None:
            close = difflib.get_close_matches(call.name, self._skills, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ActionError(
                ErrorKind.UNKNOWN_SKILL,
                f"unknown skill {call.name!r}{hint} (available: {', '.join(self._skills)})",
            )
        try:
            args = skill.Args.model_validate(call.args)
        except ValidationError as e:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'args'}: {err['msg']}"
                for err in e.errors()
            )
            raise ActionError(ErrorKind.BAD_ARGUMENT, f"{call.name}: {problems}") from None
        canonical = SkillCall(name=call.name, args=args.model_dump(mode="json", exclude_unset=True))
        return BoundCall(call=canonical, skill=skill, args=args)


EnvT = TypeVar("EnvT")


class Executors(Generic[EnvT]):
    """The one table that binds an executor to every skill of a vocabulary.

    `Executors(SKILLS, {Pick: RobotEnv._pick, ...})` raises `TypeError` at once (when the
    env class is defined) if a skill of the set has no executor or an executor names a
    skill the set does not have: an unhandled skill is never a silent no-op. An executor is
    called as `executor(env, args)` with the skill's own validated `Args` instance.
    """

    def __init__(self, skillset: SkillSet, table: Mapping[type[Skill], Any]):
        have = {type(s) for s in skillset if not s.by_loop}
        missing = sorted(s.name for s in have - set(table))
        extra = sorted(getattr(s, "name", repr(s)) for s in set(table) - have)
        if missing or extra:
            raise TypeError(
                "executor table does not match the skill set: "
                + "; ".join(p for p in (
                    f"no executor for {', '.join(missing)}" if missing else "",
                    f"not in the skill set: {', '.join(extra)}" if extra else "") if p)
            )
        self.skillset = skillset
        self._by_name = {cls.name: fn for cls, fn in table.items()}

    def run(self, env: EnvT, bound: BoundCall) -> None:
        """Run the executor of `bound`'s skill on `env`; a skill the loop runs (finish) is refused."""
        if bound.call.name not in self._by_name:
            raise ActionError(ErrorKind.UNKNOWN_SKILL, f"{bound.call.name} is run by the agent loop, not by an env")
        self._by_name[bound.call.name](env, bound.args)
