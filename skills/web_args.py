"""The arguments of the web skills (`agentloop.skills.web`): what each call names, with units.

Pixels are the screenshot's: from its top-left corner, the same space as every node's `bbox`
(the screenshot is the viewport at one CSS pixel per pixel).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _element_id(v: Any) -> Any:
    # Ids are strings in the graph, but the text view shows them as numbers and models write
    # `click(element=10)`: a whole number is the same id. Booleans are ints to Python, not ids.
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


ElementId = Annotated[str, BeforeValidator(_element_id)]
"""An element id of the graph; a whole number (`12`) is accepted as its string (`"12"`)."""


class ElementArgs(BaseModel):
    """Which element a skill acts on."""

    model_config = ConfigDict(extra="forbid")
    element: ElementId = Field(description="element id from the page view, e.g. 12")


class TypeArgs(ElementArgs):
    """The text field and the text to put in it."""

    text: str = Field(description="text to type; it replaces what the field holds (it does not append)")


class SelectArgs(ElementArgs):
    """The list and the option (or, in a list that takes several, the options) to choose."""

    option: str | list[str] = Field(
        description="visible text or value of the option to choose; a list of them selects exactly those "
        "in a list that takes several")


class ScrollArgs(BaseModel):
    """Which way to scroll, how far, and inside what."""

    model_config = ConfigDict(extra="forbid")
    direction: Literal["up", "down", "left", "right"] = "down"
    amount: int = Field(default=300, ge=1, le=10000, description="how far, in pixels of the screenshot")
    element: ElementId | None = Field(default=None, description="scroll inside this element instead of the page")


class PressArgs(BaseModel):
    """The key to press and, optionally, the element to focus first."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(description="a key or chord, e.g. Enter, Tab, Control+A")
    element: ElementId | None = Field(default=None, description="focus this element first (no click)")


class DragArgs(ElementArgs):
    """The element to drag and the one to drop it onto."""

    target: ElementId = Field(description="element id to drop onto")


class GotoArgs(BaseModel):
    """The URL to open."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(description="absolute URL on one of the task's origins")


class WaitArgs(BaseModel):
    """How long to let the page run."""

    model_config = ConfigDict(extra="forbid")
    ms: int = Field(default=500, ge=0, le=10000, description="milliseconds of page time to let pass (then it settles)")


class SetValueArgs(ElementArgs):
    """The slider and the value to set it to."""

    value: float = Field(description="the value to set, in the slider's own units, from its min to its max "
                         "(a multiple of its step)")


class PointArgs(BaseModel):
    """A point of the screenshot, in its pixels."""

    model_config = ConfigDict(extra="forbid")
    x: float = Field(description="pixels from the screenshot's left edge")
    y: float = Field(description="pixels from the screenshot's top edge")


class TypeAtArgs(PointArgs):
    """The point of a text field and the text to put in it."""

    text: str = Field(description="text to type; it replaces what the field holds (it does not append)")


class ScrollAtArgs(PointArgs):
    """Where the pointer scrolls (what is under it scrolls), which way and how far."""

    direction: Literal["up", "down", "left", "right"] = "down"
    amount: int = Field(default=300, ge=1, le=10000, description="how far, in pixels of the screenshot")


class DragAtArgs(PointArgs):
    """Where a drag starts and where it ends, in the screenshot's pixels."""

    to_x: float = Field(description="pixels from the left edge where the drag ends")
    to_y: float = Field(description="pixels from the top edge where the drag ends")




class DragPathArgs(BaseModel):
    """The points a drag passes through, in the screenshot's pixels."""

    model_config = ConfigDict(extra="forbid")
    points: list[tuple[float, float]] = Field(
        min_length=2, max_length=200,
        description="[[x, y], ...] in pixels from the screenshot's top-left corner: pressed at the first, "
        "moved through each in turn, released at the last (a closed shape: end where it began)")
