"""The report's files as their readers see them: the web page in a real headless
Chromium (a screenshot that is not blank, no network request made, nothing unescaped),
the PDF's pages rendered by pdftoppm, the slide deck read back by python-pptx."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation

from qi_capture.services.admin import AdminDesk
from tests.core.report.conftest import PASSPHRASE
from tests.needs import chromium, pdftoppm


@pytest.fixture(scope="module")
def report_dir(fixture_study: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "out"
    invited = out.parent / "invited.csv"
    invited.write_text("name,footprint,type\n<script>alert(1)</script> Trust,north_west,acute\n",
                       encoding="utf-8")
    with AdminDesk.open(fixture_study, PASSPHRASE) as desk:
        result = desk.report(out, min_cell=2, invited=invited, command="qi-capture report")
    assert [p.name for p in result.files] == ["results.json", "report.html", "report.pdf",
                                              "report.pptx"]
    assert not list(out.glob(".*partial"))  # no temporary file left behind
    return out


def _not_blank(path: Path) -> None:
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20, f"{path.name} looks blank"


def test_html_is_self_contained_and_escaped(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text("utf-8")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Trust" in html
    assert "Kaizen &lt;b&gt;events&lt;/b&gt;" in html
    for pattern in ('src="http', "src='http", 'href="http', "url(http", "@import"):
        assert pattern not in html
    assert html.count("<svg") >= 10
    assert html.count('role="img" aria-label=') == html.count("<svg")
    assert html.count("<details>") >= html.count("<svg")
    # The agreement scale by footprint: drawn, with its table and missing note.
    block = html[html.index('id="qi_baseline.leadership-lead-board.likert.by-respondent'):]
    block = block[:block.index("</figure>")]
    assert "<svg" in block and "<th scope=\"col\">Statement</th>" in block
    # Every status: the 17, and the rejected record that gave only its footprint.
    assert "Missing: 18 (0 not asked, 18 left blank)." in block
    # How often each theme came up, by stakeholder group and by footprint.
    heard = html[html.index('id="heard"'):]
    for name in ("stakeholder group", "footprint"):
        table = heard[heard.index(f"How often each theme came up, by {name}"):]
        table = table[:table.index("</table>")]
        assert "<th scope=\"row\">#barrier</th>" in table


#: Chromium's own background services (time, updates, accounts): it calls them whatever
#: the page, even with background networking off; a page's request would go elsewhere.
BROWSER_HOSTS = (b"google.com", b"googleapis.com", b"gstatic.com")


class _Trap:
    """A proxy that only listens: every request the browser makes lands here, and the
    hosts it asks for are kept."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(8)
        self.port = self.server.getsockname()[1]
        self.hosts: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            conn.settimeout(5)
            try:
                first = conn.recv(300).split(b"\r\n")[0].split(b" ")
                target = first[1] if len(first) > 1 else b"?"
            except OSError:
                target = b"?"
            host = target.split(b"://")[-1].split(b"/")[0].split(b":")[0]
            self.hosts.append(host)
            conn.close()


def test_html_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    browser = chromium()
    trap = _Trap()
    shot = tmp_path / "page.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    try:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
             f"--proxy-server=http://127.0.0.1:{trap.port}", "--proxy-bypass-list=<-loopback>",
             "--hide-scrollbars", "--window-size=1000,1600", f"--screenshot={shot}",
             (report_dir / "report.html").as_uri()],
            check=True, capture_output=True, timeout=120)
    finally:
        trap.server.close()
    assert shot.is_file()
    _not_blank(shot)
    page_requests = [h for h in trap.hosts
                     if not any(h == d or h.endswith(b"." + d) for d in BROWSER_HOSTS)]
    assert page_requests == [], "the page made a network request"
    # The page as Chromium parsed it holds the agreement scale by footprint (drawn) and
    # the themes by stakeholder group and by footprint.
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         f"--user-data-dir={profile}", "--dump-dom", (report_dir / "report.html").as_uri()],
        check=True, capture_output=True, text=True, timeout=120).stdout
    figure = dom[dom.index('id="qi_baseline.leadership-lead-board.likert.by-respondent'):]
    assert "<svg" in figure[:figure.index("</figure>")]
    assert "How often each theme came up, by stakeholder group" in dom
    assert "How often each theme came up, by footprint" in dom


