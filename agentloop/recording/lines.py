"""`steps.jsonl` lines (a `StepRecord` as one line of JSON) and `episode.json`, made on the
loop's own thread.

A step record is plain data: strings, numbers, lists, dicts, datetimes and nested models of a
fixed set of types. orjson writes that at about a third of pydantic's cost per step when each
model is handed to it as its field values (`agentloop.plainjson`), and the line reads back as
the JSON pydantic writes for the same record; a record holding anything else is written by pydantic,
whole, as it always was. The scene graph, half of a line's bytes, is not serialised here at
all: the loop took it as JSON data by decoding JSON bytes (`SceneGraph.json_data`), and the
line carries those bytes. Recording costs the loop this line, the step's reward signals and a
copy of its frame, and nothing more until the episode ends.
"""

from __future__ import annotations

import orjson
from pydantic import TypeAdapter

from agentloop.plainjson import OPTIONS, PlainJSON
from agentloop.records import EpisodeRecord, StepRecord
from agentloop.scene import SceneData

_STEP = TypeAdapter(StepRecord)
_fields = PlainJSON(StepRecord).fields
_EPISODE = TypeAdapter(EpisodeRecord)
_episode_fields = PlainJSON(EpisodeRecord).fields


def step_json(record: StepRecord) -> bytes:
    """One `steps.jsonl` line, UTF-8, without its newline."""
    return _step(record, OPTIONS)


def step_line(record: StepRecord) -> bytes:
    """One `steps.jsonl` line with its newline (orjson adds it as it writes, at no cost)."""
    return _step(record, OPTIONS | orjson.OPT_APPEND_NEWLINE)


def _step(record: StepRecord, option: int) -> bytes:
    try:
        fields = _fields(record)
        scene = fields["scene_graph"]
        if type(scene) is SceneData:
            fields = {**fields, "scene_graph": orjson.Fragment(scene.raw)}
        return orjson.dumps(fields, default=_fields, option=option)
    except TypeError:  # orjson.JSONEncodeError included
        line = _STEP.dump_json(record)
        return line + b"\n" if option & orjson.OPT_APPEND_NEWLINE else line


def episode_json(record: EpisodeRecord) -> bytes:
    """`episode.json`: the JSON pydantic writes for the record, indented by 2."""
    try:
        return orjson.dumps(record, default=_episode_fields, option=OPTIONS | orjson.OPT_INDENT_2)
    except TypeError:
        return _EPISODE.dump_json(record, indent=2)
