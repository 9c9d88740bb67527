"""The wait after an action until the page it changed has settled, so that what is read next
depends on the actions alone, never on how fast the machine or the files were.

The page is quiet (`js/settle.js`: no DOM change for a while, an animation frame since the last
one, no scroll, finite animation or short timer pending); a navigation the action started has
arrived; and the requests the page made meanwhile (an image it revealed) have landed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentloop.envs.web import js
from agentloop.envs.web.contexts import EpisodeContext
from agentloop.envs.web.grounding import DESTROYED


@dataclass(frozen=True)
class Settle:
    """How the page is let settle after an action (`WebEnv`'s `settle_*` arguments): quiet for
    `quiet_ms`, at most `bound_ms` (0: no wait), a navigation awaited up to `timeout_ms`."""

    quiet_ms: int = 30
    bound_ms: int = 1000
    timeout_ms: int = 5000

    def after(self, ep: EpisodeContext, url_before: str, at_least_ms: int | None, clock_step_ms: int | None) -> None:
        """Let `ep`'s page settle after an action; after `wait(ms)`, `at_least_ms` is its `ms`;
        `clock_step_ms`: the page runs on a virtual clock, moved on by this much an action."""
        if ep.page.url != url_before:
            ep.page.wait_for_load_state("domcontentloaded", timeout=self.timeout_ms)
        self.quiet(ep.page, at_least_ms, clock_step_ms)
        traffic = ep.navigations
        if traffic is not None and traffic.wait(self.timeout_ms):  # a form's answer came late
            self.after(ep, ep.page.url, None, clock_step_ms)
        elif traffic is not None and self.bound_ms > 0 and traffic.wait_loads(self.bound_ms):
            self.quiet(ep.page, 0, clock_step_ms)  # an image it revealed came late: laid out and drawn
        if traffic is not None:
            traffic.since_settled()

    def quiet(self, page: Any, at_least_ms: int | None, clock_step_ms: int | None) -> None:
        """Until the page is quiet (or its virtual clock has moved on)."""
        try:
            if clock_step_ms is not None:
                page.clock.run_for(clock_step_ms if at_least_ms is None else at_least_ms)
            elif self.bound_ms > 0 or at_least_ms:
                wait = at_least_ms or 0
                page.evaluate(js.SETTLE, [self.quiet_ms, self.bound_ms + wait, wait])
        except Exception as e:  # a navigation replaced the document mid-wait: wait for the new one
            if DESTROYED not in str(e):
                raise
            page.wait_for_load_state("domcontentloaded", timeout=self.timeout_ms)
