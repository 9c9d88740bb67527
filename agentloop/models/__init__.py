"""Model backends behind one protocol (`Model`), chosen by a spec string (`from_spec`) and
shared among the threads of a process by a `ModelPool` that owns and closes them.

    openai:NAME              OpenAI-compatible HTTP server ($OPENAI_BASE_URL / --base-url)
    hf:PATH_OR_ID            local transformers image-text-to-text model
    prm:PATH                 a process reward model scoring the last assistant turn
    function:module:callable a FunctionModel around `callable(messages, schema, sampling)`
    human[:stdio|:web[:PORT]] a person (or a program) answers: terminal, JSON lines, or a local page
"""

from __future__ import annotations

from agentloop.models.base import Model, accepts_images, check_model, extract_json, parse_into
from agentloop.models.function import FunctionModel
from agentloop.models.pool import ModelPool, check_spec, from_spec
from agentloop.models.types import Completion, ImagePart, Message, Sampling, TextPart, Usage

__all__ = [
    "Completion",
    "FunctionModel",
    "ImagePart",
    "Message",
    "Model",
    "ModelPool",
    "Sampling",
    "TextPart",
    "Usage",
    "accepts_images",
    "check_model",
    "check_spec",
    "extract_json",
    "from_spec",
    "parse_into",
]
