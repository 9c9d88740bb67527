"""Skills as Python functions whose signature and docstring are the skill's.

Trainers that take tools as functions (TRL reads a method's type hints and Google-style
docstring into a JSON tool schema) see each skill as it is: its name, its one-line
description, one keyword argument per field of its argument model with the field's type,
default and description. Calling the function hands the call to the session as a
`SkillCall`; the skill's own argument model validates it there, so a bad argument is an
answer the model can read, never an exception.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable
from typing import Any

from pydantic.fields import FieldInfo

from agentloop import registry
from agentloop.adapter import as_skill_env
from agentloop.calls import SkillCall
from agentloop.errors import ConfigError
from agentloop.skillset import Skill, SkillSet

RESERVED = frozenset({"reset", "get_reward"})  # the trainer's own methods on an environment
_BOUNDS = (("minimum", "at least"), ("maximum", "at most"), ("minLength", "at least {} characters"),
           ("maxLength", "at most {} characters"))


def skillset_of(env_id: str, env_kwargs: dict[str, Any] | None = None) -> SkillSet:
    """The vocabulary of `env_id`: read from its class where the class declares one (no env
    is made, no browser started), else from an env made and closed for the purpose."""
    declared = registry.env_class(env_id)
    if declared.skillset is not None:
        return declared.skillset
    env_id = declared.env_id
    env = as_skill_env(registry.make(env_id, **(env_kwargs or {})))
    try:
        found = env.get_wrapper_attr("skillset")
    finally:
        env.close()
    if not isinstance(found, SkillSet):
        raise ConfigError(f"{env_id} has no skill set")
    return found


def skill_method(skill: Skill, call: Callable[[Any, SkillCall], Any]) -> Callable[..., Any]:
    """A method named after `skill` whose signature and docstring describe it; calling it runs
    `call(self, SkillCall(name, given arguments))`."""
    name = skill.name
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_") or name in RESERVED:
        raise ConfigError(f"skill {name!r} cannot be a tool method (not an identifier, private or reserved)")

    def method(self: Any, **kwargs: Any) -> Any:
        return call(self, SkillCall(name=name, args=kwargs))

    fields = skill.Args.model_fields
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(arg, inspect.Parameter.KEYWORD_ONLY, annotation=f.annotation,
                                 default=inspect.Parameter.empty if f.is_required() else f.get_default(call_default_factory=True))
               for arg, f in fields.items()]
    method.__name__ = method.__qualname__ = name
    method.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    method.__annotations__ = {arg: f.annotation for arg, f in fields.items()}
    method.__doc__ = docstring(skill)
    return method


def docstring(skill: Skill) -> str:
    """The skill's description and, Google style, one line per argument."""
    fields = skill.Args.model_fields
    if not fields:
        return skill.description()
    schema = type(skill).spec().parameters.get("properties", {})
    lines = [f"    {arg}: {_describe(arg, f, schema.get(arg, {}))}" for arg, f in fields.items()]
    return skill.description() + "\n\nArgs:\n" + "\n".join(lines)


def _describe(arg: str, field: FieldInfo, schema: dict[str, Any]) -> str:
    text = " ".join((field.description or arg.replace("_", " ")).split())
    bounds = [words.format(schema[key]) if "{}" in words else f"{words} {schema[key]}"
              for key, words in _BOUNDS if key in schema]
    if not field.is_required() and field.get_default() is not None:
        bounds.append(f"default {field.get_default()}")
    return f"{text} ({'; '.join(bounds)})" if bounds else text
