"""The level meter and the silence detector, fed block by block by the recorder."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FLOOR_DBFS = -120.0


def dbfs(linear: float) -> float:
    return FLOOR_DBFS if linear <= 10 ** (FLOOR_DBFS / 20) else 20 * math.log10(linear)


@dataclass(frozen=True)
class Level:
    """The last block's level: linear RMS and peak in [0, 1], and both in dBFS."""

    rms: float = 0.0
    peak: float = 0.0

    @property
    def rms_dbfs(self) -> float:
        return dbfs(self.rms)

    @property
    def peak_dbfs(self) -> float:
        return dbfs(self.peak)

    @staticmethod
    def of(block: npt.NDArray[np.float32]) -> Level:
        if not len(block):
            return Level()
        wide = block.astype(np.float64)
        return Level(rms=float(np.sqrt(np.mean(wide * wide))), peak=float(np.max(np.abs(wide))))


class SilenceDetector:
    """Counts seconds of audio whose level stays below ``threshold_dbfs``; ``silent`` turns
    true once that reaches ``after_seconds`` and false again at the first louder block.

    The threshold (-55 dBFS RMS) sits below the noise floor of a working laptop microphone
    in a quiet room (about -60 to -45 dBFS), so only a muted, disconnected or blocked input
    counts, not a pause in the conversation."""

    def __init__(self, *, after_seconds: float = 30.0, threshold_dbfs: float = -55.0) -> None:
        self.after_seconds = after_seconds
        self._threshold = 10 ** (threshold_dbfs / 20)
        self.silent_seconds = 0.0

    def feed(self, level: Level, seconds: float) -> bool:
        """Account for a block; returns True exactly when silence has just been reached."""
        if level.rms >= self._threshold:
            self.silent_seconds = 0.0
            return False
        before = self.silent_seconds
        self.silent_seconds += seconds
        return before < self.after_seconds <= self.silent_seconds

    @property
    def silent(self) -> bool:
        return self.silent_seconds >= self.after_seconds
