"""Web tests drive real headless Chromium on local pages (no network)."""
