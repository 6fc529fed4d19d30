"""The function library, one module per family, all registered in ``REGISTRY``.

Each module's docstring lists the choices it makes where ODK engines disagree; the rule
is ODK Collect (JavaRosa) unless FORMS.md says otherwise.
"""

from __future__ import annotations

from qi_capture.forms.expressions.functions import (  # noqa: F401  (registration)
    dates,
    geo,
    logic,
    nodesets,
    numbers,
    selects,
    strings,
)
from qi_capture.forms.expressions.functions.base import REGISTRY, FunctionImpl

__all__ = ["REGISTRY", "FunctionImpl"]
