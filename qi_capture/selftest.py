"""The self-test: proves an installed copy works end to end, without touching real data.

``run_self_test()`` makes a throw-away profile in a temporary folder and goes through
what an interviewer's day needs: the resources and migrations are found, Argon2id
derives a key at the floor the app enforces, the profile is created (built-in study
installed), SQLCipher reports version 4.x and encrypts the files (a marker answer is
not in them in plain text), a wrong passphrase is refused, the built-in questionnaire
is filled and finalised through the real services and autosaving session, a signed
study pack is installed and a bundle written and verified (with a few seconds of a
generated tone recorded into the record through the recording service: the audio the
bundle carries is decoded and compared with the tone, duration and correlation), then
the admin side merges that bundle into a temporary central store (quarantined, the
device enrolled, imported, the recording's bytes intact and the centre's copy opened
through its playback door, decoded and compared with the tone again; a second merge
imports nothing) and exports it, and the profile is locked and deleted. It returns a
`SelfTestReport`; the caller prints it and exits with ``report.exit_code`` (0 all
passed, 1 something failed).

Qt-free: the GUI's ``--self-test`` and ``qi-capture self-test`` both call it, and the
packaged app's smoke test and release workflow run it. It never writes to the user's
data folder and logs nothing.

The bundle step plays both sides in the same temporary folder: it creates a study's
admin keys, signs a study pack, installs it, syncs a finalised record to a folder and
verifies the bundle with the admin identity, as the central store would before merging.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import platform
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import text

from qi_capture import __version__, deployment
from qi_capture.crypto.errors import WrongPassphrase
from qi_capture.crypto.kdf import (
    FLOOR_ITERATIONS,
    FLOOR_LANES,
    FLOOR_MEMORY_KIB,
    KEY_BYTES,
    derive_kek,
    floor_params,
)
from qi_capture.resources import resource_path, resources_root
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.admin import AdminDesk
from qi_capture.services.dto import RevisionInfo
from qi_capture.services.studies import BUILTIN_STUDY_ID
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.bundle import KnownDevice, verify_bundle
from qi_capture.sync.folder import sync_folder
from qi_capture.sync.manifest import (
    AttachmentEntry,
    Manifest,
    ParadataEntry,
    ParadataLine,
    RecordEntry,
)
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack, import_pack

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Status = Literal["ok", "failed", "skipped"]

PASSPHRASE = "self-test harbour copper 0451"
#: Typed as an answer; must never appear in plain text in the profile's files.
CANARY = "QISelfTestCanary7f3d"
#: The built-in forms a working install must hold.
BUILTIN_FORMS = ("qi_baseline", "qi_stakeholder_interview")
SELFTEST_STUDY_ID = "qi-capture-self-test"


class SelfTestFailed(Exception):
    """A check did not hold; the message says what was expected and what was found."""


@dataclass(frozen=True)
class Step:
    name: str
    status: Status
    detail: str
    seconds: float


@dataclass(frozen=True)
class SelfTestReport:
    version: str
    platform: str
    frozen: bool
    steps: tuple[Step, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return all(step.status != "failed" for step in self.steps)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        build = "packaged" if self.frozen else "from source"
        lines = [f"QI Capture {self.version} self-test ({build}, {self.platform})"]
        for step in self.steps:
            lines.append(
                f"  [{step.status:^7}] {step.name:<16} {step.seconds:6.2f} s  {step.detail}"
            )
        failed = sum(step.status == "failed" for step in self.steps)
        lines.append("PASSED" if self.ok else f"FAILED ({failed} step(s))")
        return "\n".join(lines)


class _Recorder:
    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.steps: list[Step] = []
        self._progress = progress

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Times one step; the body appends its detail text. A raised exception fails
        the step (and is re-raised so later steps that depend on it do not run)."""
        if self._progress is not None:
            self._progress(name)
        detail: list[str] = []
        start = time.perf_counter()
        try:
            yield detail
        except Exception as exc:
            message = str(exc) or type(exc).__name__
            if not isinstance(exc, SelfTestFailed):
                where = traceback.extract_tb(exc.__traceback__)[-1]
                message = (f"{type(exc).__name__}: {message} "
                           f"({Path(where.filename).name}:{where.lineno})")
            self.steps.append(Step(name, "failed", message, time.perf_counter() - start))
            raise
        self.steps.append(Step(name, "ok", "; ".join(detail), time.perf_counter() - start))

    def skip(self, name: str, reason: str) -> None:
        self.steps.append(Step(name, "skipped", reason, 0.0))


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestFailed(message)


