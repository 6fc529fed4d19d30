"""Errors of the audio pipeline; ``params`` never hold audio or answers."""

from __future__ import annotations

from qi_capture.errors import QICaptureError


class AudioError(QICaptureError):
    code = "audio_error"


class NoMicrophoneSupport(AudioError):
    code = "audio_no_microphone_support"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "This installation cannot record: the PortAudio sound library is missing "
            "(on Debian or Ubuntu: apt-get install libportaudio2). Notes can still be typed.",
            detail=detail,
        )


class NoInputDevice(AudioError):
    code = "audio_no_input_device"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "No microphone was found. Connect or enable one (check the system's sound "
            "settings and privacy permissions), then start recording again.",
            detail=detail,
        )


class InputLost(AudioError):
    code = "audio_input_lost"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "The microphone stopped sending sound (was it unplugged?). The recording so far "
            "is kept; connect the microphone and start a new recording.",
            detail=detail,
        )


class NoOutputDevice(AudioError):
    code = "audio_no_output_device"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "No speaker or headphones were found to play the recording on.", detail=detail
        )


class UnsupportedSampleRate(AudioError):
    code = "audio_unsupported_sample_rate"

    def __init__(self, rate: int, allowed: tuple[int, ...]) -> None:
        super().__init__(
            f"Audio at {rate} Hz cannot be encoded as Opus; use one of "
            f"{', '.join(str(a) for a in allowed)} Hz.",
            rate=rate,
            allowed=list(allowed),
        )


class AudioDecodeFailed(AudioError):
    code = "audio_decode_failed"

    def __init__(self, detail: str) -> None:
        super().__init__(
            "The recording could not be decoded as Ogg/Opus audio.", detail=detail
        )


class SpeechUnavailable(AudioError):
    code = "audio_speech_unavailable"

    def __init__(self) -> None:
        super().__init__(
            "Generated speech needs espeak-ng (on Debian or Ubuntu: apt-get install espeak-ng)."
        )
