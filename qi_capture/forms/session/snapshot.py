"""A record's answers as plain data, and back: what submissions and drafts hold.

Values are the stored text of each field, nested as the form's groups; repeats are lists
of instances. Restoring checks the shapes (an object per group, a list per repeat, text
per field) and says where one is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.instance import GroupNode, RepeatSlot, new_repeat_instance


def values(group: GroupNode, relevant_only: bool) -> dict[str, Any]:
    """The stored text of every field below ``group`` as nested objects, repeats as
    lists of instances (``relevant_only``: what a submission holds)."""
    out: dict[str, Any] = {}
    for item in group.items:
        name = item.element.name
        if isinstance(item, RepeatSlot):
            out[name] = [values(inst, relevant_only) for inst in item.instances
                         if not relevant_only or inst.relevant()]
        elif relevant_only and not item.relevant():
            continue
        elif isinstance(item, GroupNode):
            out[name] = values(item, relevant_only)
        else:
            out[name] = item.raw
    return out


def load_values(group: GroupNode, data: Mapping[str, Any]) -> None:
    """Put ``values()`` output back into a tree without instances (restoring a record);
    nothing is recomputed here."""
    if not isinstance(data, Mapping):
        raise AnswerError(f"expected an object for group '{group.element.name}'",
                          group=group.element.name)
    for item in group.items:
        name = item.element.name
        if name not in data:
            continue
        value = data[name]
        if isinstance(item, RepeatSlot):
            if not isinstance(value, list):
                raise AnswerError(f"expected a list of instances for repeat '{name}'",
                                  repeat=name)
            for index, instance_data in enumerate(value):
                instance = new_repeat_instance(item, index)
                item.insert(index, instance)
                load_values(instance, instance_data)
        elif isinstance(item, GroupNode):
            load_values(item, value)
        else:
            if not isinstance(value, str):
                raise AnswerError(f"expected text for '{name}', got {type(value).__name__}",
                                  field=name)
            item.raw = value