def _fill_baseline(ctx: CoreContext, study_id: str = BUILTIN_STUDY_ID, *,
                   record_seconds: float = 0.0) -> RevisionInfo:
    """Fill the QI baseline questionnaire of ``study_id`` (with a repeat of two projects)
    and finalise it through the autosaving record session; with ``record_seconds``, a
    generated tone of that length is recorded into it first."""
    form = ctx.studies.resolve(f"{study_id}/qi_baseline")
    record = ctx.records.create(form.id)
    try:
        answers: list[tuple[str, object]] = [
            ("consent", "yes"), ("org_name", CANARY), ("org_type", "acute"),
            ("footprint", "north_central"), ("role", "improvement_lead"),
            ("methods", ["mfi_pdsa", "spc"]),
            ("trained_awareness", 120), ("trained_practitioner", 30),
            ("trained_advanced", 4), ("trained_coach", 2), ("trained_source", "records"),
            ("has_projects", "yes"),
            ("qi_project[1]/project_title", "Falls"), ("qi_project[1]/project_method", "mfi_pdsa"),
            ("qi_project[1]/project_stage", "testing"),
            ("qi_project[2]/project_title", "Flow"), ("qi_project[2]/project_method", "lean"),
            ("qi_project[2]/project_stage", "testing"),
            ("barriers", ["time", "data"]), ("support", ["none"]),
        ]
        answers += [(f"lead_{s}", "agree") for s in (
            "board", "sponsor", "strategy", "time", "data", "safe_to_fail", "patients")]
        for path, value in answers:
            record.ensure_instances(path)
            issue = record.set(path, value)
            _check(issue is None, f"answer {path} was refused: {issue}")
        _check(record.session.get("trained_total") == "156",
               f"calculated trained_total is {record.session.get('trained_total')!r}, not '156'")
        if record_seconds:
            _record_tone(ctx, record.record_id, record_seconds)
        revision = record.finalise()
    finally:
        record.close()
    summary = ctx.records.summary(revision.record_id)
    _check(summary.status == "finalised", f"record status is {summary.status}, not finalised")
    return revision


#: What the audio step records and expects back: a tone of this length, decoded to within
#: a few samples and correlating with what was generated (0.99 catches a sample of drift).
AUDIO_SECONDS = 3.0
AUDIO_MIN_CORRELATION = 0.99


def _record_tone(ctx: CoreContext, record_id: uuid.UUID, seconds: float) -> None:
    """Record a generated tone (as fast as the encoder goes) through the recording
    service, into the record's encrypted attachments, as interview mode records the
    microphone."""
    from qi_capture.audio.sources import ToneSource

    active = ctx.recording.start(record_id, ToneSource(seconds))
    deadline = time.monotonic() + 30 + 10 * seconds
    while active.status().state != "stopped":
        _check(time.monotonic() < deadline, "the generated recording did not end")
        time.sleep(0.02)
    active.stop()


class _AudioSink:
    """Keeps the audio attachments a verified bundle carries (a few seconds: small)."""

    def __init__(self) -> None:
        self.audio: dict[str, bytearray] = {}

    def manifest(self, manifest: Manifest) -> None:
        return None

    def revision(self, entry: RecordEntry, canonical: bytes) -> None:
        return None

    def paradata(self, entry: ParadataEntry, events: Sequence[ParadataLine]) -> None:
        return None

    def attachment(self, entry: AttachmentEntry) -> Callable[[bytes], object]:
        kept = self.audio.setdefault(entry.sha256, bytearray())
        return kept.extend


def _check_audio(data: bytes) -> str:
    """Decode the recording the bundle carried and compare it with the generated tone."""
    from qi_capture.audio.playback import AudioReader

    with AudioReader(io.BytesIO(data)) as reader:
        duration = reader.duration_seconds
        decoded = reader.read_all()
    return _compare_tone(duration, decoded, "the recording")


