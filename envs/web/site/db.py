"""The site's SQLite state: schema and per-seed seeding. A fresh file per episode.

A seed's data is made once per process, in an in-memory database kept as that seed's
snapshot; each episode's file is a copy of it made with SQLite's backup API, a fraction of a
millisecond against the tens a rebuild takes. Every episode still gets its own file, so the
episodes of different sessions never share a database.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

SCHEMA = """
CREATE TABLE product (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, price_cents INTEGER NOT NULL);
CREATE TABLE cart_item (product_id INTEGER PRIMARY KEY REFERENCES product(id), qty INTEGER NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, full_name TEXT, street TEXT, city TEXT, zip TEXT, card_last4 TEXT);
CREATE TABLE order_item (order_id INTEGER REFERENCES orders(id), product_id INTEGER, qty INTEGER, price_cents INTEGER);
CREATE TABLE profile (id INTEGER PRIMARY KEY CHECK (id = 1), display_name TEXT, email TEXT, city TEXT);
CREATE TABLE address (id INTEGER PRIMARY KEY, label TEXT, street TEXT, city TEXT, zip TEXT);
CREATE TABLE note (id INTEGER PRIMARY KEY, title TEXT, body TEXT);
CREATE TABLE ticket (id INTEGER PRIMARY KEY, email TEXT, order_ref TEXT, phone TEXT, message TEXT);
CREATE TABLE event (id INTEGER PRIMARY KEY, kind TEXT, detail TEXT);
"""

CATEGORIES = ["Garden", "Kitchen", "Office", "Outdoor", "Lighting"]
NOUNS = ["lamp", "kettle", "chair", "lantern", "mug", "desk", "planter", "bottle"]
ADJECTIVES = ["Solar", "Compact", "Classic", "Rustic", "Modern", "Folding", "Steel", "Bamboo", "Smart", "Mini"]
FIRST = ["Ada", "Ben", "Chloe", "Dev", "Emma", "Farid", "Greta", "Hugo", "Iris", "Jonas"]
LAST = ["Novak", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Brandt", "Kowalski"]
STREETS = ["Oak Street", "Maple Avenue", "Cedar Lane", "Elm Road", "Birch Way", "Pine Court"]
CITIES = ["Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Ashford"]


class Seeded(BaseModel):
    """What the seeding chose, for the tasks to build goals and checks from."""

    query: str
    category: str
    max_price_cents: int
    target_product_id: int
    target_product_name: str
    profile_before: dict[str, str]
    address_ids: list[int]
    note_ids: list[int]


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def _street(rng: random.Random) -> str:
    return f"{rng.randint(2, 98)} {rng.choice(STREETS)}"


def _products(rng: random.Random) -> tuple[str, str, int, list[tuple[str, str, int]]]:
    """The query word, category and price limit, and products in which the query noun appears
    in several categories at several prices, so that both the category and the price filter
    change which item is the cheapest one left."""
    query = rng.choice(NOUNS)
    category = rng.choice(CATEGORIES)
    max_price = rng.choice([40, 50, 60, 75]) * 100
    rows: list[tuple[str, str, int]] = []
    adjs = rng.sample(ADJECTIVES, 9)
    # cheapest overall lies in another category, so skipping the category filter fails
    other = rng.choice([c for c in CATEGORIES if c != category])
    rows.append((f"{adjs[0]} {query}", other, rng.randint(500, 900)))
    in_cat = sorted(rng.sample(range(1000, max_price - 100, 37), 3))
    for adj, cents in zip(adjs[1:4], in_cat):
        rows.append((f"{adj} {query}", category, cents))
    # in the category but over the price limit (so skipping the price filter fails only
    # where the sort order matters; the goal also names the limit)
    rows.append((f"{adjs[4]} {query}", category, max_price + rng.randint(100, 3000)))
    for adj in adjs[5:9]:
        rows.append((f"{adj} {query}", rng.choice(CATEGORIES), rng.randint(500, 12000)))
    for noun in NOUNS:
        if noun == query:
            continue
        for adj in rng.sample(ADJECTIVES, 3):
            rows.append((f"{adj} {noun}", rng.choice(CATEGORIES), rng.randint(500, 12000)))
    rng.shuffle(rows)
    return query, category, max_price, rows


def _addresses(rng: random.Random) -> list[tuple[str, str, str, str]]:
    """Addresses alike on purpose: same street name, same city or same number."""
    street = rng.choice(STREETS)
    number = rng.randint(2, 98)
    cities = rng.sample(CITIES, 3)
    addrs = [
        ("Home", f"{number} {street}", cities[0], f"{rng.randint(10000, 99999)}"),
        ("Work", f"{number} {street}", cities[1], f"{rng.randint(10000, 99999)}"),
        ("Parents", f"{number + 2} {street}", cities[0], f"{rng.randint(10000, 99999)}"),
        ("Cabin", f"{number} {street}", cities[2], f"{rng.randint(10000, 99999)}"),
        ("Studio", _street(rng), cities[1], f"{rng.randint(10000, 99999)}"),
    ]
    rng.shuffle(addrs)
    return addrs


def _notes(rng: random.Random) -> list[tuple[str, str]]:
    """Notes with similar titles: one topic on different days."""
    day_names = rng.sample(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"], 4)
    topic = rng.choice(["Groceries", "Meeting", "Workout", "Call"])
    return [(f"{topic} for {d}", f"{topic.lower()} plan, {d.lower()}") for d in day_names]


def seed_database(path: Path, seed: int) -> Seeded:
    """Create `path` afresh holding `seed`'s data (each seed gives different data)."""
    snapshot = _snapshot(int(seed))
    path.unlink(missing_ok=True)
    conn = connect(path)
    try:
        # A throwaway file, made afresh at every reset: syncing it to disk cost more than the copy.
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = MEMORY")
        with snapshot.lock:  # one copy at a time out of a shared snapshot (the server's lanes are threads)
            snapshot.conn.backup(conn)
    finally:
        conn.close()
    return snapshot.seeded.model_copy(deep=True)


