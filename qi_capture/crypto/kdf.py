"""Passphrase -> key-encryption key with Argon2id, its floor and its calibration.

The floor (64 MiB, t=3, p=4) is the least this app accepts from any key file, so nobody
can weaken a profile by editing the file. Calibration at profile creation raises the cost
to the laptop's speed (about 0.5-1 s), never below the floor. A ceiling (4x the most
calibration produces) stops an edited file from asking for so much memory or time that
unlocking hangs the machine; both are checked before any derivation.
"""

from __future__ import annotations

import math
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from qi_capture.crypto.errors import KeyFileExcessiveParameters, KeyFileWeakParameters
from qi_capture.crypto.secret import SecretBytes

FLOOR_MEMORY_KIB = 64 * 1024
FLOOR_ITERATIONS = 3
FLOOR_LANES = 4

# Calibration never asks for more memory than this: trust laptops may have 8 GB shared
# with a browser and Teams; time beyond it comes from iterations instead.
CALIBRATION_MAX_MEMORY_KIB = 256 * 1024
# ...nor for more iterations than this. At 256 MiB, 16 passes take several seconds on any
# laptop the app runs on; a machine fast enough to want more would gain nothing a person
# notices (calibration targets 0.5-1 s), so the cap costs no security in practice.
CALIBRATION_MAX_ITERATIONS = 16

# The ceiling: the most any key file may ask for. This app never writes more than the
# calibration caps above (nor less than the floor), so a file beyond them was not written by
# it: it would only make unlocking hang the laptop (4 GiB took 65 s and looked like a wrong
# passphrase). Each ceiling is 4x what calibration can produce, so a key file written by an
# older calibration or a future one with some headroom still opens; the work ceiling
# (memory x iterations, what the time is proportional to) is 4x calibration's largest too,
# a few seconds of unlocking at worst.
CEILING_MEMORY_KIB = 4 * CALIBRATION_MAX_MEMORY_KIB  # 1 GiB
CEILING_ITERATIONS = 4 * CALIBRATION_MAX_ITERATIONS  # 64
CEILING_LANES = 4 * FLOOR_LANES  # 16; calibration never changes the floor's 4 lanes
CEILING_WORK_KIB = 4 * CALIBRATION_MAX_MEMORY_KIB * CALIBRATION_MAX_ITERATIONS  # 16 GiB-passes
CEILING_SALT_BYTES = 64

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
    excessive = []
    if params.memory_kib > CEILING_MEMORY_KIB:
        excessive.append(f"memory {params.memory_kib} KiB > {CEILING_MEMORY_KIB} KiB")
    if params.iterations > CEILING_ITERATIONS:
        excessive.append(f"iterations {params.iterations} > {CEILING_ITERATIONS}")
    if params.lanes > CEILING_LANES:
        excessive.append(f"lanes {params.lanes} > {CEILING_LANES}")
    work = params.memory_kib * params.iterations
    if not excessive and work > CEILING_WORK_KIB:
        excessive.append(f"memory x iterations {work} KiB > {CEILING_WORK_KIB} KiB")
    if len(params.salt) > CEILING_SALT_BYTES:
        excessive.append(f"salt {len(params.salt)} bytes > {CEILING_SALT_BYTES}")
    if excessive:
        raise KeyFileExcessiveParameters("; ".join(excessive))


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
    params = replace(params, memory_kib=memory,
                     iterations=min(iterations, CALIBRATION_MAX_ITERATIONS))
    elapsed = measure(params)
    if elapsed > max_seconds and params.iterations > FLOOR_ITERATIONS:
        scaled = math.floor(params.iterations * target_seconds / elapsed)
        params = replace(params, iterations=max(FLOOR_ITERATIONS, scaled))
    return params
