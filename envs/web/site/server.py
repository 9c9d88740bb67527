"""A real HTTP server for the site: stdlib ThreadingHTTPServer on 127.0.0.1, one per task
instance, reading and writing the episode's SQLite file."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from agentloop.envs.web.site import db, pages

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class SiteState:
    """Where the current episode's database lives; swapped on every reset."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()  # SQLite writes from parallel requests are serialised

    def connect(self) -> sqlite3.Connection:
        return db.connect(self.path)


def _form(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length).decode("utf-8", "replace") if length else ""
    return {k: v[0].strip() for k, v in parse_qs(raw, keep_blank_values=True).items()}


def validate_checkout(v: dict[str, str]) -> dict[str, str]:
    err: dict[str, str] = {}
    if not v.get("full_name"):
        err["full_name"] = "enter the recipient's name"
    if not v.get("street"):
        err["street"] = "enter a street"
    if not v.get("city"):
        err["city"] = "enter a city"
    if not re.fullmatch(r"\d{5}", v.get("zip", "")):
        err["zip"] = "must be exactly 5 digits"
    if not re.fullmatch(r"\d{16}", v.get("card", "").replace(" ", "")):
        err["card"] = "must be 16 digits"
    return err


def validate_profile(v: dict[str, str]) -> dict[str, str]:
    err: dict[str, str] = {}
    if not v.get("display_name"):
        err["display_name"] = "must not be empty"
    if not EMAIL.match(v.get("email", "")):
        err["email"] = "must be an address like name@example.org"
    if not v.get("city"):
        err["city"] = "must not be empty"
    return err


def validate_support(v: dict[str, str]) -> dict[str, str]:
    err: dict[str, str] = {}
    if not EMAIL.match(v.get("email", "")):
        err["email"] = "must be an address like name@example.org"
    if not re.fullmatch(r"ORD-\d{5}", v.get("order_ref", "")):
        err["order_ref"] = "must look like ORD-12345"
    if not re.fullmatch(r"\d{10}", v.get("phone", "")):
        err["phone"] = "must be exactly 10 digits with no spaces or dashes"
    if len(v.get("message", "")) < 20:
        err["message"] = "must be at least 20 characters"
    return err


