"""The study pack -> fieldwork -> sync -> verify -> acknowledgement loop through the
command line, in subprocesses: ``admin init``, ``study pack``, ``study import``,
``record fill``, ``sync --to``, ``bundle verify``, ``admin enrol``; and the errors a
user meets (unknown device, tampered bundle, foreign pack, missing folder)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.cli import main as cli_main
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.sync.ack import acknowledgement_for, write_acknowledgement
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.bundle import verify_bundle_file

PASSPHRASE = "copper kettle harbour 42"
FORM = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Organisation |
    |          | integer   | staff    | Staff    |
    | settings |           |          |          |
    |          | form_id   | version  |          |
    |          | qi_sync   | 1        |          |
""")


def run_process(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a subprocess (slow to start: used once)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("QI_CAPTURE_")}
    base["QI_CAPTURE_PASSPHRASE"] = PASSPHRASE
    return subprocess.run(
        [sys.executable, "-m", "qi_capture", "--data-dir", str(data), *args],
        env=base, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120, check=False,
    )


def run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``qi-capture`` in this process (its import costs seconds per subprocess)."""
    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("QI_CAPTURE_PASSPHRASE")
    os.environ["QI_CAPTURE_PASSPHRASE"] = PASSPHRASE
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(["--data-dir", str(data), *args])
    finally:
        if saved is None:
            del os.environ["QI_CAPTURE_PASSPHRASE"]
        else:
            os.environ["QI_CAPTURE_PASSPHRASE"] = saved
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module", autouse=True)
def _close_log_handlers() -> Iterator[None]:
    yield
    logger = logging.getLogger("qi_capture")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli-sync")
    w = {"root": root, "central": root / "central", "data": root / "data",
         "sync": root / "sync", "pack": root / "study.qipack"}
    w["sync"].mkdir()
    form = root / "qi_sync.md"
    form.write_text(FORM, encoding="utf-8")
    init = run(w["data"], "admin", "init", "--central", str(w["central"]), "--kdf", "floor",
               "--study-id", "qi-london", "--title", "QI London")
    assert init.returncode == 0, init.stderr
    identity = re.search(r"AGE-SECRET-KEY-1[0-9A-Z]+", init.stdout)
    assert identity is not None
    # Shown once, stored nowhere.
    assert all(identity.group().encode() not in data for data in tree(w["central"]).values())
    packed = run(w["data"], "study", "pack", "--central", str(w["central"]), "--forms", str(form),
                 "--out", str(w["pack"]), "--sync-folder", str(w["sync"]), "--retention-days", "7",
                 "--max-recording-minutes", "120", "--max-bundle-mib", "64")
    assert packed.returncode == 0, packed.stderr
    assert run(w["data"], "profile", "create", "--name", "Jo Bloggs", "--kdf", "floor"
               ).returncode == 0
    imported = run(w["data"], "study", "import", str(w["pack"]))
    assert imported.returncode == 0, imported.stderr
    assert "Study qi-london (QI London): installed; 1 form version(s) added" in imported.stdout
    assert "recordings stop at 120 min, bundles split at 64 MiB" in imported.stdout
    answers = root / "answers.json"
    answers.write_text(json.dumps({"/org": "Barts Health", "/staff": 12}), encoding="utf-8")
    filled = run(w["data"], "record", "fill", "qi-london/qi_sync", "--answers", str(answers),
                 "--finalise")
    assert filled.returncode == 0, filled.stderr
    return w


def bundles(w: dict[str, Path]) -> Sequence[Path]:
    return sorted((w["sync"] / "outbox").glob("*.qibundle"))


def test_sync_verify_enrol_acknowledge(world: dict[str, Path]) -> None:
    w = world
    synced = run_process(w["data"], "sync")  # the pack's suggested folder
    assert synced.returncode == 0, synced.stderr
    assert "1 revision(s)" in synced.stdout
    (bundle,) = bundles(w)
    assert re.fullmatch(r"[0-9a-f]{32}\.qibundle", bundle.name)
    again = run(w["data"], "sync", "--to", str(w["sync"]))
    assert again.returncode == 0 and "nothing new to send" in again.stdout
    assert bundles(w) == [bundle]

    before = tree(w["root"] / "sync")
    unknown = run(w["data"], "bundle", "verify", str(bundle), "--central", str(w["central"]))
    assert unknown.returncode == 1
    assert "code: bundle_unknown_device" in unknown.stderr
    # The one enrol command every message names, with the device id and its key.
    enrol = re.search(r"qi-capture devices enrol --central CENTRAL (\S+) --device-key (\S+)",
                      unknown.stderr)
    assert enrol is not None
    ok = run(w["data"], "devices", "enrol", "--central", str(w["central"]), enrol.group(1),
             "--device-key", enrol.group(2), "--name", "Laptop A")
    assert ok.returncode == 0, ok.stderr
    verified = run(w["data"], "bundle", "verify", str(bundle), "--central", str(w["central"]),
                   "--json")
    assert verified.returncode == 0, verified.stderr
    summary = json.loads(verified.stdout)
    assert summary["valid"] and summary["records"] == 1 and summary["study_id"] == "qi-london"
    assert tree(w["root"] / "sync") == before  # verifying wrote nothing

    tampered = w["root"] / "tampered.qibundle"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x20
    tampered.write_bytes(bytes(data))
    refused = run(w["data"], "bundle", "verify", str(tampered), "--central", str(w["central"]),
                  "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["code"] == "bundle_payload_tampered"

    # The merge will write acknowledgements; here the library function does.
    with CentralStore.open(w["central"], PASSPHRASE) as central:
        assert central.profile is not None
        keys = AdminProfile(central.profile).keys()
        result = verify_bundle_file(bundle, study_id=keys.study_id,
                                    identity=keys.bundle_identity,
                                    devices=DeviceRegistry(central).known())
        write_acknowledgement(w["sync"], acknowledgement_for(result, keys.signing_key))
    acked = run(w["data"], "sync", "--to", str(w["sync"]))
    assert acked.returncode == 0, acked.stderr
    assert "1 revision(s) acknowledged by the admin" in acked.stdout
    listed = run(w["data"], "record", "list", "--json")
    assert listed.returncode == 0 and '"acknowledged"' in listed.stdout


def test_errors_users_meet(world: dict[str, Path]) -> None:
    w = world
    missing = run(w["data"], "sync", "--to", str(w["root"] / "removed-stick"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr and "Nothing was marked as sent" in missing.stderr

    rogue = w["root"] / "rogue"
    assert run(w["data"], "admin", "init", "--central", str(rogue), "--kdf", "floor",
               "--study-id", "qi-london").returncode == 0
    rogue_pack = w["root"] / "rogue.qipack"
    form = w["root"] / "qi_sync.md"
    assert run(w["data"], "study", "pack", "--central", str(rogue), "--forms", str(form),
               "--out", str(rogue_pack)).returncode == 0
    refused = run(w["data"], "study", "import", str(rogue_pack))
    assert refused.returncode == 1
    assert "already installed from packs signed by admin key" in refused.stderr

    doc = json.loads(w["pack"].read_bytes())
    doc["body"]["policy"]["retention_days"] = 9999
    altered = w["root"] / "altered.qipack"
    altered.write_text(json.dumps(doc), encoding="utf-8")
    bad = run(w["data"], "study", "import", str(altered))
    assert bad.returncode == 1 and "signature does not verify" in bad.stderr
