"""Argon2id: the floor, calibration, passphrase normalisation."""

from __future__ import annotations

import pytest

from qi_capture.crypto import kdf
from qi_capture.crypto.errors import KeyFileWeakParameters
from qi_capture.crypto.kdf import KdfParams


def test_floor_values() -> None:
    p = kdf.floor_params()
    assert (p.memory_kib, p.iterations, p.lanes) == (64 * 1024, 3, 4)
    assert len(p.salt) == 16
    kdf.check_params(p)


def test_derivation_is_deterministic_and_salted() -> None:
    p = kdf.floor_params()
    a = kdf.derive_kek("river lantern oak 7", p)
    b = kdf.derive_kek("river lantern oak 7", p)
    c = kdf.derive_kek("river lantern oak 7", p.with_new_salt())
    assert a.same_as(b)
    assert not a.same_as(c)
    assert len(a) == 32


def test_unicode_forms_derive_the_same_key() -> None:
    p = kdf.floor_params()
    composed = "caf\u00e9 au lait matin"
    decomposed = "cafe\u0301 au lait matin"
    assert kdf.derive_kek(composed, p).same_as(kdf.derive_kek(decomposed, p))


def test_derive_refuses_below_floor() -> None:
    with pytest.raises(KeyFileWeakParameters):
        kdf.derive_kek("x" * 20, KdfParams(1024, 1, 1, b"\0" * 16))


@pytest.mark.parametrize("floor_cost", [0.05, 0.13, 0.3])
def test_calibration_reaches_the_target_without_going_below_floor(floor_cost: float) -> None:
    def measure(p: KdfParams) -> float:
        # A model machine: cost proportional to memory x iterations.
        return floor_cost * (p.memory_kib / kdf.FLOOR_MEMORY_KIB) * (p.iterations / 3)

    p = kdf.calibrate(0.5, 1.0, measure=measure)
    kdf.check_params(p)
    assert 0.5 <= measure(p) <= 1.0
    assert p.memory_kib <= kdf.CALIBRATION_MAX_MEMORY_KIB


def test_slow_machine_stays_at_floor() -> None:
    p = kdf.calibrate(0.5, 1.0, measure=lambda _p: 2.0)
    assert (p.memory_kib, p.iterations, p.lanes) == (64 * 1024, 3, 4)


def test_real_calibration_is_not_below_floor() -> None:
    # One real measurement at the floor, the second one at the chosen cost.
    p = kdf.calibrate(0.2, 0.6)
    kdf.check_params(p)