def test_pdf_pages_render(report_dir: Path, tmp_path: Path) -> None:
    tool = pdftoppm()
    pdf = (report_dir / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    subprocess.run([tool, "-r", "40", "-png", str(report_dir / "report.pdf"),
                    str(tmp_path / "page")], check=True, capture_output=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 6  # cover, contents, sections, methods
    with Image.open(pages[0]) as image:
        assert abs(image.width / image.height - 210 / 297) < 0.01  # A4 portrait
    for page in pages[2:5]:
        _not_blank(page)
    text = subprocess.run(["pdftotext", str(report_dir / "report.pdf"), "-"],
                          capture_output=True, text=True, check=False).stdout
    if text:  # poppler-utils brings pdftotext with pdftoppm
        assert "Who answered" in text and "Methods" in text and "page 3 of" in text
        assert "Leadership support and culture \u2013 by London footprint" in text
        assert "How often each theme came up, by stakeholder group" in text
        assert "How often each theme came up, by footprint" in text
        # The page with the agreement scale by footprint is drawn, not blank.
        page = next(i for i in range(3, len(pages) + 1) if "culture \u2013 by London" in
                    subprocess.run(["pdftotext", "-f", str(i), "-l", str(i),
                                    str(report_dir / "report.pdf"), "-"],
                                   capture_output=True, text=True, check=True).stdout)
        _not_blank(pages[page - 1])


def test_pptx_reads_back(report_dir: Path) -> None:
    deck = Presentation(str(report_dir / "report.pptx"))
    slides = list(deck.slides)
    titles = [s.shapes.title.text if s.shapes.title is not None else "" for s in slides]
    assert titles[0].startswith("Results: London QI baseline questionnaire")
    assert titles[-1] == "Methods"
    pictures = [s for s in slides if any(sh.shape_type == 13 for sh in s.shapes)]
    assert len(pictures) >= 10
    assert "Responses by footprint (London QI baseline questionnaire)" in titles
    footprint = slides[titles.index("Responses by footprint (London QI baseline questionnaire)")]
    notes = " ".join(sh.text_frame.text for sh in footprint.shapes
                     if sh.has_text_frame and sh != footprint.shapes.title)
    assert "n = 18 respondents" in notes  # every status: the rejected record too
    assert any(t.startswith("What we heard: #barrier") for t in titles)
    # The agreement scale by footprint: one statement answered (the other six have no
    # answers, so their slides are not made); pictures on its slide.
    likert = [i for i, t in enumerate(titles)
              if t.startswith("Leadership support and culture \u2013 by London footprint")]
    assert [titles[i] for i in likert] == [
        "Leadership support and culture \u2013 by London footprint (1 of 3)"]
    assert any(sh.shape_type == 13 for sh in slides[likert[0]].shapes)
    # Themes by stakeholder group and by footprint, as native tables.
    for name in ("stakeholder group", "footprint"):
        slide = slides[titles.index(f"What we heard: themes by {name}")]
        tables = [sh.table for sh in slide.shapes if sh.has_table]
        assert len(tables) == 1
        cells = [[c.text for c in row.cells] for row in tables[0].rows]
        assert cells[0][:2] == ["Theme", "All"]
        # min_cell 2: barrier in all 6 interviews; enabler in 2 (improvement leads).
        assert cells[1][:2] == ["#barrier", "6"] and cells[2][:2] == ["#enabler", "2"]
    group = slides[titles.index("What we heard: themes by stakeholder group")]
    cells = [[c.text for c in row.cells] for row in
             next(sh.table for sh in group.shapes if sh.has_table).rows]
    # Five leads and one commissioner mention #barrier: the 1 is hidden, and so the 5.
    assert cells[0][2:] == ["Improvement lead (QI, transformation or clinical "
                            "effectiveness)", "Commissioner"]
    assert cells[1][2:] == ["<2", "<2"]
