"""The central store knows every form it packed, on PostgreSQL too: ``study pack
--central postgresql://... --admin DIR`` signs with the keys in DIR and records the
compiled forms in the database, so ``export`` from the database needs no
``--form-file``. Without ``--admin`` the command says what it needs and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from qi_capture.cli import main
from qi_capture.crypto.kdf import floor_params
from qi_capture.resources import resource_path
from qi_capture.sync.admin import init_admin
from tests.core.central.conftest import PASSPHRASE, PostgresServer

FORMS = resource_path("studies", "london-qi-baseline")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_pack_made_for_a_postgresql_store_lets_it_export_without_form_files(
    postgres: PostgresServer, pg_template: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
    url = postgres.url(postgres.create_database(template=pg_template))
    keys = tmp_path / "keys"
    init_admin(keys, PASSPHRASE, study_id="london-qi", study_title="London QI",
               kdf=floor_params())
    data = ["--data-dir", str(tmp_path / "d")]
    questionnaire = str(FORMS / "qi_baseline_questionnaire.xlsx")

    code, _out, err = cli(capsys, *data, "export", "--central", url, "--form", "qi_baseline",
                          "--format", "csv", "--out", str(tmp_path / "before"))
    assert code == 2 and "No version of form qi_baseline" in err  # not packed yet

    code, _out, err = cli(capsys, *data, "study", "pack", "--central", url, "--forms",
                          questionnaire, "--out", str(tmp_path / "no-admin.qipack"))
    assert code == 2 and "--admin DIR" in err
    assert not (tmp_path / "no-admin.qipack").exists()

    code, out, err = cli(capsys, *data, "study", "pack", "--central", url, "--admin",
                         str(keys), "--forms", questionnaire, "--out",
                         str(tmp_path / "london.qipack"))
    assert code == 0, err
    assert "qi_baseline version" in out and "known to the central store" in out
    assert (tmp_path / "london.qipack").is_file()

    code, out, err = cli(capsys, *data, "export", "--central", url, "--form", "qi_baseline",
                         "--format", "csv", "--out", str(tmp_path / "export"))
    assert code == 0, err
    assert "exported 0 records of qi_baseline" in out
    assert (tmp_path / "export" / "qi_baseline.csv").is_file()