def _compare_tone(duration: float, decoded: npt.NDArray[np.float32], what: str) -> str:
    """Check a decoded recording against the generated tone: its length and the
    correlation of the signal (``what`` names where it was decoded, for the error)."""
    import numpy as np

    from qi_capture.audio.sources import tone

    _check(abs(duration - AUDIO_SECONDS) < 0.01,
           f"{what} plays {duration:.3f} s, not {AUDIO_SECONDS} s")
    expected = tone(AUDIO_SECONDS)
    n = min(len(decoded), len(expected))
    _check(n > 0, f"{what} decodes to no samples")
    correlation = float(np.corrcoef(decoded[:n], expected[:n])[0, 1])
    _check(correlation > AUDIO_MIN_CORRELATION,
           f"{what} correlates {correlation:.4f} with the tone recorded, "
           f"not above {AUDIO_MIN_CORRELATION}")
    return f"{duration:.2f} s decoded, correlation {correlation:.4f} with the tone recorded"


def _play_at_centre(desk: AdminDesk, record_id: uuid.UUID) -> str:
    """The merged recording opened through the centre's playback door, as the record
    view's player opens it (its encrypted file, decrypted as a stream), rendered to the
    end at normal speed and compared with the generated tone."""
    import numpy as np

    session = desk.open_recording(record_id)
    try:
        duration = session.duration_ms / 1000
        parts: list[npt.NDArray[np.float32]] = []
        while not session.at_end:
            parts.append(session.render(4096))
        decoded = np.concatenate(parts)[: session.frames] if parts else np.zeros(0, np.float32)
    finally:
        session.close()
    return _compare_tone(duration, decoded, "the centre's copy of the recording")


def _bundle(ctx: CoreContext, folder: Path) -> tuple[str, bytes]:
    """The study's admin side (keys, a signed pack), the pack installed on this profile,
    one record of the pack's study synced to a folder as a bundle, and the bundle
    decrypted and verified with the admin's identity as the central store would."""
    central = folder / "central"
    init_admin(central, PASSPHRASE, study_id=SELFTEST_STUDY_ID, study_title="Self-test study",
               kdf=floor_params())
    workbook = resource_path("studies", BUILTIN_STUDY_ID, "qi_baseline_questionnaire.xlsx")
    with AdminProfile.open(central, PASSPHRASE) as admin:
        keys = admin.keys()
    pack = build_pack(keys, [PackForm(workbook.name, workbook.read_bytes())], StudyPolicy())

    def install(data: bytes, filename: str, study_id: str, title: str) -> bool:
        added = ctx.studies.add_form_bytes(data, filename, study_id=study_id, study_title=title)
        return added.created

    import_pack(ctx.store, pack, install)
    revision = _fill_baseline(ctx, SELFTEST_STUDY_ID, record_seconds=AUDIO_SECONDS)
    (folder / "sync").mkdir()
    report = sync_folder(ctx.store, folder / "sync")
    _check(len(report.bundles) == 1, f"sync wrote {len(report.bundles)} bundle(s), not 1")
    written = report.bundles[0]
    devices = {ctx.device.fingerprint: KnownDevice(ctx.device.public_key, "self-test")}
    sink = _AudioSink()
    with written.path.open("rb") as source:
        summary = verify_bundle(source, study_id=keys.study_id,
                                identity=keys.bundle_identity, devices=devices, sink=sink,
                                recovery_recipient=keys.recovery_recipient)
    _check(len(sink.audio) == 1, f"the bundle carries {len(sink.audio)} recordings, not 1")
    (audio,) = sink.audio.values()
    _check(summary.revision_ids == (revision.id,),
           f"the bundle holds {summary.revision_ids}, expected ({revision.id},)")
    status = ctx.records.summary(revision.record_id).status
    _check(status == "sent", f"the synced record is {status}, not sent")
    return (f"pack installed, {written.revisions} revision and {written.attachments} "
            f"recording in {written.path.name} ({summary.file_size} bytes), decrypted and "
            "verified with the admin key"), bytes(audio)


