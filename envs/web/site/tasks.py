"""The site's tasks (the `WebTask` protocol): each seeds a fresh database, states a goal and
judges success and progress from the database, never from the page."""

from __future__ import annotations

import json
import random
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from agentloop.envs.web.site import db, pages
from agentloop.envs.web.site.server import SiteServer, SiteState
from agentloop.envs.web.task import TaskResult
from agentloop.records import Claim
from agentloop.skillset import FinishStatus

# The origin the records show: each instance serves its pages on a free port of its own, and a URL
# is shown (and may be opened with `goto`) on this fixed origin instead, so that no record, text
# view or state key holds the port. (A browser route to this origin cannot carry the site's
# POST-then-redirect: Playwright's routes do not see the redirected request.)
ORIGIN = "http://shop.test"


class SiteTask:
    """Shared plumbing: a temp folder, a lazily started server, a fresh DB per `setup`."""

    name = "site.base"
    start_path = "/"  # a page that reads nothing from the database: it is loaded ahead of the reset
    ready_when_prepared = True  # setup only swaps the database: the env may look at the start page ahead

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="agentloop-site-"))
        self._episode = 0
        self.state = SiteState(self._dir / "site-0.sqlite")
        self.server = SiteServer(self.state)
        self.seeded: db.Seeded | None = None
        self.rng = random.Random(0)

    def origins(self) -> list[str]:
        return [self.server.start()]

    def shown_url(self, url: str) -> str:
        """`url` as the records show it: on the site's fixed origin, not this instance's server
        (its port differs per instance and run, and a state's key must not)."""
        real = self.server.start()
        return ORIGIN + url[len(real):] if url == real or url.startswith(real + "/") else url

    def real_url(self, url: str) -> str:
        """The inverse of `shown_url`: where a URL on the site's fixed origin is served."""
        return self.server.start() + url[len(ORIGIN):] if url == ORIGIN or url.startswith(ORIGIN + "/") else url

    def reset_database(self, seed: int | None) -> db.Seeded:
        seed = random.randrange(2**31) if seed is None else int(seed)
        self.rng = random.Random(seed * 7919 + 1)
        old = self.state.path
        self._episode += 1
        path = self._dir / f"site-{self._episode}.sqlite"
        self.seeded = db.seed_database(path, seed)
        with self.state.lock:  # requests still in flight finish on the old file
            self.state.path = path
        old.unlink(missing_ok=True)
        return self.seeded

    def prepare(self, page: Any) -> None:
        """Load the start page on the next episode's fresh page, ahead of its reset: the shop's
        front page reads nothing from the database, so it is the same for every seed."""
        page.goto(self.server.start() + self.start_path, wait_until="load")
        # A document's first evaluate installs Playwright's helper script in it (tens of ms):
        # here, ahead, rather than in the first observation of the reset.
        page.evaluate("() => document.readyState")

    def setup(self, page: Any, seed: int | None) -> str:
        seeded = self.reset_database(seed)
        goal = self.make_goal(seeded)
        start = self.server.start() + self.start_path
        if page.url != start:  # not prepared ahead
            page.goto(start, wait_until="load")
        return goal

    def make_goal(self, seeded: db.Seeded) -> str:
        raise NotImplementedError

    def query(self, sql: str, params: tuple = ()) -> list:
        conn = self.state.connect()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def evaluate(self, page: Any = None) -> TaskResult:
        raise NotImplementedError

    def irreversible_selectors(self) -> list[str]:
        return [pages.IRREVERSIBLE_SELECTOR]

    def close(self) -> None:
        self.server.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


def _done(progress: float, details: dict[str, Any], failed: bool = False) -> TaskResult:
    success = progress >= 1.0 and not failed
    return TaskResult(
        reward=1.0 if success else 0.0, success=success, progress=round(progress, 3),
        terminated=success or failed, details=details,
    )


