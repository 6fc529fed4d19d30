"""The questionnaire engine: XLSForm loading, the compiled form model, expressions.

Public API (tests and tools rely on these names)::

    from qi_capture.forms import load_form, load_form_bytes, Form, FormError, FormIssue

``load_form(path)`` reads an XLSForm with pyxform, checks it with our expression engine and
compiles it into an immutable ``Form`` whose ``to_json()`` the store keeps beside records;
``Form.from_json()`` reopens it without pyxform. ``FormError.errors`` lists every problem.
"""

from __future__ import annotations

from qi_capture.forms.errors import FormError
from qi_capture.forms.loader import load_form, load_form_bytes
from qi_capture.forms.model import Form, FormIssue

__all__ = ["Form", "FormError", "FormIssue", "load_form", "load_form_bytes"]
