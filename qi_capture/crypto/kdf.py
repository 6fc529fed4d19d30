"""Passphrase -> key-encryption key with Argon2id, its floor and its calibration.

The floor (64 MiB, t=3, p=4) is the least this app accepts from any key file, so nobody
can weaken a profile by editing the file. Calibration at profile creation raises the cost
to the laptop's speed (about 0.5-1 s), never below the floor. A ceiling stops an edited
file from asking for so much memory that unlocking hangs the machine.
"""

from __future__ import annotations

import math
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from qi_capture.crypto.errors import KeyFileInvalid, KeyFileWeakParameters
from qi_capture.crypto.secret import SecretBytes

FLOOR_MEMORY_KIB = 64 * 1024
FLOOR_ITERATIONS = 3
FLOOR_LANES = 4

CEILING_MEMORY_KIB = 4 * 1024 * 1024
CEILING_ITERATIONS = 1000
CEILING_LANES = 64

# Calibration never asks for more memory than this: trust laptops may have 8 GB shared
# with a browser and Teams; time beyond it comes from iterations instead.
CALIBRATION_MAX_MEMORY_KIB = 256 * 1024

SALT_BYTES = 16
KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int
    iterations: int
    lanes: int
    salt: bytes

    def with_new_salt(self) -> KdfParams:
        return replace(self, salt=secrets.token_bytes(SALT_BYTES))


def floor_params() -> KdfParams:
    return KdfParams(
        FLOOR_MEMORY_KIB, FLOOR_ITERATIONS, FLOOR_LANES, secrets.token_bytes(SALT_BYTES)
    )


def check_params(params: KdfParams) -> None:
    """Refuse anything below the floor (a downgrade) or above the ceiling (a hang)."""
    weak = []
    if params.memory_kib < FLOOR_MEMORY_KIB:
        weak.append(f"memory {params.memory_kib} KiB < {FLOOR_MEMORY_KIB} KiB")
    if params.iterations < FLOOR_ITERATIONS:
        weak.append(f"iterations {params.iterations} < {FLOOR_ITERATIONS}")
    if params.lanes < FLOOR_LANES:
        weak.append(f"lanes {params.lanes} < {FLOOR_LANES}")
    if len(params.salt) < SALT_BYTES:
        weak.append(f"salt {len(params.salt)} bytes < {SALT_BYTES}")
    if weak:
        raise KeyFileWeakParameters("; ".join(weak))
    if (
        params.memory_kib > CEILING_MEMORY_KIB
        or params.iterations > CEILING_ITERATIONS
        or params.lanes > CEILING_LANES
        or len(params.salt) > 64
    ):
        raise KeyFileInvalid("key-derivation settings are out of range")


def normalise_passphrase(passphrase: str) -> bytes:
    # NFC so the same passphrase typed on macOS (which may produce decomposed accents)
    # and on Windows derives the same key.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_kek(passphrase: str, params: KdfParams) -> SecretBytes:
    check_params(params)
    kdf = Argon2id(
        salt=params.salt,
        length=KEY_BYTES,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    )
    return SecretBytes(kdf.derive(normalise_passphrase(passphrase)))


def time_derivation(params: KdfParams) -> float:
    start = time.perf_counter()
    derive_kek("calibration passphrase", params).wipe()
    return time.perf_counter() - start


def calibrate(
    target_seconds: float = 0.5,
    max_seconds: float = 1.0,
    *,
    measure: Callable[[KdfParams], float] = time_derivation,
) -> KdfParams:
    """Parameters costing about ``target_seconds`` on this machine, never below the floor.

    Memory is raised first (it is what makes GPU guessing expensive), up to
    `CALIBRATION_MAX_MEMORY_KIB`; any remaining gap is closed with iterations. One more
    measurement checks the result and backs iterations off if it overshoots ``max_seconds``.
    """
    params = floor_params()
    elapsed = measure(params)
    if elapsed >= target_seconds:
        return params
    factor = target_seconds / max(elapsed, 1e-6)
    memory = FLOOR_MEMORY_KIB
    while memory * 2 <= CALIBRATION_MAX_MEMORY_KIB and factor >= 2:
        memory *= 2
        factor /= 2
    iterations = max(FLOOR_ITERATIONS, math.ceil(FLOOR_ITERATIONS * factor))
    params = replace(params, memory_kib=memory, iterations=min(iterations, CEILING_ITERATIONS))
    elapsed = measure(params)
    if elapsed > max_seconds and params.iterations > FLOOR_ITERATIONS:
        scaled = math.floor(params.iterations * target_seconds / elapsed)
        params = replace(params, iterations=max(FLOOR_ITERATIONS, scaled))
    return params
