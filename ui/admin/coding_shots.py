"""The Coding page's screenshots (part of ``make screenshots``; alone:
``python -m ui.admin.coding_shots OUT``).

A central store of its own, in a temporary folder: the built-in study with generated
stakeholder interviews (`qi_capture.services.admin.demo`), the first few written out in
full, with the field's quick tags in their notes; two analysts have coded some of them
(through the coding service, as the page does). Then the console's Coding page:
a transcript with its codes in the margin (``admin-coding.png``), a code's passages
(``admin-coding-passages.png``), two coders compared (``admin-coding-compare.png``) and
the codes-by-group matrix with a cell's quotes (``admin-coding-matrix.png``).
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.demo import (
    INTERVIEW,
    STUDY_ID,
    insert_records,
    interview,
    register_builtin,
)
from qi_capture.storage.profile import Profile

PASSPHRASE = "amber lantern orchard 58"
INTERVIEWS = 24
Pump = Callable[[Callable[[], bool]], None]
ANALYSTS = ("Sam Lee", "Ana Costa")
ORGS = ("Riverside NHS FT", "Northgate Community Trust", "Kingsway Hospitals NHS FT",
        "Hilltop Trust", "Westfield PCN", "St Anne's Mental Health FT", "Eastbank ICB",
        "Southbank Partners")
#: Short role names for the interviews' instance names (the laptop computes them).
ROLES = {"improvement_lead": "Improvement lead", "medical_director": "Medical director",
         "nursing_director": "Nursing director", "commissioner": "Commissioner",
         "education_lead": "Education lead", "ahsn_staff": "AHSN", "other": "COO"}
#: The interview the transcript shot shows, written out in full.
FIRST: dict[str, str] = {
    "approach/approach_overview":
        "One organisation-wide method (Model for Improvement) for four years, led by a small "
        "QI team of six. Linked to the strategy on paper, but staff have no protected time, "
        "so projects stall when the wards are busy. #barrier",
    "approach/approach_methods":
        "PDSA cycles on most wards; SPC charts only where the data team has built them. "
        "Corporate teams use Lean for outpatients. #example",
    "approach/key_quote_approach":
        "We do not need another method, we need time to use the one we have. #barrier",
    "capability/capability_training":
        "Awareness training for all new starters; practitioner course twice a year, mostly "
        "nurses and AHPs. Doctors rarely come. #follow-up",
    "capability/capability_after":
        "A coach is assigned for three months after the course; people who get a coach are "
        "far more likely to run a second project. #enabler",
    "leadership/leadership_board":
        "The chief executive comes to the Friday huddle and asks about the run charts; "
        "people notice, and the board now sees one QI story a month. #enabler",
    "leadership/key_quote_leadership":
        "When the chief executive comes to the huddle, people notice.",
    "barriers/barriers_main":
        "Time above all. Funding is year to year, so nothing is sustained once the money "
        "stops. Analysts are hard to find. #barrier",
    "future_support/future_london":
        "A London network would stop us all reinventing the same wheel: shared coaches, "
        "one place for results. #idea",
}


def make_central(folder: Path) -> Path:
    """The central store: the built-in study and generated interviews, named."""
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    rng = random.Random(17)
    start = datetime(2026, 1, 26, tzinfo=UTC)
    records = []
    for i in range(INTERVIEWS):
        rec = interview(rng, i, start, 45)
        answers = dict(rec.answers)
        if i == 0:
            answers.update(FIRST)
            answers["consent_quotes"] = "yes"
            answers["participant/participant_role"] = "medical_director"
        role = str(answers.get("participant/participant_role", ""))
        org = ORGS[0] if i == 0 else ORGS[1 + i % (len(ORGS) - 1)]
        name = f"{org} · {ROLES.get(role, 'Interview')}"
        records.append(dataclasses.replace(rec, answers=answers, name=name,
                                           status="approved" if i % 5 else rec.status))
    with CentralStore.open(folder, PASSPHRASE) as central:
        versions = register_builtin(central)
        insert_records(central, STUDY_ID, INTERVIEW, versions[INTERVIEW], records, seed=7)
    return folder


def code_as_analysts(desk: AdminDesk) -> None:
    """Two analysts code the first interviews: words within the notes, some alike, some
    not; a code of their own under Barrier; a memo on a passage."""
    first = desk.coding(coder=ANALYSTS[0])
    first.codebook()
    barrier = first.code("Barrier")
    time = first.create_code("Protected time", parent=barrier.guid, colour="#E67E22",
                             description="No time set aside for improvement work.")
    data = first.create_code("Data and analysts", colour="#1F618D",
                             description="Access to data, charts and analytical help.")
    coaching = first.create_code("Coaching", colour="#117A65",
                                 description="Coaches and follow-up after training.")
    every = first.interviews()
    interviews = sorted(every, key=lambda r: not r.name.startswith(ORGS[0]))[:6]
    for n, coder in enumerate(ANALYSTS):
        coding = first if n == 0 else desk.coding(coder=coder)
        for i, ref in enumerate(interviews):
            transcript = coding.transcript(ref.record_id)
            for section in transcript.sections:
                for item in section.items:
                    _code_words(coding, ref.record_id, item.field, item.text,
                                {"protected time": time.guid, "no time": time.guid,
                                 "Time above all": time.guid,
                                 "Analysts are hard to find": data.guid,
                                 "SPC charts": data.guid,
                                 "A coach is assigned": coaching.guid},
                                skip=(n == 1 and i % 2 == 1))
    passage = next(c for c in first.transcript(interviews[0].record_id).codings
                   if c.coder == ANALYSTS[0])
    first.set_memo("Ties in with the staffing pressures in section 3.",
                   passage=passage.passage)


def _code_words(coding: CodingDesk, record: object, field: str, text: str,
                words: dict[str, object], *, skip: bool) -> None:
    for phrase, code in words.items():
        at = text.find(phrase)
        if at < 0 or (skip and code == next(iter(words.values()))):
            continue
        coding.apply_codes(record, field, at, at + len(phrase), [code])  # type: ignore[arg-type,list-item]


def shoot_coding(app: QApplication, window: object, central: Path, out: Path,
                 pump: Pump) -> list[Path]:
    """Open ``central`` in the console of ``window`` (a `MainWindow` with no central
    open) and shoot the Coding page's views."""
    from ui.admin.pages.coding import CodingPage
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    dialog = window.open_central()
    assert dialog is not None
    dialog.folder.setText(str(central))
    dialog.passphrase.setText(PASSPHRASE)
    pump(lambda: dialog.isVisible())
    dialog.open_button.click()
    pump(lambda: window.console is not None)
    console = window.console
    assert console is not None
    page = console.page("coding")
    assert isinstance(page, CodingPage)
    page.coder.setText(ANALYSTS[0])
    console.show_page("coding")
    pump(lambda: page.transcript.view.transcript is not None
         and page.session.tree.rowCount() > 0 and page.session.coder == ANALYSTS[0])
    made: list[Path] = []

    def shot(name: str, widget: QWidget | None = None) -> None:
        for _ in range(10):
            app.processEvents()
        path = out / f"{name}.png"
        (widget or window).grab().save(str(path))
        print(path, flush=True)
        made.append(path)

    view = page.transcript.view
    first = next(r for r in range(page.transcript.interviews.rowCount())
                 if page.transcript.interviews.interview_at(r).name.startswith(ORGS[0]))
    page.transcript.list.selectRow(first)
    pump(lambda: view.transcript is not None and view.transcript.name.startswith(ORGS[0]))
    view.select("approach/approach_methods", 0, len("PDSA cycles on most wards"))
    view.verticalScrollBar().setValue(0)
    shot("admin-coding")

    time = next((c for c in page.session.codes.values() if c.name == "Protected time"), None)
    if time is not None:
        page.codebook.select_code(time.guid)
    page.tabs.setCurrentWidget(page.passages)
    pump(lambda: page.passages.model.rowCount() > 0)
    page.passages.table.selectRow(0)
    shot("admin-coding-passages")

    page.tabs.setCurrentWidget(page.compare)
    compare = page.compare
    pump(lambda: compare.coder_a.findText(ANALYSTS[1]) >= 0)
    compare.coder_a.setCurrentIndex(compare.coder_a.findText(ANALYSTS[0]))
    compare.coder_b.setCurrentIndex(compare.coder_b.findText(ANALYSTS[1]))
    compare.compare()
    pump(lambda: compare.comparison is not None)
    if compare.differences.rowCount():
        compare.diff_table.selectRow(0)
    shot("admin-coding-compare")

    page.tabs.setCurrentWidget(page.matrix)
    matrix = page.matrix
    pump(lambda: matrix.model.matrix is not None)
    m = matrix.model.matrix
    assert m is not None
    shown = next(((r, c + 1) for r, row in enumerate(m.rows)
                  for c, cell in enumerate(row.cells) if cell.quotes), None)
    if shown is not None:
        matrix.table.setCurrentIndex(matrix.model.index(*shown))
    shot("admin-coding-matrix")
    window.close_central()
    return made


def main_coding(app: QApplication, window: object, out: Path, pump: Pump) -> list[Path]:
    """Every Coding page screenshot, from a central store made here."""
    with tempfile.TemporaryDirectory(prefix="qi-coding-shots-") as tmp:
        central = make_central(Path(tmp) / "central")
        with AdminDesk.open(central, PASSPHRASE) as desk:
            code_as_analysts(desk)
        return shoot_coding(app, window, central, out, pump)


def main(argv: list[str]) -> int:
    from qi_capture.services import ProfileService
    from ui.app import create_application
    from ui.main_window import MainWindow
    from ui.screenshots import pump

    out = Path(argv[1] if len(argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(argv[:1])
    with tempfile.TemporaryDirectory(prefix="qi-shots-") as data:
        window = MainWindow(ProfileService(Path(data)))
        window.resize(1366, 768)
        window.show()
        main_coding(app, window, out, lambda until: pump(app, until, timeout=120))
        window.close()
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    # As ui.screenshots: skip interpreter teardown (PySide6 can crash collecting Qt
    # wrappers at exit, after every file is written).
    os._exit(code)
