"""The admin console's pages: each ``Page(desk, runner, parent=None)`` with ``refresh()``."""