def _admin_side(folder: Path, audio_sha256: str) -> str:
    """The bundle `_bundle` wrote, merged through the admin door as the console does:
    quarantined (its device is not enrolled), imported once the device is enrolled, not
    imported twice; then the form exported to CSV and its rows read back. The export is
    plain text by design, so it is deleted before the encryption check."""
    out = folder / "export"
    with AdminDesk.open(folder / "central", PASSPHRASE) as desk:
        first = desk.merge([folder / "sync"])
        _check([r.outcome for r in first.reports] == ["quarantined"],
               f"the first merge gave {[r.outcome for r in first.reports]}, "
               "expected one quarantined bundle")
        waiting = [d for d in desk.devices() if d.device.status == "unknown"]
        _check(len(waiting) == 1, f"{len(waiting)} devices wait for enrolment, not 1")
        enrolment = desk.enrol(waiting[0].id, name="self-test laptop")
        outcomes = [m.report.outcome for m in enrolment.merged]
        _check(outcomes == ["imported"], f"enrolment merged {outcomes}, expected [imported]")
        (row,) = desk.records("qi_baseline").rows
        held = [a.sha256 for a in desk.record(row.record_id).attachments]
        _check(held == [audio_sha256],
               "the central store does not hold the recording the bundle carried")
        played = _play_at_centre(desk, row.record_id)
        again = desk.merge([folder / "sync"])
        _check([r.outcome for r in again.reports] == ["already_imported"],
               f"merging again gave {[r.outcome for r in again.reports]}")
        workbook = resource_path("studies", BUILTIN_STUDY_ID, "qi_baseline_questionnaire.xlsx")
        desk.add_forms([(workbook.name, workbook.read_bytes())])
        summary = desk.export("qi_baseline", "csv", out)
    try:
        main = out / "qi_baseline.csv"
        with main.open(encoding="utf-8-sig", newline="") as f:
            rows = sum(1 for _row in csv.DictReader(f))
        _check(summary.report["included"] == 1 and rows == 1,
               f"the export holds {rows} row(s) ({summary.report['included']} included), "
               "expected 1")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return ("merged into a central store: quarantined, enrolled, imported with its "
            f"recording intact (played at the centre: {played}), not imported twice; "
            f"exported {rows} row to CSV and read back")


def _report(folder: Path) -> str:
    """The results report of the merged record in every format: proves the charting,
    template, PDF and slide libraries are inside a packaged app. The files are deleted
    before the encryption check (they are plain by design)."""
    out = folder / "report"
    try:
        with AdminDesk.open(folder / "central", PASSPHRASE) as desk:
            made = desk.report(out, min_cell=1, command="qi-capture --self-test")
        sizes = {p.name: p.stat().st_size for p in made.files}
        expected = {"results.json", "report.html", "report.pdf", "report.pptx"}
        _check(expected <= set(sizes) and all(sizes[n] > 0 for n in expected),
               f"the report wrote {sorted(sizes)}, expected {sorted(expected)}")
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        _check(isinstance(results, dict) and bool(results),
               "results.json holds no results")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return "results report written as " + ", ".join(
        f"{name} ({size // 1024} KiB)" for name, size in sorted(sizes.items()))


def _files_contain(folder: Path, marker: bytes) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and marker in path.read_bytes():
            hits.append(path.name)
    return hits


