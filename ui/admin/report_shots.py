"""The results report's screenshots (part of ``make screenshots``; alone:
``python -m ui.admin.report_shots OUT``).

A central store of its own, in a temporary folder, holding the built-in study with a few
hundred generated responses across the five footprints and some approved interviews
(`qi_capture.services.admin.demo`); its report made as ``qi-capture report`` makes it,
then seen as its readers see it: the web page's first screen in headless Chromium
(``report-html.png``), the PDF's contents page and a chart page by pdftoppm
(``report-pdf-1.png``, ``report-pdf-2.png``), the title slide and a chart slide through
LibreOffice (``report-slide-1.png``, ``report-slide-2.png``); and the console's Results
page on the same store (``admin-results.png``). A missing tool skips its pictures with a
line saying so; nothing else is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import QApplication

from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo import demo_central
from ui.admin.page_shots import Pump, open_console, run_alone

PASSPHRASE = "amber lantern orchard 58"
RESPONSES, INTERVIEWS = 300, 30
#: The PDF page and slide shown besides the contents page and the title slide: the first
#: whose text holds this heading (a section with histograms and their breakdown).
CHART_PAGE = "Staff trained in quality improvement"
CHART_SLIDE = "Leadership support and culture"
TIMEOUT = 180


def make_central(folder: Path) -> Path:
    """A central store with the built-in study and generated records (a few seconds)."""
    return demo_central(folder / "central", PASSPHRASE, responses=RESPONSES,
                        interviews=INTERVIEWS, seed=3)


def _tool(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, capture_output=True, text=True,
                          timeout=TIMEOUT)


def _say(text: str) -> None:
    print(text, flush=True)


def shoot_html(html: Path, out: Path, work: Path) -> Path | None:
    browser = _tool("chromium", "chromium-browser", "google-chrome", "chrome")
    if browser is None:
        _say("report-html.png skipped: no Chromium on this machine")
        return None
    profile = Path(tempfile.mkdtemp(prefix="chromium-", dir=work))
    path = out / "report-html.png"
    _run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
          "--window-size=1366,768", f"--screenshot={path}", html.as_uri()])
    _say(str(path))
    return path


def _page_of(pdf: Path, heading: str, pages: int) -> int | None:
    """The first page whose text holds ``heading`` (after the contents page)."""
    for page in range(3, pages + 1):
        text = _run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"]).stdout
        if heading in text:
            return page
    return None


def _pdf_page(tool: str, pdf: Path, page: int, path: Path, dpi: int) -> Path:
    stem = path.with_suffix("")
    _run([tool, "-r", str(dpi), "-png", "-singlefile", "-f", str(page), "-l", str(page),
          str(pdf), str(stem)])
    _say(str(path))
    return path


def _pages(pdf: Path) -> int:
    info = _run(["pdfinfo", str(pdf)]).stdout
    return next(int(line.split()[-1]) for line in info.splitlines()
                if line.startswith("Pages:"))


def shoot_pdf(pdf: Path, out: Path) -> list[Path]:
    tool = _tool("pdftoppm")
    if tool is None:
        _say("report-pdf-*.png skipped: no pdftoppm (poppler-utils) on this machine")
        return []
    chart_page = _page_of(pdf, CHART_PAGE, _pages(pdf)) if _tool("pdftotext") else None
    return [_pdf_page(tool, pdf, 2, out / "report-pdf-1.png", 80),
            _pdf_page(tool, pdf, chart_page or 3, out / "report-pdf-2.png", 80)]


def shoot_slides(pptx: Path, out: Path, work: Path) -> list[Path]:
    office = _tool("soffice", "libreoffice")
    tool = _tool("pdftoppm")
    if office is None or tool is None:
        _say("report-slide-*.png skipped: no LibreOffice (soffice) on this machine"
             if office is None else "report-slide-*.png skipped: no pdftoppm")
        return []
    from pptx import Presentation

    titles = [s.shapes.title.text if s.shapes.title is not None else ""
              for s in Presentation(str(pptx)).slides]
    chart_slide = next((i + 1 for i, t in enumerate(titles) if t == CHART_SLIDE), 2)
    converted = work / "slides"
    # A profile of its own: LibreOffice will not convert while another of its
    # processes holds the user's profile.
    _run([office, "--headless", f"-env:UserInstallation={(work / 'lo-profile').as_uri()}",
          "--convert-to", "pdf", "--outdir", str(converted), str(pptx)])
    deck = converted / "report.pdf"
    return [_pdf_page(tool, deck, 1, out / "report-slide-1.png", 72),
            _pdf_page(tool, deck, chart_slide, out / "report-slide-2.png", 72)]


def report_pngs(central: Path, out: Path, work: Path) -> list[Path]:
    """Make the report of ``central`` into ``work`` and shoot its files into ``out``."""
    folder = work / "report"
    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.report(folder, command=f"qi-capture report --central {central} --out {folder}")
    return [p for p in (shoot_html(folder / "report.html", out, work),
                        *shoot_pdf(folder / "report.pdf", out),
                        *shoot_slides(folder / "report.pptx", out, work)) if p is not None]


def shoot_results(app: QApplication, window: object, central: Path, out: Path,
                  pump: Pump) -> Path:
    """Open ``central`` in the console of ``window`` (a `MainWindow` with no central
    open) and shoot the Results page once its charts are drawn."""
    from ui.admin.pages.results import ResultsPage
    from ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    console = open_console(window, central, PASSPHRASE, pump)
    console.show_page("results")
    page = console.page("results")
    assert isinstance(page, ResultsPage)
    pump(lambda: page.preview is not None and bool(page.body.findChildren(QSvgWidget)))
    for _ in range(10):
        app.processEvents()
    path = out / "admin-results.png"
    window.grab().save(str(path))
    _say(str(path))
    window.close_central()
    return path


def main_report(app: QApplication, window: object, out: Path, pump: Pump) -> list[Path]:
    """Every report screenshot, from a central store made here in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="qi-report-shots-") as tmp:
        work = Path(tmp)
        central = make_central(work)
        made = report_pngs(central, out, work)
        made.append(shoot_results(app, window, central, out, pump))
        return made


if __name__ == "__main__":
    run_alone(main_report, timeout=TIMEOUT)
