"""Two versions of a small form with languages, selects and a repeat, and records for it."""

from __future__ import annotations

import textwrap
import uuid

from qi_capture.central.store import CentralStore
from qi_capture.forms import load_form_bytes
from qi_capture.forms.model import Form
from tests.core.central.helpers import FakeDevice

FORM_ID = "exp"

V1 = textwrap.dedent("""
    | survey   |                      |          |                       |                      |
    |          | type                 | name     | label::English (en)   | label::Français (fr) |
    |          | text                 | org      | Organisation          | Organisation FR      |
    |          | integer              | staff    | Staff trained         | Personnel formé      |
    |          | select_one method    | method   | Main method           | Méthode principale   |
    |          | select_multiple bar  | barriers | Barriers              | Obstacles            |
    |          | text                 | old_q    | Dropped later         | Supprimée            |
    |          | begin_repeat         | team     | Team                  | Équipe               |
    |          | text                 | role     | Role                  | Rôle                 |
    |          | integer              | years    | Years                 | Années               |
    |          | end_repeat           |          |                       |                      |
    | choices  |                      |          |                       |                      |
    |          | list_name            | name     | label::English (en)   | label::Français (fr) |
    |          | method               | pdsa     | PDSA cycles           | Cycles PDSA          |
    |          | method               | lean     | Lean                  | Lean FR              |
    |          | bar                  | time     | No time               | Pas le temps         |
    |          | bar                  | money    | No money              | Pas d'argent         |
    | settings |                      |          |                       |                      |
    |          | form_id              | version  | default_language      |                      |
    |          | exp                  | 1        | English (en)          |                      |
""")
V2 = (
    V1.replace("|          | text                 | old_q    | Dropped later         | Supprimée            |\n", "")
    .replace("| exp                  | 1        |", "| exp                  | 2        |")
    .replace(
        "|          | begin_repeat         | team ",
        "|          | text                 | new_q    | Added later           | Ajoutée              |\n"
        "|          | begin_repeat         | team ",
    )
)


def forms() -> list[Form]:
    return [load_form_bytes(V1.encode(), "exp.md"), load_form_bytes(V2.encode(), "exp.md")]


def add_forms(central: CentralStore) -> list[Form]:
    import json

    compiled = forms()
    for form in compiled:
        central.add_form(study_id="qi", form_id=form.form_id, version=form.version,
                         title=form.title, sha256=form.source_sha256,
                         compiled_json=json.dumps(form.to_json()))
    return compiled


def fill(central: CentralStore) -> dict[str, uuid.UUID]:
    """Four records: two in v1 (one with two team members), one in v2, one deleted."""
    a = FakeDevice("Laptop A")
    central.enrol(a.id, name=a.name, fingerprint=a.fingerprint, public_key=a.public_key)
    ids = {k: uuid.uuid4() for k in ("r1", "r2", "r3", "gone")}
    revs = [
        a.revision(ids["r1"], {"org": "Trust One", "staff": "12", "method": "pdsa",
                               "barriers": "time money", "old_q": "legacy",
                               "team[1]/role": "Lead", "team[1]/years": "3",
                               "team[2]/role": "Nurse", "team[2]/years": "10"},
                   version="1", form_id=FORM_ID),
        a.revision(ids["r2"], {"org": "Trust Two", "staff": "0", "method": "lean",
                               "barriers": "money"}, version="1", form_id=FORM_ID),
        a.revision(ids["r3"], {"org": "Trust Three", "staff": "5", "new_q": "fresh",
                               "team[1]/role": "Manager"}, version="2", form_id=FORM_ID),
    ]
    gone = a.revision(ids["gone"], {"org": "Mistake"}, version="2", form_id=FORM_ID)
    deleted = a.revision(ids["gone"], {}, parents=[gone.id], deleted=True, version="2",
                         form_id=FORM_ID)
    central.merge(a.bundle([*revs, gone, deleted]))
    return ids
