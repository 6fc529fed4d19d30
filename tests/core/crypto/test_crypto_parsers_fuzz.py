"""Fuzzing the crypto parsers that read bytes an attacker can write: the age header check
run before any bundle is decrypted, the key file (a thief with the laptop can edit it)
and the encrypted attachment files on disk. Whatever the bytes, each returns a result or
raises its own typed error (never a KeyError, TypeError, ValueError, RecursionError...),
in bounded time; a key file asking for out-of-range key derivation is refused by
``parse`` itself, and a changed attachment file never decrypts in full.

Inputs: arbitrary bytes, and real files (made with the real writers) with bytes flipped,
inserted, deleted, cut or appended, or with one JSON field replaced by arbitrary JSON."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qi_capture.crypto import chunked
from qi_capture.crypto import keyfile as keyfile_module
from qi_capture.crypto.age_header import (
    MAX_HEADER_BYTES,
    VERSION_LINE,
    AgeHeaderRefused,
    check_header,
    payload_shape,
)
from qi_capture.crypto.envelope import encrypt_bytes, generate_identity, recipient_of
from qi_capture.crypto.errors import (
    ChunkedFileInvalid,
    KeyFileExcessiveParameters,
    KeyFileInvalid,
    KeyFileTampered,
    KeyFileWeakParameters,
)
from qi_capture.crypto.kdf import (
    CEILING_ITERATIONS,
    CEILING_LANES,
    CEILING_MEMORY_KIB,
    check_params,
    floor_params,
)
from qi_capture.crypto.secret import SecretBytes
from tests.json_paths import json_paths, json_replaced

FUZZ = settings(max_examples=60, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
P = ParamSpec("P")
T = TypeVar("T")
#: One call must take well under this, even on a loaded machine (no derivation, no hang).
BOUND_SECONDS = 1.0

#: Strings that broke parsers before: a lone surrogate (from a ``\\ud800`` escape),
#: non-ASCII (``hmac.compare_digest`` refuses it in a str), NUL, blank.
TRICKY = ("\ud800", "a\udfff", "\u00e9", "\x00", "", " ", "sha256:" + "0" * 64)
#: Text with every code point, lone surrogates and NUL included, and the tricky ones often.
any_text = st.sampled_from(TRICKY) | st.text(
    st.characters(codec=None, exclude_categories=()), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def mutate(data: st.DataObject, doc: Any) -> Any:
    """``doc`` with one value somewhere replaced by arbitrary JSON, one key dropped, or
    one key added."""
    path = data.draw(st.sampled_from(json_paths(doc)))
    action = data.draw(st.sampled_from(["replace", "drop", "add"]))
    parent = _at(doc, path[:-1])
    if action == "drop" and isinstance(parent, dict):
        return json_replaced(doc, path[:-1], {k: v for k, v in parent.items() if k != path[-1]})
    if action == "add" and isinstance(parent, dict):
        return json_replaced(doc, path[:-1], {**parent, data.draw(any_text): data.draw(json_values)})
    return json_replaced(doc, path, data.draw(json_values))


def edit_bytes(data: st.DataObject, raw: bytes, *, within: int | None = None) -> bytes:
    """``raw`` with one to four bytes flipped, inserted or deleted (in its first ``within``
    bytes when given), or cut short, or extended."""
    limit = len(raw) if within is None else min(within, len(raw))
    out = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "cut", "append"]))
        at = data.draw(st.integers(0, max(min(limit, len(out)) - 1, 0)), label="at")
        if action == "flip" and out:
            out[at] ^= data.draw(st.integers(1, 255), label="mask")
        elif action == "insert":
            out[at:at] = data.draw(st.binary(min_size=1, max_size=8), label="inserted")
        elif action == "delete" and out:
            del out[at:at + data.draw(st.integers(1, 8), label="deleted")]
        elif action == "cut":
            del out[at:]
        else:
            out += data.draw(st.binary(min_size=1, max_size=64), label="appended")
    return bytes(out)


def timed(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(*args)``, asserting it took less than `BOUND_SECONDS`; re-raises."""
    start = time.perf_counter()
    try:
        return call(*args, **kwargs)
    finally:
        assert time.perf_counter() - start < BOUND_SECONDS


# -- the age header ------------------------------------------------------------------------
def _check(data: bytes) -> None:
    """What the bundle reader does with a file's first bytes: the header, then the shape
    of the payload after it."""
    header = check_header(data[:MAX_HEADER_BYTES + 1], len(data))
    assert 0 < header.length <= MAX_HEADER_BYTES
    assert data[header.length - 1:header.length] == b"\n"
    assert 1 <= header.x25519_count <= len(header.stanzas)
    whole, partial = payload_shape(header, len(data))
    assert whole >= 0 and partial >= 0


