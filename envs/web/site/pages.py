"""Server-rendered HTML for the site. Every input has a visible <label> and an aria-label so its
accessible name is its label; irreversible buttons carry `data-irreversible`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

IRREVERSIBLE_ATTR = "data-irreversible"
IRREVERSIBLE_SELECTOR = f"[{IRREVERSIBLE_ATTR}]"

NAV = (
    '<nav><a href="/">Shop</a> | <a href="/cart">Cart</a> | <a href="/profile">Profile</a> | '
    '<a href="/addresses">Addresses</a> | <a href="/notes">Notes</a> | <a href="/support">Support</a></nav>'
)


def money(cents: int) -> str:
    return f"${cents / 100:.2f}"


def layout(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:16px;max-width:820px}label{display:block;margin-top:6px}"
        ".error{color:#b00}li{margin:4px 0}</style></head>"
        f"<body>{NAV}<h1>{escape(title)}</h1>{body}</body></html>"
    )


def field(name: str, label: str, value: str = "", error: str | None = None, kind: str = "text") -> str:
    err = f'<div class="error" role="alert">{escape(label)}: {escape(error)}</div>' if error else ""
    return (
        f'<label for="{name}">{escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" aria-label="{escape(label)}" value="{escape(value)}">{err}'
    )


def button(text: str, irreversible: bool = False) -> str:
    mark = f' {IRREVERSIBLE_ATTR}="true" class="irreversible"' if irreversible else ""
    return f'<button type="submit"{mark}>{escape(text)}</button>'


def search_form(q: str = "") -> str:
    return f'<form action="/search" method="get">{field("q", "Search products", q)} {button("Search")}</form>'


def home() -> str:
    return layout("Shop", search_form() + "<p>Search the catalogue, filter, and order.</p>")


def results(q: str, category: str, max_price: str, categories: Iterable[str], rows: list[Mapping]) -> str:
    opts = "".join(
        f'<option value="{escape(c)}"{" selected" if c == category else ""}>{escape(c or "All categories")}</option>'
        for c in ["", *categories]
    )
    filters = (
        '<form action="/search" method="get">'
        f'<input type="hidden" name="q" value="{escape(q)}">'
        f'<label for="category">Category</label><select id="category" name="category" aria-label="Category">{opts}</select>'
        f'{field("max_price", "Max price", max_price)} {button("Apply filters")}</form>'
    )
    scope = f" in {category}" if category else ""
    limit = f" up to ${max_price}" if max_price else ""
    summary = f'<p id="summary">Showing {len(rows)} results for “{escape(q)}”{escape(scope)}{escape(limit)}</p>'
    items = "".join(
        f'<li><a href="/product/{r["id"]}">{escape(r["name"])} — {money(r["price_cents"])}</a> ({escape(r["category"])})</li>'
        for r in rows
    )
    return layout("Search results", search_form(q) + filters + summary + f"<ul id='results'>{items}</ul>")


def product(row: Mapping) -> str:
    body = (
        f'<p>{escape(row["name"])} · {escape(row["category"])} · {money(row["price_cents"])}</p>'
        f'<form action="/cart/add" method="post"><input type="hidden" name="product_id" value="{row["id"]}">'
        f'{button("Add to cart")}</form>'
    )
    return layout(f"Product: {row['name']}", body)


def cart(rows: list[Mapping]) -> str:
    if not rows:
        return layout("Cart", "<p>Your cart is empty.</p>")
    items = "".join(
        f'<li>In cart: {escape(r["name"])} × {r["qty"]} — {money(r["price_cents"] * r["qty"])}'
        f' <form style="display:inline" action="/cart/remove" method="post">'
        f'<input type="hidden" name="product_id" value="{r["product_id"]}">{button("Remove " + r["name"])}</form></li>'
        for r in rows
    )
    return layout("Cart", f"<ul>{items}</ul><a href='/checkout'>Proceed to checkout</a>")


CHECKOUT_FIELDS = [("full_name", "Full name"), ("street", "Street"), ("city", "City"), ("zip", "ZIP code"), ("card", "Card number")]


def checkout(values: Mapping[str, str], errors: Mapping[str, str], lines: list[Mapping]) -> str:
    summary = "".join(f"<li>Order line: {escape(r['name'])} × {r['qty']}</li>" for r in lines)
    fields = "".join(field(n, label, values.get(n, ""), errors.get(n)) for n, label in CHECKOUT_FIELDS)
    return layout(
        "Checkout",
        f"<ul>{summary}</ul><form action='/checkout' method='post'>{fields} {button('Place order', True)}</form>",
    )


def order_done(order_id: int) -> str:
    return layout("Order confirmed", f"<p>Order #{order_id} is placed.</p><a href='/'>Back to shop</a>")


PROFILE_FIELDS = [("display_name", "Display name"), ("email", "Email"), ("city", "City")]


def profile(values: Mapping[str, str], errors: Mapping[str, str], saved: bool = False) -> str:
    fields = "".join(field(n, label, values.get(n, ""), errors.get(n)) for n, label in PROFILE_FIELDS)
    note = "<p role='status'>Profile saved.</p>" if saved else ""
    return layout("Profile", f"{note}<form action='/profile' method='post'>{fields} {button('Save profile')}</form>")


def addresses(rows: list[Mapping]) -> str:
    items = "".join(
        f'<li>{escape(r["label"])}: {escape(r["street"])}, {escape(r["city"])} {escape(r["zip"])}'
        f' <form style="display:inline" action="/addresses/{r["id"]}/delete" method="post">'
        f'{button("Delete " + r["label"], True)}</form></li>'
        for r in rows
    )
    return layout("Saved addresses", f"<ul>{items}</ul>" if items else "<p>No saved addresses.</p>")


def notes(rows: list[Mapping]) -> str:
    items = "".join(
        f'<li>{escape(r["title"])} <a href="/notes/{r["id"]}/delete">Delete “{escape(r["title"])}”</a></li>' for r in rows
    )
    return layout("Notes", f"<ul>{items}</ul>" if items else "<p>No notes.</p>")


def note_confirm(row: Mapping) -> str:
    body = (
        f'<p>Delete the note “{escape(row["title"])}”? This cannot be undone.</p>'
        f'<form action="/notes/{row["id"]}/delete" method="post">{button("Confirm delete", True)}</form>'
        "<a href='/notes'>Cancel</a>"
    )
    return layout("Confirm delete", body)


SUPPORT_FIELDS = [("email", "Email"), ("order_ref", "Order number"), ("phone", "Phone"), ("message", "Message")]


def support(values: Mapping[str, str], errors: Mapping[str, str], ticket_id: int | None = None) -> str:
    if ticket_id is not None:
        return layout("Ticket received", f"<p>Ticket #{ticket_id} is filed.</p>")
    banner = (
        f"<p class='error' role='alert'>The form has {len(errors)} error(s).</p>" if errors else ""
    )
    fields = "".join(field(n, label, values.get(n, ""), errors.get(n)) for n, label in SUPPORT_FIELDS)
    return layout("Support", f"{banner}<form action='/support' method='post'>{fields} {button('Send ticket')}</form>")


def not_found() -> str:
    return layout("Not found", "<p>No such page.</p>")
