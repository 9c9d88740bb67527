"""JSON that is safe inside an HTML `<script>` element and in a `.js` file the report loads.

`json.dumps` leaves `<`, `>` and `&` as they are, so a string holding `</script>` would end
the element it sits in and whatever follows would run as markup. Writing those characters
(and the two line separators JavaScript once treated as newlines) as `\\uXXXX` escapes keeps
the value identical for JavaScript and inert for the HTML parser. The text is a JavaScript
literal (a NaN reads as `NaN`), meant for assignments in scripts, not for `JSON.parse`.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_ESCAPES)


def script_json(value: Any) -> str:
    """`value` as compact JSON with every character that could close a script element escaped."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_TABLE)


def script_markup(value: Any) -> Markup:
    """`script_json` for a template: safe to place verbatim between `<script>` tags."""
    return Markup(script_json(value))  # every character that could end the script is escaped
