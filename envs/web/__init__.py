"""The web env: Playwright + Chromium, MiniWoB++ offline and the local multi-page site."""


def register() -> None:
    """Register `agentloop/miniwob.<task>` for every bundled task, lazily (no Playwright
    import here), and the local site's tasks when that package is present."""
    from agentloop.registry import register as reg

    try:
        from agentloop.envs.web.miniwob.descriptions import describe
        from agentloop.envs.web.miniwob.tasks import html_root, task_names
        names = task_names()
    except ImportError:
        names = []
    for t in names:
        reg(f"agentloop/miniwob.{t}", "agentloop.envs.web.env:WebEnv", max_episode_steps=30,
            description=f"MiniWoB++: {describe(html_root().parent, t)}",
            task="agentloop.envs.web.miniwob.tasks:make", task_kwargs={"task": t}, viewport=(400, 420))
    try:
        from agentloop.envs.web import site
    except ImportError:
        return
    if hasattr(site, "register"):
        site.register()
