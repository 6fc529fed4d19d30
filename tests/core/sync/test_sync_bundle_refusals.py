"""Every reason a bundle is refused has its own code and message, and a test here; plus
a good bundle verifies, reads back with pyrage and the ``age`` CLI, and carries no
personal or device information outside the encryption."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import tarfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from qi_capture.crypto import signing
from qi_capture.crypto.envelope import decrypt_bytes, encrypt_bytes, generate_identity
from qi_capture.sync.bundle import BundleSourceChanged, KnownDevice, Member, verify_bundle
from qi_capture.sync.errors import BundleRefused
from qi_capture.sync.pack import installed_study
from tests import needs

STUDY_ID = "qi-london"


def verify(kit: Any, data: bytes, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "study_id": STUDY_ID,
        "identity": kit.admin.keys.bundle_identity,
        "devices": kit.devices,
    }
    args.update(overrides)
    return verify_bundle(io.BytesIO(data), **args)


def refusal(kit: Any, data: bytes, **overrides: Any) -> BundleRefused:
    with pytest.raises(BundleRefused) as caught:
        verify(kit, data, **overrides)
    return caught.value


def test_good_bundle_verifies_with_summary(kit: Any, good_bundle: bytes) -> None:
    summary = verify(kit, good_bundle)
    m = summary.manifest
    assert m.study_id == STUDY_ID and len(m.records) == 4 and len(m.attachments) == 1
    assert (m.sequence_first, m.sequence_last) == (1, 4)
    assert summary.device_name == "Laptop A"
    assert summary.to_json()["attachment_bytes"] == 150_000
    # A whole number of sealed 64 KiB chunks: the plaintext is padded.
    header_end = good_bundle.index(b"\n--- ") + 1
    header_end = good_bundle.index(b"\n", header_end) + 1
    assert (len(good_bundle) - header_end - 16) % (65536 + 16) == 0


def test_recovery_identity_opens_the_bundle_too(kit: Any, good_bundle: bytes) -> None:
    plain = decrypt_bytes(good_bundle, kit.admin.recovery_identity)
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r|") as tar:
        names = [m.name for m in tar]
    assert names[:2] == ["manifest.json", "manifest.sig"]
    assert names[2].startswith("revisions/") and names[-1].startswith("attachments/")


def test_not_addressed_to_this_study(kit: Any, good_bundle: bytes) -> None:
    other_identity, _ = generate_identity()
    error = refusal(kit, good_bundle, identity=other_identity)
    assert error.code == "bundle_not_addressed"
    assert "not addressed to this study's key" in error.message


def test_header_tampered(kit: Any, good_bundle: bytes) -> None:
    mac_at = good_bundle.index(b"\n--- ") + 5
    flipped = bytearray(good_bundle)
    flipped[mac_at + 3] ^= ord("A") ^ ord("B")
    error = refusal(kit, bytes(flipped))
    assert error.code == "bundle_header_tampered"
    scrypt = good_bundle.replace(b"-> X25519 ", b"-> scrypt ", 1)
    assert refusal(kit, scrypt).code == "bundle_header_tampered"


def test_payload_tampered(kit: Any, good_bundle: bytes) -> None:
    flipped = bytearray(good_bundle)
    flipped[len(good_bundle) // 2] ^= 0x01
    error = refusal(kit, bytes(flipped))
    assert error.code == "bundle_payload_tampered"


def test_truncated_and_trailing(kit: Any, good_bundle: bytes) -> None:
    assert refusal(kit, good_bundle[:-1]).code == "bundle_truncated"
    assert refusal(kit, good_bundle[:-(65536 + 16)]).code == "bundle_truncated"
    assert refusal(kit, good_bundle[:40]).code == "bundle_truncated"
    assert refusal(kit, good_bundle + b"\0").code == "bundle_trailing_bytes"
    assert refusal(kit, good_bundle + good_bundle[-100:]).code == "bundle_trailing_bytes"


def test_not_age_and_too_large(kit: Any, good_bundle: bytes) -> None:
    assert refusal(kit, b"PK\x03\x04 a zip file" * 10).code == "bundle_not_age"
    assert refusal(kit, good_bundle, max_bytes=1000).code == "bundle_too_large"


def test_unknown_device_offers_enrolment(kit: Any, good_bundle: bytes) -> None:
    error = refusal(kit, good_bundle, devices={})
    assert error.code == "bundle_unknown_device"
    device = kit.store.device()
    key = base64.b64encode(device.public_key).decode()
    assert device.fingerprint in error.message
    assert (f"qi-capture devices enrol --central CENTRAL {device.id} --device-key {key}"
            in error.message)


def test_revoked_device(kit: Any, good_bundle: bytes) -> None:
    device = kit.store.device()
    revoked = {device.fingerprint: KnownDevice(device.public_key, "A", revoked=True)}
    assert refusal(kit, good_bundle, devices=revoked).code == "bundle_revoked_device"


def test_bad_signature(kit: Any) -> None:
    forger_key = signing.generate_signing_key()
    forged = kit.build(sign=lambda message: signing.sign(forger_key, message))
    error = refusal(kit, forged)
    assert error.code == "bundle_bad_signature"
    # The forger also swaps in their own public key: the enrolled key is what counts.
    forger_public = signing.public_key(forger_key)
    forged = kit.build(
        manifest=lambda m: replace(m, device_public_key=forger_public,
                                   device_key_fingerprint=signing.fingerprint(forger_public)),
        sign=lambda message: signing.sign(forger_key, message),
    )
    assert refusal(kit, forged).code == "bundle_unknown_device"


def test_wrong_study(kit: Any) -> None:
    other = kit.build(manifest=lambda m: replace(m, study_id="another-study"))
    error = refusal(kit, other)
    assert error.code == "bundle_wrong_study" and "another-study" in error.message


def test_manifest_and_content_disagree(kit: Any) -> None:
    def other_bytes(members: list[Member]) -> list[Member]:
        # Same size, different bytes than the manifest's SHA-256 says (the honest writer
        # checks each member against the hash it is given, so give it the new one).
        last = members[-1]
        fake = bytes(last.size)
        return [*members[:-1], Member(last.name, last.size, hashlib.sha256(fake).hexdigest(),
                                      lambda: [fake])]

    error = refusal(kit, kit.build(members=other_bytes))
    assert error.code == "bundle_content_mismatch" and "SHA-256" in error.message

    dropped = kit.build(members=lambda ms: ms[:-1])
    error = refusal(kit, dropped)
    assert error.code == "bundle_content_mismatch" and "missing" in error.message

    extra = Member("revisions/extra.json", 2, hashlib.sha256(b"{}").hexdigest(), lambda: [b"{}"])
    added = kit.build(members=lambda ms: [*ms, extra])
    assert refusal(kit, added).code == "bundle_content_mismatch"

    reordered = kit.build(members=lambda ms: [*ms[:2], ms[3], ms[2], *ms[4:]])
    assert refusal(kit, reordered).code == "bundle_content_mismatch"

    bad_seq = kit.build(manifest=lambda m: replace(m, sequence_last=m.sequence_last + 5))
    assert refusal(kit, bad_seq).code == "bundle_content_mismatch"

    other_record = kit.build(manifest=lambda m: replace(m, records=(
        replace(m.records[0], submission_id=str(uuid.uuid4())), *m.records[1:])))
    assert refusal(kit, other_record).code == "bundle_content_mismatch"


def test_the_writer_refuses_data_that_changed_under_it(kit: Any) -> None:
    def lie(members: list[Member]) -> list[Member]:
        last = members[-1]
        return [*members[:-1], Member(last.name, last.size, last.sha256,
                                      lambda: [bytes(last.size)])]

    with pytest.raises(BundleSourceChanged):
        kit.build(members=lie)


def test_a_self_authenticating_source_is_still_held_to_its_size(kit: Any) -> None:
    """The writer does not re-hash an attachment whose store authenticates it, but it
    still counts its bytes; and if such a source ever gave other bytes of the right size,
    the admin's verification would refuse the bundle."""

    def longer(members: list[Member]) -> list[Member]:
        last = members[-1]
        return [*members[:-1], Member(last.name, last.size, last.sha256,
                                      lambda: [bytes(last.size + 1)], authenticated=True)]

    with pytest.raises(BundleSourceChanged):
        kit.build(members=longer)

    def other(members: list[Member]) -> list[Member]:
        last = members[-1]
        return [*members[:-1], Member(last.name, last.size, last.sha256,
                                      lambda: [bytes(last.size)], authenticated=True)]

    error = refusal(kit, kit.build(members=other))
    assert error.code == "bundle_content_mismatch" and "SHA-256" in error.message