class SiteHandler(BaseHTTPRequestHandler):
    """Answers the site's pages and form posts from the episode's database (`state`, set on
    the subclass `make_handler` makes for each server)."""

    protocol_version = "HTTP/1.1"
    state: SiteState

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, html: str, status: int = 200) -> None:
        data = html.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, to: str) -> None:
        self.send_response(303)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0].strip() for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        path = url.path.rstrip("/") or "/"
        conn = self.state.connect()
        try:
            self._get(path, q, conn)
        finally:
            conn.close()

    def _get(self, path: str, q: dict[str, str], conn: sqlite3.Connection) -> None:
        if path == "/":
            return self._send(pages.home())
        if path == "/search":
            return self._search(q, conn)
        if m := re.fullmatch(r"/product/(\d+)", path):
            row = conn.execute("SELECT * FROM product WHERE id = ?", (int(m[1]),)).fetchone()
            return self._send(pages.product(row) if row else pages.not_found(), 200 if row else 404)
        if path == "/cart":
            return self._send(pages.cart(_cart(conn)))
        if path == "/checkout":
            return self._send(pages.checkout({}, {}, _cart(conn)))
        if path == "/profile":
            row = conn.execute("SELECT * FROM profile WHERE id = 1").fetchone()
            return self._send(pages.profile(dict(row), {}))
        if path == "/addresses":
            return self._send(pages.addresses(conn.execute("SELECT * FROM address ORDER BY id").fetchall()))
        if path == "/notes":
            return self._send(pages.notes(conn.execute("SELECT * FROM note ORDER BY id").fetchall()))
        if m := re.fullmatch(r"/notes/(\d+)/delete", path):
            row = conn.execute("SELECT * FROM note WHERE id = ?", (int(m[1]),)).fetchone()
            return self._send(pages.note_confirm(row) if row else pages.not_found(), 200 if row else 404)
        if path == "/support":
            return self._send(pages.support({}, {}))
        return self._send(pages.not_found(), 404)

    def _search(self, q: dict[str, str], conn: sqlite3.Connection) -> None:
        text, category, max_price = q.get("q", ""), q.get("category", ""), q.get("max_price", "")
        sql = "SELECT * FROM product WHERE name LIKE ?"
        params: list[str | int] = [f"%{text}%"]
        if category:
            sql += " AND category = ?"
            params.append(category)
        try:
            limit = round(float(max_price.lstrip("$")) * 100) if max_price else None
        except ValueError:
            limit, max_price = None, ""
        if limit is not None:
            sql += " AND price_cents <= ?"
            params.append(limit)
        rows = conn.execute(sql + " ORDER BY name", params).fetchall()
        with self.state.lock, conn:
            conn.execute(
                "INSERT INTO event (kind, detail) VALUES ('search', ?)",
                (json.dumps({"q": text, "category": category, "max_price_cents": limit}),),
            )
        self._send(pages.results(text, category, max_price, db.CATEGORIES, rows))

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        form = _form(self)
        conn = self.state.connect()
        try:
            with self.state.lock:
                self._post(path, form, conn)
        finally:
            conn.close()

    def _post(self, path: str, form: dict[str, str], conn: sqlite3.Connection) -> None:
        if path == "/cart/add":
            with conn:
                conn.execute("INSERT INTO cart_item VALUES (?, 1) ON CONFLICT(product_id) DO UPDATE SET qty = qty + 1",
                             (int(form.get("product_id") or 0),))
            return self._redirect("/cart")
        if path == "/cart/remove":
            with conn:
                conn.execute("DELETE FROM cart_item WHERE product_id = ?", (int(form.get("product_id") or 0),))
            return self._redirect("/cart")
        if path == "/checkout":
            return self._checkout(form, conn)
        if path == "/profile":
            return self._profile(form, conn)
        if m := re.fullmatch(r"/(addresses|notes)/(\d+)/delete", path):
            table = {"addresses": "address", "notes": "note"}[m[1]]
            with conn:
                conn.execute(f"DELETE FROM {table} WHERE id = ?", (int(m[2]),))
            return self._redirect(f"/{m[1]}")
        if path == "/support":
            return self._support(form, conn)
        return self._send(pages.not_found(), 404)

    def _checkout(self, form: dict[str, str], conn: sqlite3.Connection) -> None:
        lines = _cart(conn)
        errors = validate_checkout(form)
        if not lines:
            errors["card"] = errors.get("card") or "the cart is empty"
        if errors:
            return self._send(pages.checkout(form, errors, lines), 422)
        with conn:
            cur = conn.execute(
                "INSERT INTO orders (full_name, street, city, zip, card_last4) VALUES (?, ?, ?, ?, ?)",
                (form["full_name"], form["street"], form["city"], form["zip"], form["card"].replace(" ", "")[-4:]),
            )
            conn.executemany(
                "INSERT INTO order_item VALUES (?, ?, ?, ?)",
                [(cur.lastrowid, r["product_id"], r["qty"], r["price_cents"]) for r in lines],
            )
            conn.execute("DELETE FROM cart_item")
        return self._send(pages.order_done(cur.lastrowid))

    def _profile(self, form: dict[str, str], conn: sqlite3.Connection) -> None:
        errors = validate_profile(form)
        if errors:
            return self._send(pages.profile(form, errors), 422)
        with conn:
            conn.execute(
                "UPDATE profile SET display_name = ?, email = ?, city = ? WHERE id = 1",
                (form["display_name"], form["email"], form["city"]),
            )
        return self._send(pages.profile(form, {}, saved=True))

    def _support(self, form: dict[str, str], conn: sqlite3.Connection) -> None:
        errors = validate_support(form)
        with conn:
            conn.execute("INSERT INTO event (kind, detail) VALUES ('support_submit', ?)", (json.dumps(sorted(errors)),))
        if errors:
            return self._send(pages.support(form, errors), 422)
        with conn:
            cur = conn.execute(
                "INSERT INTO ticket (email, order_ref, phone, message) VALUES (?, ?, ?, ?)",
                (form["email"], form["order_ref"], form["phone"], form["message"]),
            )
        return self._send(pages.support(form, {}, ticket_id=cur.lastrowid))


def make_handler(state: SiteState) -> type[SiteHandler]:
    """A handler class bound to one server's state (the server makes one handler per request)."""
    return type("BoundSiteHandler", (SiteHandler,), {"state": state})


def _cart(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT c.product_id, c.qty, p.name, p.price_cents FROM cart_item c JOIN product p ON p.id = c.product_id ORDER BY p.name"
    ).fetchall()


class SiteServer:
    """One server on 127.0.0.1 at a free port, in a daemon thread; `stop()` releases the port."""

    def __init__(self, state: SiteState):
        self.state = state
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError("site server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        if self._httpd is None:
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(self.state))
            httpd.daemon_threads = True
            self._thread = threading.Thread(target=httpd.serve_forever, name="site-server", daemon=True)
            self._thread.start()
            self._httpd = httpd
        return self.origin

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._thread = None
