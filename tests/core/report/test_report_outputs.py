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
