"""Built-in environments, one folder per embodiment: robot/ (MuJoCo), web/ (Playwright),
android/ (ADB). Each folder's `register()` is an `agentloop.envs` entry point."""