class CheckoutTask(SiteTask):
    """Search → filter → open the cheapest match → add to cart → check out with an address."""

    name = "site.checkout"

    def make_goal(self, s: db.Seeded) -> str:
        r = self.rng
        self.ship = {
            "full_name": f"{r.choice(db.FIRST)} {r.choice(db.LAST)}",
            "street": f"{r.randint(2, 98)} {r.choice(db.STREETS)}",
            "city": r.choice(db.CITIES),
            "zip": f"{r.randint(10000, 99999)}",
            "card": "".join(str(r.randint(0, 9)) for _ in range(16)),
        }
        sh = self.ship
        return (
            f"Search for \"{s.query}\", filter to category {s.category} with max price "
            f"${s.max_price_cents // 100}, add the cheapest result to the cart and place the order for "
            f"{sh['full_name']}, {sh['street']}, {sh['city']}, ZIP {sh['zip']}, card {sh['card']}."
        )

    def evaluate(self, page: Any = None) -> TaskResult:
        s = self.seeded
        assert s is not None, "evaluate before setup"
        searches = [json.loads(r["detail"]) for r in self.query("SELECT detail FROM event WHERE kind = 'search'")]
        searched = any(s.query in e["q"].lower() for e in searches)
        filtered = any(
            s.query in e["q"].lower() and e["category"] == s.category and e["max_price_cents"] == s.max_price_cents
            for e in searches
        )
        in_cart = bool(self.query("SELECT 1 FROM cart_item WHERE product_id = ?", (s.target_product_id,)))
        orders = self.query("SELECT * FROM orders")
        details: dict[str, Any] = {"searched": searched, "filtered": filtered, "in_cart": in_cart, "orders": len(orders)}
        if orders:
            o = orders[-1]
            items = [(r["product_id"], r["qty"]) for r in self.query("SELECT * FROM order_item WHERE order_id = ?", (o["id"],))]
            sh = self.ship
            right = (
                items == [(s.target_product_id, 1)]
                and [o["full_name"], o["street"], o["city"], o["zip"], o["card_last4"]]
                == [sh["full_name"], sh["street"], sh["city"], sh["zip"], sh["card"][-4:]]
            )
            details["order_items"] = items
            return _done(1.0 if right else 0.75, details, failed=not right)
        progress = 0.25 * searched + 0.25 * filtered + 0.25 * in_cart
        return _done(progress, details)


class ProfileTask(SiteTask):
    """Change three profile fields; progress is the share of fields stored as asked."""

    name = "site.profile"
    start_path = "/"

    def make_goal(self, s: db.Seeded) -> str:
        r = self.rng
        before = s.profile_before
        self.want = {
            "display_name": r.choice([n for n in (f"{a} {b}" for a in db.FIRST for b in db.LAST) if n != before["display_name"]]),
            "email": f"{r.choice(db.FIRST).lower()}.{r.randint(10, 99)}@example.com",
            "city": r.choice([c for c in db.CITIES if c != before["city"]]),
        }
        w = self.want
        return f"Open your profile and change the display name to {w['display_name']}, the email to {w['email']} and the city to {w['city']}, then save it."

    def evaluate(self, page: Any = None) -> TaskResult:
        row = dict(self.query("SELECT * FROM profile WHERE id = 1")[0])
        right = [k for k, v in self.want.items() if row[k] == v]
        return _done(len(right) / len(self.want), {"stored": row, "right": right})


class DeleteAddressTask(SiteTask):
    """Delete one saved address among look-alikes; deleting any other fails the episode."""

    name = "site.delete_address"

    def make_goal(self, s: db.Seeded) -> str:
        rows = self.query("SELECT * FROM address ORDER BY id")
        # aim at an address that shares its street with another one, so the city decides
        alike = [r for r in rows if sum(o["street"] == r["street"] for o in rows) > 1]
        t = self.rng.choice(alike or rows)
        self.target = t["id"]
        return f"Delete the saved address at {t['street']}, {t['city']} {t['zip']} and keep all the others."

    def evaluate(self, page: Any = None) -> TaskResult:
        left = {r["id"] for r in self.query("SELECT id FROM address")}
        assert self.seeded is not None, "evaluate before the first reset"
        wrong = sorted(set(self.seeded.address_ids) - left - {self.target})
        gone = self.target not in left
        return _done(1.0 if gone else 0.0, {"target_deleted": gone, "wrongly_deleted": wrong}, failed=bool(wrong))


class DeleteNoteTask(SiteTask):
    """Delete one note among similarly named ones, through a confirmation page."""

    name = "site.delete_note"

    def make_goal(self, s: db.Seeded) -> str:
        t = self.rng.choice(self.query("SELECT * FROM note ORDER BY id"))
        self.target = t["id"]
        return f"Delete the note titled \"{t['title']}\" and no other note."

    def evaluate(self, page: Any = None) -> TaskResult:
        left = {r["id"] for r in self.query("SELECT id FROM note")}
        assert self.seeded is not None, "evaluate before the first reset"
        wrong = sorted(set(self.seeded.note_ids) - left - {self.target})
        gone = self.target not in left
        return _done(1.0 if gone else 0.0, {"target_deleted": gone, "wrongly_deleted": wrong}, failed=bool(wrong))