class _Snapshot:
    """One seed's data in an in-memory database, and what its seeding chose."""

    def __init__(self, conn: sqlite3.Connection, seeded: Seeded) -> None:
        self.conn, self.seeded = conn, seeded
        self.lock = threading.Lock()


@lru_cache(maxsize=256)  # a GRPO group resets to one seed; a few hundred seeds of ~60 kB each at most
def _snapshot(seed: int) -> _Snapshot:
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return _Snapshot(conn, _fill(conn, seed))


def _fill(conn: sqlite3.Connection, seed: int) -> Seeded:
    """Create the schema in `conn` and fill it from `seed`."""
    rng = random.Random(seed)
    with conn:
        conn.executescript(SCHEMA)
        query, category, max_price, rows = _products(rng)
        conn.executemany("INSERT INTO product (name, category, price_cents) VALUES (?, ?, ?)", rows)
        target = conn.execute(
            "SELECT id, name FROM product WHERE name LIKE ? AND category = ? AND price_cents <= ?"
            " ORDER BY price_cents, id LIMIT 1",
            (f"%{query}%", category, max_price),
        ).fetchone()
        profile = {
            "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "email": f"user{rng.randint(100, 999)}@example.org",
            "city": rng.choice(CITIES),
        }
        conn.execute("INSERT INTO profile VALUES (1, :display_name, :email, :city)", profile)
        conn.executemany("INSERT INTO address (label, street, city, zip) VALUES (?, ?, ?, ?)", _addresses(rng))
        conn.executemany("INSERT INTO note (title, body) VALUES (?, ?)", _notes(rng))
        address_ids = [r[0] for r in conn.execute("SELECT id FROM address ORDER BY id")]
        note_ids = [r[0] for r in conn.execute("SELECT id FROM note ORDER BY id")]
    return Seeded(
        query=query, category=category, max_price_cents=max_price,
        target_product_id=target["id"], target_product_name=target["name"],
        profile_before=profile, address_ids=address_ids, note_ids=note_ids,
    )