@pytest.fixture(scope="module")
def age_files() -> list[bytes]:
    """Real age files: one and two recipients, empty and non-empty plaintext (rage adds
    a grease stanza to some files)."""
    recipients = [recipient_of(generate_identity()[0]) for _ in range(3)]
    return [encrypt_bytes(plaintext, recipients[:count])
            for count in (1, 2, 3) for plaintext in (b"", b"x" * 100)]


def test_real_age_headers_pass(age_files: list[bytes]) -> None:
    for data in age_files:
        _check(data)


@FUZZ
@given(data=st.binary(max_size=MAX_HEADER_BYTES + 64))
def test_age_header_from_arbitrary_bytes(data: bytes) -> None:
    try:
        timed(_check, data)
    except AgeHeaderRefused as refused:
        assert refused.reason in {"incomplete", "too_large", "malformed", "not_allowed"}


@FUZZ
@given(data=st.binary(max_size=512))
def test_age_header_from_bytes_after_the_version_line(data: bytes) -> None:
    try:
        timed(_check, VERSION_LINE + b"\n" + data)
    except AgeHeaderRefused as refused:
        assert refused.reason in {"incomplete", "too_large", "malformed", "not_allowed"}


_line = st.one_of(
    st.builds(lambda t, a: b"-> " + b" ".join([t, *a]),
              st.sampled_from([b"X25519", b"scrypt", b"x-grease", b"a-grease", b"", b"X25519 "]),
              st.lists(st.binary(max_size=50), max_size=10)),
    st.builds(lambda n: b"A" * n, st.integers(0, 70)),
    st.binary(max_size=70).map(lambda b: b.replace(b"\n", b"")),
    st.builds(lambda b: b"--- " + b, st.binary(max_size=50).map(lambda b: b.replace(b"\n", b""))),
)


@FUZZ
@given(lines=st.lists(_line, max_size=40), tail=st.binary(max_size=64))
def test_age_header_from_header_like_lines(lines: list[bytes], tail: bytes) -> None:
    data = b"\n".join([VERSION_LINE, *lines]) + b"\n" + tail
    try:
        timed(_check, data)
    except AgeHeaderRefused as refused:
        assert refused.reason in {"incomplete", "too_large", "malformed", "not_allowed"}


@FUZZ
@given(data=st.data())
def test_age_header_of_a_real_file_edited(data: st.DataObject, age_files: list[bytes]) -> None:
    original = data.draw(st.sampled_from(age_files))
    length = check_header(original[:MAX_HEADER_BYTES + 1], len(original)).length
    edited = edit_bytes(data, original, within=length + 1)
    try:
        timed(_check, edited)
    except AgeHeaderRefused as refused:
        assert refused.reason in {"incomplete", "too_large", "malformed", "not_allowed"}


# -- the key file --------------------------------------------------------------------------
KEYFILE_ERRORS = (KeyFileInvalid, KeyFileTampered, KeyFileWeakParameters,
                  KeyFileExcessiveParameters)


@pytest.fixture(scope="module")
def keyfile_bytes() -> bytes:
    """A real key file with a recovery wrap and a pending slot (every optional part
    present); no derivation needed to seal it."""
    recovery = recipient_of(generate_identity()[0])
    sealed = keyfile_module.seal(
        profile_id="0f0e0d0c-0b0a-4908-8706-050403020100", label="Fuzz Field",
        database_salt=os.urandom(16), kdf=floor_params(), kek=SecretBytes(os.urandom(32)),
        current=SecretBytes(os.urandom(32)), pending=SecretBytes(os.urandom(32)),
        recovery_recipient=recovery,
    )
    return sealed.to_bytes()


def _layout(doc: Any, *, ascii_only: bool = False, checksum: bool = False) -> bytes:
    """``doc`` in the key file's layout, with its checksum recomputed when asked (so the
    checks after the checksum are reached)."""
    if checksum and isinstance(doc, dict):
        body = {k: v for k, v in doc.items() if k != "checksum"}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False)
        try:
            digest = hashlib.sha256(canonical.encode()).hexdigest()
        except UnicodeEncodeError:
            digest = "0" * 64
        doc = {**doc, "checksum": "sha256:" + digest}
    text = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=ascii_only) + "\n"
    return text.encode()


def _drawn_layout(doc: Any, *, ascii_only: bool = False, checksum: bool = False) -> bytes:
    try:
        return _layout(doc, ascii_only=ascii_only, checksum=checksum)
    except UnicodeEncodeError:  # a lone surrogate written as UTF-8: no such file exists
        assume(False)
        raise