def test_recipients_must_match_the_header(kit: Any) -> None:
    # Encrypted to the study key only, while the manifest lists study + recovery: a
    # re-encrypted copy (someone who decrypted it passing it off) is refused.
    reencrypted = kit.build(recipients=[kit.admin.keys.bundle_recipient])
    assert refusal(kit, reencrypted).code == "bundle_recipients_mismatch"


def test_pyrage_reads_our_bundle_independently(kit: Any, good_bundle: bytes) -> None:
    import pyrage  # the independent reader: pyrage's own API, not our envelope module

    identity = pyrage.x25519.Identity.from_str(kit.admin.keys.bundle_identity)
    plain = pyrage.decrypt(good_bundle, [identity])
    with tarfile.open(fileobj=io.BytesIO(plain), mode="r|") as tar:
        first = tar.next()
        assert first is not None and first.name == "manifest.json"
        manifest = json.loads(tar.extractfile(first).read())  # type: ignore[union-attr]
    assert manifest["study_id"] == STUDY_ID and len(manifest["records"]) == 4


def test_age_cli_reads_our_bundle(kit: Any, good_bundle: bytes, tmp_path: Path) -> None:
    """The Debian ``age`` tool (Go implementation) decrypts our bundle. .ci/run installs
    it; locally ``apt-get install -y age``."""
    age = needs.age_cli()
    key = tmp_path / "identity.txt"
    key.write_text(kit.admin.keys.bundle_identity + "\n")
    bundle = tmp_path / "b.qibundle"
    bundle.write_bytes(good_bundle)
    done = subprocess.run([age, "--decrypt", "-i", str(key), str(bundle)], capture_output=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    with tarfile.open(fileobj=io.BytesIO(done.stdout), mode="r|") as tar:
        assert [m.name for m in tar][:2] == ["manifest.json", "manifest.sig"]


def test_nothing_personal_outside_the_encryption(kit: Any, good_bundle: bytes) -> None:
    device = kit.store.device()
    clear_header = good_bundle[: good_bundle.index(b"\n--- ") + 48]
    outside = [
        "Jo Bloggs", "Trust 1", "Improvement lead", "interview-3.m4a", STUDY_ID,
        str(device.id), device.fingerprint, device.name,
        base64.b64encode(device.public_key).decode(),
    ]
    for text in outside:
        for encoding in ("utf-8", "utf-16-le"):
            assert text.encode(encoding) not in good_bundle, text
    assert clear_header.count(b"-> X25519 ") == 2  # recipient stanzas hold ephemeral shares


def test_a_payload_only_the_recovery_key_can_open_is_not_addressed(kit: Any) -> None:
    recovery = kit.admin.keys.recovery_recipient
    data = encrypt_bytes(b"x" * 100, [recovery])
    assert refusal(kit, data).code == "bundle_not_addressed"


def test_a_damaged_archive_inside_good_encryption_is_malformed(kit: Any, good_bundle: bytes) -> None:
    """What age cannot catch (the sender wrote a bad archive and encrypted it properly)
    the archive reader does: each case is `bundle_malformed`, naming the problem."""
    plain = decrypt_bytes(good_bundle, kit.admin.keys.bundle_identity)
    study = installed_study(kit.store, STUDY_ID)
    assert study is not None

    def reseal(data: bytes) -> bytes:
        return encrypt_bytes(data, study.recipients)

    def with_header(data: bytes, at: int, field: int, value: bytes) -> bytes:
        block = bytearray(data[at : at + 512])
        block[field : field + len(value)] = value
        block[148:156] = b" " * 8
        block[148:156] = b"%06o\x00 " % sum(block)
        return data[:at] + bytes(block) + data[at + 512 :]

    assert verify(kit, reseal(plain)).manifest.study_id == STUDY_ID
    # The attachment's header: the name at a block boundary (the manifest names it too).
    attachment_at = next(at for at in range(0, len(plain), 512)
                         if plain.startswith(b"attachments/", at))
    symlink = with_header(plain, attachment_at, 156, b"2")
    error = refusal(kit, reseal(symlink))
    assert error.code == "bundle_malformed" and "not a regular file" in error.message
    broken = bytearray(plain)
    broken[0] ^= 1  # the manifest's name: the checksum no longer adds up
    error = refusal(kit, reseal(bytes(broken)))
    assert error.code == "bundle_malformed" and "checksum" in error.message
    trailing = plain[:-1] + b"\x01"
    error = refusal(kit, reseal(trailing))
    assert error.code == "bundle_malformed" and "after the end of the archive" in error.message
    error = refusal(kit, reseal(plain[:attachment_at + 700]))
    assert error.code == "bundle_malformed" and "ends inside" in error.message
