"""MiniWoB++ offline: the tasks bundled with the installed `miniwob` package, served from disk."""
