"""Pages of the admin console: each is built as ``Page(desk, runner, parent)`` and has
``refresh()``, called when the console shows it."""