class SupportFormTask(SiteTask):
    """A ticket form whose server answers with validation errors: the goal states the phone and
    order number in forms the server rejects, so the agent must read the errors and fix them."""

    name = "site.support"

    def make_goal(self, s: db.Seeded) -> str:
        r = self.rng
        digits = f"{r.randint(200, 999)}{r.randint(100, 999)}{r.randint(1000, 9999)}"
        order = f"{r.randint(10000, 99999)}"
        self.want = {
            "email": f"{r.choice(db.FIRST).lower()}@example.net",
            "order_ref": f"ORD-{order}",
            "phone": digits,
            "message": f"My {s.query} arrived damaged, please send a replacement.",
        }
        return (
            f"File a support ticket from {self.want['email']} about order #{order}, phone "
            f"{digits[:3]}-{digits[3:6]}-{digits[6:]}, with the message \"{self.want['message']}\". "
            "Fix whatever the form reports as invalid."
        )

    def evaluate(self, page: Any = None) -> TaskResult:
        tickets = [dict(r) for r in self.query("SELECT email, order_ref, phone, message FROM ticket")]
        submits = len(self.query("SELECT 1 FROM event WHERE kind = 'support_submit'"))
        if tickets:
            right = tickets[-1] == self.want
            return _done(1.0 if right else 0.5, {"ticket": tickets[-1], "submits": submits}, failed=not right)
        return _done(0.25 if submits else 0.0, {"submits": submits})


class PriceLookupTask(SiteTask):
    """Answer a question: the price of the cheapest match of a filtered search, given with
    `finish`; on one seed in four no item matches and the right claim is "infeasible"."""

    name = "site.price_lookup"

    def make_goal(self, s: db.Seeded) -> str:
        matches = [r["price_cents"] for r in self.query(
            "SELECT price_cents FROM product WHERE name LIKE ? AND category = ?", (f"%{s.query}%", s.category))]
        # Infeasible: a limit under every match in the category (matches start at $5).
        self.feasible = self.rng.random() >= 0.25
        limit = s.max_price_cents // 100 if self.feasible else min(matches) // 100 - 1
        found = [c for c in matches if c <= limit * 100]
        self.price_cents = min(found) if found else None
        self.feasible = self.price_cents is not None
        return (f'Find the price of the cheapest "{s.query}" in category {s.category} priced up to ${limit}, '
                "and give it as your answer (the price as the shop shows it, e.g. $12.34); if the shop has no such "
                "item, say the task is infeasible.")

    def evaluate(self, page: Any = None) -> TaskResult:
        # Nothing on the site is changed by an answer: success comes only with the claim.
        s = self.seeded
        assert s is not None, "evaluate before setup"
        searches = [json.loads(r["detail"]) for r in self.query("SELECT detail FROM event WHERE kind = 'search'")]
        searched = any(s.query in e["q"].lower() for e in searches)
        filtered = any(s.query in e["q"].lower() and e["category"] == s.category for e in searches)
        return _done(0.25 * searched + 0.25 * filtered, {"searched": searched, "filtered": filtered})

    def judge_claim(self, claim: Claim) -> TaskResult:
        if claim.status is FinishStatus.INFEASIBLE:
            right = not self.feasible
        else:  # the answer holds the price, in dollars, with or without its sign and cents
            said = [round(float(m) * 100) for m in re.findall(r"\d+(?:\.\d+)?", claim.answer.replace(",", ""))]
            right = self.feasible and said == [self.price_cents]
        details = {"claim": claim.status.value, "answer": claim.answer, "price_cents": self.price_cents}
        return TaskResult(reward=float(right), success=right, progress=1.0 if right else self.evaluate().progress,
                          terminated=True, details=details)


TASKS: dict[str, type[SiteTask]] = {
    t.name: t for t in (CheckoutTask, ProfileTask, DeleteAddressTask, DeleteNoteTask, SupportFormTask, PriceLookupTask)
}


def make_task(task: str) -> SiteTask:
    """Factory named in the registry: `task` is a name from TASKS, e.g. "site.checkout"."""
    if task not in TASKS:
        raise ValueError(f"unknown site task {task!r}; known: {', '.join(sorted(TASKS))}")
    return TASKS[task]()
