"""Interview audio: PCM sources (generated tone or speech, the microphone), the recorder
(Opus encoding, level meter, silence detection, pause and resume) and playback decoding.

This package knows nothing of the profile or of encryption: the recorder writes encoded
bytes into any `EncodedSink` (the store's `RecordingWriter` seals them into an encrypted
attachment file as they come), and playback decodes from any seekable binary file (the
store's decrypting `ChunkedReader`). `qi_capture.services.recording` joins the two.
PortAudio (``sounddevice``) is imported only when a microphone or speaker is opened.
"""
