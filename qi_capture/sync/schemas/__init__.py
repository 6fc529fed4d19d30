"""Declared schemas for the JSON documents that reach a laptop or the centre from
outside (bundle manifests and their paradata lines, acknowledgements, study packs).

One module per document family. Each declares its documents as msgspec Structs that
refuse unknown fields, with exact types (no bool for an int, no float for an int) and
bounds, and turns msgspec's refusal into the document's own error and message
(`qi_capture.sync.schemas.refusal`), so callers and the people reading the messages see
what the hand-written validators these replace gave them.
"""
