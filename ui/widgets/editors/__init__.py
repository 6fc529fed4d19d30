"""Question editors: one widget class per question type, found through `editor_for`.

Each editor shows one field and speaks stored text, as the form session stores answers
(``value()`` returns it, ``set_value()`` takes it); ``value_changed`` fires on the
interviewer's changes only, never on ``set_value``; ``committed`` fires on Enter, which
the filler turns into "next question".
"""

from __future__ import annotations

from ui.widgets.editors.base import Editor
from ui.widgets.editors.registry import EDITORS, editor_for

__all__ = ["EDITORS", "Editor", "editor_for"]