def _parse_keyfile(data: bytes) -> keyfile_module.KeyFile | None:
    try:
        parsed = timed(keyfile_module.parse, data)
    except KEYFILE_ERRORS:
        return None
    assert parsed.to_bytes() == data  # accepted only in exactly the layout this app writes
    check_params(parsed.kdf)  # never a key file asking for out-of-range derivation
    return parsed


def test_the_real_key_file_parses(keyfile_bytes: bytes) -> None:
    assert _parse_keyfile(keyfile_bytes) is not None


@pytest.mark.parametrize("raw", [
    b"[" * 50_000,  # RecursionError from json.loads
    b"1" * 5000,  # ValueError: an integer past the int-to-str digit limit
    b'{"format": "qi-capture-keyfile", "schema_version": ' + b"9" * 5000 + b"}",
])
def test_key_file_json_that_json_loads_refuses_untyped(raw: bytes) -> None:
    with pytest.raises(KeyFileInvalid):
        keyfile_module.parse(raw)


@pytest.mark.parametrize(("field", "value", "error"), [
    ("label", "\ud800", KeyFileInvalid),  # was UnicodeEncodeError
    ("profile_id", "a\udfff", KeyFileInvalid),
    ("checksum", "sha256:\u00e9", KeyFileTampered),  # was TypeError from compare_digest
    ("checksum", [[["sha256:"]]], KeyFileTampered),
    ("checksum", None, KeyFileTampered),
])
def test_key_file_fields_that_broke_parse(
    field: str, value: Any, error: type[Exception], keyfile_bytes: bytes
) -> None:
    doc = {**json.loads(keyfile_bytes), field: value}
    for ascii_only in (True, False):
        for checksum in (True, False):
            if field == "checksum" and checksum:
                continue
            try:
                data = _layout(doc, ascii_only=ascii_only, checksum=checksum)
            except UnicodeEncodeError:
                continue
            with pytest.raises(error):
                keyfile_module.parse(data)


@FUZZ
@given(data=st.binary(max_size=2048))
def test_key_file_from_arbitrary_bytes(data: bytes) -> None:
    _parse_keyfile(data)


@FUZZ
@given(doc=json_values, ascii_only=st.booleans())
def test_key_file_from_arbitrary_json(doc: Any, ascii_only: bool) -> None:
    _parse_keyfile(_drawn_layout(doc, ascii_only=ascii_only))


@FUZZ
@given(data=st.data(), ascii_only=st.booleans(), checksum=st.booleans())
def test_key_file_with_any_field_replaced(
    data: st.DataObject, ascii_only: bool, checksum: bool, keyfile_bytes: bytes
) -> None:
    doc = json.loads(keyfile_bytes)
    _parse_keyfile(_drawn_layout(mutate(data, doc), ascii_only=ascii_only,
                                 checksum=checksum))


@FUZZ
@given(data=st.data())
def test_key_file_edited_bytes(data: st.DataObject, keyfile_bytes: bytes) -> None:
    edited = edit_bytes(data, keyfile_bytes)
    assume(edited != keyfile_bytes)
    assert _parse_keyfile(edited) is None


_cost = st.one_of(st.integers(min_value=-(2**64), max_value=2**64), st.integers(0, 2**21))


@FUZZ
@given(memory=_cost, iterations=_cost, lanes=_cost,
       salt=st.binary(max_size=100).map(lambda b: keyfile_module._b64(b)))
def test_key_file_cost_parameters_are_checked_in_parse(
    memory: int, iterations: int, lanes: int, salt: str, keyfile_bytes: bytes
) -> None:
    """Any cost parameters, with the checksum fixed up: out of range is refused by
    ``parse`` (before anyone could derive a key from them), in range is at worst a file
    whose wrapped keys no longer match (found when unlocking)."""
    doc = json.loads(keyfile_bytes)
    doc["kdf"] = {**doc["kdf"], "memory_kib": memory, "iterations": iterations,
                  "lanes": lanes, "salt": salt}
    data = _layout(doc, checksum=True)
    in_range = (floor_params().memory_kib <= memory <= CEILING_MEMORY_KIB
                and floor_params().iterations <= iterations <= CEILING_ITERATIONS
                and floor_params().lanes <= lanes <= CEILING_LANES)
    parsed = _parse_keyfile(data)
    if not in_range:
        assert parsed is None
        with pytest.raises((KeyFileWeakParameters, KeyFileExcessiveParameters)):
            keyfile_module.parse(data)


# -- encrypted attachment files --------------------------------------------------------------
SMALL = chunked.MIN_CHUNK_BYTES
KEY = bytes(range(32))
AAD = b"attachment-id-16"
SIZES = (0, 1, SMALL - 1, SMALL, 2 * SMALL + 5)


