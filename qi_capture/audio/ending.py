"""Why a recording stopped by itself (`RecorderStatus.ended`): kept apart from the
recorder, which loads numpy, so the services and the screen can name the reasons cheaply.
"""

from __future__ import annotations

#: The source ran out (a generated source's end, or an input that closed).
ENDED_SOURCE = "source_ended"
#: The source failed (the microphone was unplugged or its driver stopped).
ENDED_ERROR = "source_failed"
#: The study's cap on a recording's length was reached.
ENDED_CAP = "length_cap"
