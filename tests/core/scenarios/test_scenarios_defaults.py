"""Dynamic defaults in nested repeats on pyxform's own test forms
(pyxform-test__dynamic_default_nested_repeat.md, pyxform-test__indexed_repeat_nested_default.md).
As each file's header says (from pyxform's tests): a dynamic default is a setvalue on
odk-instance-first-load and on odk-new-repeat, evaluated once, never continuously;
``${q1}`` in a nested repeat is the enclosing instance's; arguments 1, 2 and 4 of
indexed-repeat() are absolute."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from qi_capture.forms import Form
from qi_capture.forms.session import FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

T0 = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)


def test_dynamic_default_in_nested_repeat(corpus: CorpusForm, start: Start) -> None:
    now = [T0]
    s = start(corpus("pyxform-test__dynamic_default_nested_repeat.md"), clock=lambda: now[0])
    # q0 is a date with default now(): the date part, stored as YYYY-MM-DD (FORMS.md s3).
    assert s.raw("r1[1]/q0") == "2024-03-01"
    assert s.get("r1[1]/q0") == dt.date(2024, 3, 1)
    # q2 default ${q1}: q1 was empty when the instance was created.
    assert s.raw("r1[1]/r2[1]/q2") == ""
    s.set("r1[1]/q1", 3)
    assert s.raw("r1[1]/r2[1]/q2") == ""  # not recalculated
    s.add_repeat("r1[1]/r2")
    assert s.raw("r1[1]/r2[2]/q2") == "3"  # new r2 instance: ${q1} of its r1 instance
    now[0] = dt.datetime(2024, 3, 5, 8, 0, tzinfo=dt.UTC)
    s.add_repeat("r1")
    assert s.raw("r1[2]/q0") == "2024-03-05"  # new r1 instance: now() again
    assert s.raw("r1[1]/q0") == "2024-03-01"
    # A new r1 instance is a copy of r1's template: no r2 instance until one is added.
    assert s.repeat_count("r1[2]/r2") == 0
    s.set("r1[2]/q1", 7)
    s.add_repeat("r1[2]/r2")
    assert s.raw("r1[2]/r2[1]/q2") == "7"
    assert s.raw("r1[1]/r2[2]/q2") == "3"


def test_indexed_repeat_as_nested_default(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("pyxform-test__indexed_repeat_nested_default.md"))
    # q4 default indexed-repeat(${q3}, ${r1}, 1, ${r2}, 2): the 2nd person of the 1st
    # family, who does not exist at first load.
    assert s.raw("r1[1]/r2[1]/q4") == ""
    s.set("r1[1]/r2[1]/q3", "Ann")
    s.add_repeat("r1[1]/r2")
    assert s.raw("r1[1]/r2[2]/q4") == ""  # its own q3 is still empty when it is created
    s.set("r1[1]/r2[2]/q3", "Bob")
    s.add_repeat("r1[1]/r2")
    assert s.raw("r1[1]/r2[3]/q4") == "Bob"
    s.add_repeat("r1")
    assert s.repeat_count("r1[2]/r2") == 0  # a new family starts with no person
    s.add_repeat("r1[2]/r2")
    assert s.raw("r1[2]/r2[1]/q4") == "Bob"  # absolute: family 1, not the new family
    s.set("r1[1]/r2[2]/q3", "Rob")
    assert s.raw("r1[2]/r2[1]/q4") == "Bob"  # a default, not a calculation
    assert s.raw("r1[1]/r2[1]/q4") == ""