@pytest.fixture(scope="module")
def sealed_files() -> list[tuple[bytes, bytes]]:
    """(plaintext, sealed file) at the sizes around the chunk boundaries."""
    out = []
    for size in SIZES:
        plaintext = os.urandom(size)
        buffer = io.BytesIO()
        chunked.encrypt_to(buffer, KEY, AAD, [plaintext], chunk_size=SMALL)
        out.append((plaintext, buffer.getvalue()))
    return out


def _decrypt(path: Any, sealed: bytes, size: int | None) -> tuple[bytes, str | None]:
    """(what came out, the refusal's reason or None) for ``sealed`` read from a file (with
    or without its expected plaintext size) or, when ``path`` is None, a file object."""
    got = bytearray()
    start = time.perf_counter()
    try:
        source: Any = io.BytesIO(sealed) if path is None else path
        if path is not None:
            path.write_bytes(sealed)
        for piece in chunked.decrypt_from(source, KEY, AAD, expected_size=size):
            got += piece
    except ChunkedFileInvalid as refused:
        reason = str(refused.params["reason"])
        assert reason in {"not_this_format", "unsupported_version", "bad_header",
                          "truncated", "trailing_data", "authentication_failed"}
        return bytes(got), reason
    finally:
        assert time.perf_counter() - start < BOUND_SECONDS
    return bytes(got), None


@pytest.fixture(scope="module")
def attachment_path(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return tmp_path_factory.mktemp("chunked") / "a.qiatt"


def _chunks(sealed: bytes) -> list[bytes]:
    body = sealed[chunked.HEADER_BYTES:]
    full = SMALL + chunked.TAG_BYTES
    return [body[i:i + full] for i in range(0, len(body), full)]


def test_real_attachment_files_decrypt(
    sealed_files: list[tuple[bytes, bytes]], attachment_path: Any
) -> None:
    for plaintext, sealed in sealed_files:
        for path, size in ((None, None), (attachment_path, None),
                           (attachment_path, len(plaintext))):
            assert _decrypt(path, sealed, size) == (plaintext, None)


def _rearranged(data: st.DataObject, sealed: bytes) -> bytes:
    """The file with its chunks swapped, repeated, dropped or reordered."""
    chunks = _chunks(sealed)
    action = data.draw(st.sampled_from(["swap", "repeat", "drop", "shuffle"]))
    i = data.draw(st.integers(0, len(chunks) - 1))
    j = data.draw(st.integers(0, len(chunks) - 1))
    if action == "swap":
        chunks[i], chunks[j] = chunks[j], chunks[i]
    elif action == "repeat":
        chunks.insert(j, chunks[i])
    elif action == "drop":
        del chunks[i]
    else:
        chunks = data.draw(st.permutations(chunks))
    return sealed[:chunked.HEADER_BYTES] + b"".join(chunks)


@FUZZ
@given(data=st.data(), how=st.sampled_from(["bytes", "chunks"]),
       source=st.sampled_from(["path", "path+size", "object"]))
def test_a_changed_attachment_file_never_decrypts(
    data: st.DataObject, how: str, source: str,
    sealed_files: list[tuple[bytes, bytes]], attachment_path: Any,
) -> None:
    plaintext, sealed = data.draw(st.sampled_from(sealed_files))
    changed = edit_bytes(data, sealed) if how == "bytes" else _rearranged(data, sealed)
    assume(changed != sealed)
    got, refused = _decrypt(None if source == "object" else attachment_path, changed,
                            len(plaintext) if source == "path+size" else None)
    assert refused is not None, "a changed file decrypted"
    # Only authenticated chunks came out before the refusal: the original's first ones,
    # and with the expected size known, a cut or extended file gives nothing at all.
    assert plaintext.startswith(got)
    if source == "path+size" and len(changed) != len(sealed):
        assert got == b"" and refused != "authentication_failed"


@FUZZ
@given(data=st.binary(max_size=3 * SMALL), size=st.none() | st.integers(0, 3 * SMALL))
def test_attachment_file_from_arbitrary_bytes(
    data: bytes, size: int | None, attachment_path: Any
) -> None:
    assert _decrypt(attachment_path, data, size)[1] is not None  # no chunk forged without KEY


@FUZZ
@given(data=st.binary(max_size=3 * SMALL), chunk_size=st.integers(0, 2**32 - 1))
def test_attachment_file_with_any_header(data: bytes, chunk_size: int) -> None:
    """A valid magic and version with any chunk size: never a read of an out-of-range
    chunk length."""
    sealed = chunked._HEADER.pack(chunked.MAGIC, chunked.VERSION, chunk_size) + data
    assert _decrypt(None, sealed, None)[1] is not None
