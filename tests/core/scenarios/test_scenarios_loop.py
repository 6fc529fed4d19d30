"""``begin loop over`` on the corpus (pyxform__loop.md): one group per choice of the
list, as FORMS.md s3 and pyxform's expansion have it (the loop covers the ``other``
choice that ``or specify other`` adds), each asking its own question with the choice's
label in it."""

from __future__ import annotations

from collections.abc import Callable

from qi_capture.forms import Form
from qi_capture.forms.session import FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

LOOP = "pyxform__loop.md"
KINDS = ["pit_latrine_with_slab", "open_pit_latrine", "bucket_system", "other"]


def test_the_loop_asks_once_per_toilet_type(corpus: CorpusForm, start: Start) -> None:
    s = start(corpus(LOOP))
    keys = [x.key for x in s.screens()]
    assert keys == ["available_toilet_types", "available_toilet_types_other",
                    *(f"loop_toilet_types/{kind}/number" for kind in KINDS)]
    assert s.label("loop_toilet_types/open_pit_latrine/number") == (
        "How many Pit latrine without slab/open pit are on the premises?")
    assert s.label("loop_toilet_types/other") == "Other"
    s.set("available_toilet_types", ["bucket_system", "other"])
    s.set("available_toilet_types_other", "composting")
    s.set("loop_toilet_types/bucket_system/number", 2)
    s.set("loop_toilet_types/other/number", 1)
    assert s.errors() == []
    assert s.to_submission()["data"] == {
        "available_toilet_types": "bucket_system other",
        "available_toilet_types_other": "composting",
        "loop_toilet_types": {
            "pit_latrine_with_slab": {"number": ""},
            "open_pit_latrine": {"number": ""},
            "bucket_system": {"number": "2"},
            "other": {"number": "1"},
        },
        "meta": {"instanceID": s.instance_id},
    }
