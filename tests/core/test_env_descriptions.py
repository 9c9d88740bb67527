"""`agentloop list` says what each env's task is: a site task's whole description, and each MiniWoB++ task in
the `miniwob` package's own words, not one line shared by all of them."""

from __future__ import annotations

import pytest

from agentloop import registry


def descriptions(family: str) -> dict[str, str]:
    return {e.id: e.description for e in registry.list_envs() if e.family == family}


def test_site_descriptions_are_whole():
    site = descriptions("site")
    assert site and all(text.endswith(".") for text in site.values()), site
    assert site["agentloop/site.support"].endswith("so the agent must read the errors and fix them.")


def test_miniwob_tasks_say_what_they_ask():
    found = descriptions("miniwob")
    if not found:
        pytest.skip("the miniwob package is not installed")
    texts = {env_id: text.removeprefix("MiniWoB++: ") for env_id, text in found.items()}
    assert all(len(t) > 10 and "(offline)" not in t for t in texts.values()), texts
    assert len(set(texts.values())) >= 0.95 * len(texts)  # each its own, not one shared line
    assert texts["agentloop/miniwob.click-button"] == "Click on a specific button in a generated form."
    forward = texts["agentloop/miniwob.email-inbox-forward-nl-turk"]
    assert forward.startswith("Navigate through an email inbox") and "For example:" in forward
    assert texts["agentloop/miniwob.simon-says"] == "Push the buttons in the order displayed."  # from its page
