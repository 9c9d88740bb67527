"""What a web task is, for the web env: set up a page, say the goal, judge the outcome.

Two task sources implement it: MiniWoB++ (`envs/web/miniwob/`) and the local multi-page site
(`envs/web/site/`). A task depends on the page and its own state only; the scripted planner's
solvers are kept apart, by task name, in `solving`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass
class TaskResult:
    """The page's verdict after a step. `reward` is the env reward (MiniWoB: the raw reward);
    `raw_reward` the page's own number; `progress` partial credit in [0, 1]."""

    reward: float = 0.0
    success: bool = False
    progress: float | None = None
    terminated: bool = False
    raw_reward: float | None = None
    details: dict[str, Any] | None = None


class WebTask(Protocol):
    """One family of web episodes: which origins its pages may reach, how a seeded episode's
    page is set up, and how the page (or the task's own database) is judged."""

    name: str  # e.g. "miniwob.click-button" or "site.checkout"

    def origins(self) -> list[str]:
        """Origins the page may reach (e.g. "http://127.0.0.1:8765"); all else is blocked."""

    def setup(self, page: Any, seed: int | None) -> str:
        """Prepare a fresh page (a Playwright `Page` in a new context); return the goal.

        A task may also have `prepare(page)`: the part of the setup that is the same for every
        episode and seed (loading its page). The env then calls it on the next episode's fresh
        page in the background, while this episode runs; `setup` must then finish the job on
        a page `prepare` has seen, and still work on one it has not.

        A task whose page is already the episode's start page once `prepare` has run (its
        `setup` changes only the task's own state, such as a database) may set
        `ready_when_prepared = True`: the env then takes the reset's first look at the page
        ahead as well, in the background.

        A task whose page moves with time may set `virtual_clock_ms`: it installs Playwright's
        clock (paused) on the page, and the env then moves that clock on by this many
        milliseconds after each action (by `ms` after `wait(ms)`) instead of waiting for the
        DOM to be quiet."""

    def evaluate(self, page: Any) -> TaskResult:
        """Judge the current state (from the page or the task's own database)."""

    # A task may also have `shown_url(url) -> str` and its inverse `real_url(url) -> str`: a task
    # served on a port of its own shows its URLs on a fixed origin instead (records, text view,
    # `goto`), so that nothing recorded depends on the port.

    # A task that asks a question (or may be impossible) also has `judge_claim(claim) -> TaskResult`:
    # its verdict on the planner's `finish` claim, the answer given or "infeasible".

    # A task may also have `chrome_selectors() -> list[str]`: CSS selectors of what its page
    # shows that is not part of the task (MiniWoB's reward display); the graph leaves them out.

    def irreversible_selectors(self) -> list[str]:
        """CSS selectors of elements whose activation cannot be undone (delete, place order)."""

    def close(self) -> None:
        """Release what the task holds (servers, files)."""
