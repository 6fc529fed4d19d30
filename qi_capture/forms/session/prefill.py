"""What a record gets without being asked: defaults, metadata fields, the end stamp.

``Prefill`` owns the values the session writes into metadata fields (the device and user
in ``SessionEnvironment``, the record's instance id) and the conversion of a computed value
into a field's stored text, shared with calculations.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass

from qi_capture.forms.expressions import ExpressionError
from qi_capture.forms.expressions.coerce import to_number, to_stored
from qi_capture.forms.model import Element
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.answers import to_stored as answer_text
from qi_capture.forms.session.evaluator import Evaluator
from qi_capture.forms.session.instance import FieldNode, GroupNode, iter_nodes


@dataclass(frozen=True, slots=True)
class SessionEnvironment:
    """Values the session writes into metadata fields (deviceid, username, ...)."""

    device_id: str = ""
    username: str = ""
    email: str = ""
    phone_number: str = ""


class Prefill:
    """Defaults and metadata of one record."""

    __slots__ = ("_evaluator", "environment", "instance_id")

    def __init__(self, evaluator: Evaluator, environment: SessionEnvironment,
                 instance_id: str) -> None:
        self._evaluator = evaluator
        self.environment = environment
        self.instance_id = instance_id

    def apply_defaults(self, start: GroupNode, first_load: bool) -> None:
        for node in iter_nodes(start):
            if not isinstance(node, FieldNode) or node.raw:
                continue
            element = node.element
            if element.default is not None:
                try:
                    node.raw = answer_text(element, element.default)
                except AnswerError:
                    node.raw = element.default
            elif element.dynamic_default is not None and first_load:
                with contextlib.suppress(ExpressionError):
                    node.raw = stored_result(
                        element, self._evaluator.eval(element.dynamic_default, node))

    def fill_metadata(self, start: GroupNode | None = None) -> None:
        now = self._evaluator.clock()
        env = self.environment
        values = {
            "start": now.isoformat(timespec="milliseconds"),
            "today": now.date().isoformat(),
            "deviceid": env.device_id,
            "username": env.username,
            "email": env.email,
            "phonenumber": env.phone_number,
        }
        for node in iter_nodes(start or self._evaluator.tree.root):
            if not isinstance(node, FieldNode):
                continue
            kind = node.element.preload or node.element.type
            if kind == "instanceID" or node.element.name == "instanceID":
                node.raw = self.instance_id
            elif kind in values and not node.raw:
                node.raw = values[kind]

    def stamp_end(self) -> None:
        now = self._evaluator.clock().isoformat(timespec="milliseconds")
        for node in iter_nodes(self._evaluator.tree.root):
            if isinstance(node, FieldNode) and (node.element.preload or node.element.type) == "end":
                node.raw = now


def stored_result(element: Element, value: object) -> str:
    """A computed value as ``element`` stores it."""
    if element.data_type == "date" and isinstance(value, dt.datetime):
        # A date field keeps YYYY-MM-DD (FORMS.md s3) when given a dateTime (now()).
        return value.date().isoformat()
    if element.data_type == "int":
        number = to_number(value)
        if isinstance(value, str) and value == "":
            return ""
        return str(int(number)) if math.isfinite(number) else ""
    return to_stored(value)
