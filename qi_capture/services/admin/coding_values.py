"""The frozen values `CodingDesk` hands the console's Coding page, re-exported at the
admin door so the UI imports services only (the import-linter contract "The UI talks to
services only"); they are defined with the coding logic in `qi_capture.coding.model`."""

from qi_capture.coding.model import (
    FIELD_CODER,
    ORIGINS,
    Agreement,
    Code,
    CodeAgreement,
    CodedPassage,
    CodeNode,
    Coder,
    CodeTheme,
    Coding,
    Difference,
    ExchangeResult,
    InterviewRef,
    Matrix,
    MatrixCell,
    MatrixRow,
    Memo,
    ThemeQuote,
    Transcript,
    TranscriptItem,
    TranscriptSection,
)

__all__ = [
    "FIELD_CODER", "ORIGINS", "Agreement", "Code", "CodeAgreement", "CodeNode", "CodeTheme",
    "CodedPassage", "Coder", "Coding", "Difference", "ExchangeResult", "InterviewRef",
    "Matrix", "MatrixCell", "MatrixRow", "Memo", "ThemeQuote", "Transcript",
    "TranscriptItem", "TranscriptSection",
]
