"""``qi-capture coding export|import|codes|agreement`` on a real (SQLCipher) central
store holding the built-in study's hand-written interviews."""

from __future__ import annotations

import json
import shutil
import uuid
import zipfile
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.services.admin.coding import CodingDesk
from tests.core.central.coding_fixtures import fill
from tests.core.central.conftest import PASSPHRASE


@pytest.fixture
def central_dir(admin_template: Path, tmp_path: Path) -> tuple[Path, list[uuid.UUID]]:
    folder = tmp_path / "central"
    shutil.copytree(admin_template, folder)
    with CentralStore.open(folder, PASSPHRASE) as central:
        ids = fill(central)
        alice = CodingDesk(central, coder="alice")
        alice.codebook()
        bob = CodingDesk(central, coder="bob")
        for i in ids[:2]:
            alice.apply_codes(i, "approach/approach_overview", 0, 5, ["Barrier"])
        bob.apply_codes(ids[0], "approach/approach_overview", 0, 5, ["Barrier"])
        bob.apply_codes(ids[1], "approach/approach_overview", 0, 5, ["Idea"])
    return folder, ids


def _cli(capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path,
         *args: str) -> tuple[int, str, str]:
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE)
    code = main(["coding", *args, "--central", str(folder), "--passphrase-file", str(secret)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_codes_and_agreement(central_dir: tuple[Path, list[uuid.UUID]], tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    folder, _ids = central_dir
    code, out, _err = _cli(capsys, folder, tmp_path, "codes", "--json")
    assert code == 0
    codes = {c["name"]: c for c in json.loads(out)["codes"]}
    assert (codes["Barrier"]["codings"], codes["Barrier"]["interviews"]) == (8, 3)  # 5 from the field, 2 by alice, 1 by bob
    code, out, _err = _cli(capsys, folder, tmp_path, "codes")
    assert code == 0 and "Barrier: 8, 3" in out
    code, out, _err = _cli(capsys, folder, tmp_path, "agreement", "--coders", "alice",
                           "bob", "--json")
    assert code == 0
    result = json.loads(out)
    # Units: the 3 + 2 answers of the two interviews both coded. Barrier: both coded
    # interview 1's overview, only alice interview 2's: p_o = 4/5, p_e = (2*1 + 3*4)/25,
    # kappa = (0.8 - 0.56) / 0.44.
    barrier = next(c for c in result["codes"] if c["name"] == "Barrier")
    assert (barrier["both"], barrier["only_a"], barrier["only_b"], barrier["neither"]) \
        == (1, 1, 0, 3)
    assert barrier["kappa"] == pytest.approx(0.24 / 0.44)
    code, _out, err = _cli(capsys, folder, tmp_path, "agreement", "--coders", "alice",
                           "nobody")
    assert code != 0 and "nobody" in err


def test_export_and_import(central_dir: tuple[Path, list[uuid.UUID]], tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    folder, ids = central_dir
    out_file = tmp_path / "study.qdpx"
    code, out, _err = _cli(capsys, folder, tmp_path, "export", "--format", "qdpx",
                           "--out", str(out_file))
    assert code == 0 and "not encrypted" in out
    with zipfile.ZipFile(out_file) as z:
        assert f"sources/{ids[0]}.txt" in z.namelist()
    code, out, _err = _cli(capsys, folder, tmp_path, "import", str(out_file))
    assert code == 0 and "(0 new)" in out
    code, _out, err = _cli(capsys, folder, tmp_path, "import", str(tmp_path / "pass.txt"))
    assert code != 0 and ".qdpx" in err
    code, _out, err = _cli(capsys, folder, tmp_path, "codes", "--study", "nope")
    assert code != 0 and "nope" in err
