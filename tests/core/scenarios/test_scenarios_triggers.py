"""The ``trigger`` column on pyxform's own test forms (pyxform-test__multiple_triggers.md,
pyxform-test__trigger_in_repeat.md, pyxform-test__dynamic_default_with_trigger.md).
Expectations are the ones each file's header copies from pyxform's tests: a triggered
field is set on its trigger's xforms-value-changed, never continuously; with no
calculation it is cleared; inside a repeat ``${one}`` means the same instance's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from qi_capture.forms import Form
from qi_capture.forms.session import FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

T0 = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)


def test_multiple_triggers(corpus: CorpusForm, start: Start) -> None:
    now = [T0]
    s = start(corpus("pyxform-test__multiple_triggers.md"), clock=lambda: now[0])
    # "b has no label/hint so it is hidden; c has a hint so it is shown".
    assert [(x.kind, x.element) for x in s.screens()] == [("field", "a"), ("field", "c")]
    # No continuous calculate bind: nothing is computed before ${a} changes.
    assert s.get("b") is None
    assert s.get("c") is None
    s.set("a", "first")
    assert s.get("b") == 2  # 1+1
    assert s.get("c") == T0  # now()
    now[0] = T0 + dt.timedelta(hours=2)
    assert s.get("c") == T0  # not recalculated by time passing
    s.set("a", "second")
    assert s.get("c") == T0 + dt.timedelta(hours=2)
    now[0] = T0 + dt.timedelta(hours=5)
    s.set("a", "second")  # the same value: no value-changed event
    assert s.get("c") == T0 + dt.timedelta(hours=2)


def test_trigger_in_repeat(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("pyxform-test__trigger_in_repeat.md"))
    # setvalue ref=rep/three value=string-length( ../one ) on rep/one's value change.
    assert s.raw("rep[1]/three") == ""
    s.set("rep[1]/one", "2024-01-02T03:04:05+00:00")
    assert s.raw("rep[1]/three") == "25"
    s.add_repeat("rep")
    assert s.raw("rep[2]/three") == ""
    s.set("rep[2]/one", "2024-01-02T03:04:05.123+01:00")
    assert s.raw("rep[2]/three") == "29"
    assert s.raw("rep[1]/three") == "25"  # the other instance's trigger did not fire


def test_dynamic_default_with_trigger(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus("pyxform-test__dynamic_default_with_trigger.md"))
    # q1 default '1 + 1' is set on first load and on each new instance.
    assert s.get("r1[1]/q1") == 2
    s.set("r1[1]/q2", "written")
    # q2 has trigger ${q1} and no calculation: cleared whenever q1 changes.
    s.set("r1[1]/q1", 5)
    assert s.get("r1[1]/q2") is None
    s.add_repeat("r1")
    assert s.get("r1[2]/q1") == 2
    s.set("r1[2]/q2", "kept")
    s.set("r1[1]/q2", "again")
    s.set("r1[1]/q1", 6)
    assert s.get("r1[1]/q2") is None
    assert s.get("r1[2]/q2") == "kept"  # ${q1} is the same instance's q1