def run_self_test(
    *,
    work_dir: str | Path | None = None,
    keep: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SelfTestReport:
    """Run every check in a new temporary folder (under ``work_dir`` if given) and
    delete it afterwards unless ``keep``. Never raises for a failed check: the report
    says which step failed and why."""
    rec = _Recorder(progress)
    frozen = bool(getattr(sys, "frozen", False))
    folder = Path(tempfile.mkdtemp(prefix="qi-capture-selftest-", dir=work_dir))
    try:
        _run(rec, folder)
    except Exception:  # already recorded as a failed step
        pass
    finally:
        if keep:
            rec.skip("cleanup", f"kept {folder}")
        else:
            try:
                with rec.step("cleanup") as detail:
                    shutil.rmtree(folder)
                    _check(not folder.exists(), f"{folder} is still there")
                    detail.append("temporary profile deleted")
            except Exception:  # recorded as a failed step
                pass
    return SelfTestReport(
        __version__, f"{platform.system()} {platform.machine()}", frozen, tuple(rec.steps)
    )


def _run(rec: _Recorder, folder: Path) -> None:
    with rec.step("resources") as detail:
        study = resource_path("studies", BUILTIN_STUDY_ID)
        workbooks = sorted(p.name for p in study.glob("*.xlsx"))
        _check(len(workbooks) >= len(BUILTIN_FORMS), f"built-in study has {workbooks}")
        from qi_capture.storage.migrate import MIGRATIONS_DIR

        scripts = list((MIGRATIONS_DIR / "versions").glob("*.py"))
        _check(bool(scripts), f"no migration scripts in {MIGRATIONS_DIR}")
        detail.append(f"{resources_root()}; {len(workbooks)} built-in forms; "
                      f"{len(scripts)} store migrations")

    with rec.step("deployment") as detail:
        settings = deployment.load()
        if settings.configured:
            detail.append(f"{settings.source}: study pack {settings.study_pack or '-'}, "
                          f"sync folder {settings.sync_folder or '-'}")
        else:
            detail.append("no deployment file (defaults)")

    with rec.step("argon2id") as detail:
        params = floor_params()
        start = time.perf_counter()
        kek = derive_kek(PASSPHRASE, params)
        elapsed = time.perf_counter() - start
        try:
            _check(len(kek) == KEY_BYTES, f"derived {len(kek)} bytes, not {KEY_BYTES}")
        finally:
            kek.wipe()
        detail.append(f"floor m={FLOOR_MEMORY_KIB // 1024} MiB t={FLOOR_ITERATIONS} "
                      f"p={FLOOR_LANES}: {elapsed:.2f} s")

    profiles = ProfileService(folder / "data")
    with rec.step("profile") as detail:
        info = profiles.create("Self-test", PASSPHRASE, kdf=floor_params())
        detail.append(f"created {info.folder.name} with the built-in study")

    ctx = profiles.unlock(info, PASSPHRASE)
    try:
        with rec.step("sqlcipher") as detail:
            with ctx.store.engine.connect() as conn:
                version = conn.execute(text("PRAGMA cipher_version")).scalar()
            _check(isinstance(version, str) and version.startswith("4."),
                   f"PRAGMA cipher_version gave {version!r}, expected 4.x")
            detail.append(f"SQLCipher {version}")

        with rec.step("forms") as detail:
            forms = {f.form_id for f in ctx.studies.list_forms(BUILTIN_STUDY_ID)}
            missing = sorted(set(BUILTIN_FORMS) - forms)
            _check(not missing, f"built-in forms missing from the profile: {missing}")
            for form_id in BUILTIN_FORMS:
                ctx.studies.load_form(ctx.studies.resolve(f"{BUILTIN_STUDY_ID}/{form_id}").id)
            detail.append(", ".join(sorted(forms)))

        with rec.step("record") as detail:
            revision = _fill_baseline(ctx)
            detail.append(f"qi_baseline finalised: revision {revision.id[:12]} "
                          f"(seq {revision.device_seq}), {len(revision.answers)} answers")

        audio = b""
        with rec.step("bundle") as detail:
            text_, audio = _bundle(ctx, folder)
            detail.append(text_)
    finally:
        ctx.lock()

    if audio:
        with rec.step("audio") as detail:
            detail.append(_check_audio(audio))
    else:
        rec.skip("audio", "no bundle was written")

    with rec.step("admin") as detail:
        detail.append(_admin_side(folder, hashlib.sha256(audio).hexdigest()))

    with rec.step("report") as detail:
        detail.append(_report(folder))

    with rec.step("encrypted") as detail:
        variants = {CANARY.encode("utf-8"), CANARY.encode("utf-16-le"),
                    CANARY.lower().encode("utf-8")}
        hits = sorted({h for v in variants for h in _files_contain(folder, v)})
        _check(not hits, f"the marker answer is readable in plain text in {hits}")
        files = sum(1 for p in folder.rglob("*") if p.is_file())
        detail.append(f"marker answer absent from {files} file(s)")

    with rec.step("wrong passphrase") as detail:
        try:
            profiles.unlock(info, PASSPHRASE + "x").lock()
        except WrongPassphrase:
            detail.append("refused")
        else:
            raise SelfTestFailed("a wrong passphrase unlocked the profile")
