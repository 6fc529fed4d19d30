"""Declared schemas for the JSON documents that reach a laptop or the centre from
outside: bundle manifests and their paradata lines (`manifest`), acknowledgements
(`ack`), study packs (`pack`) and the revision documents bundles carry (`revision`).
IT's deployment.json is declared beside its reader, `qi_capture.deployment`, a
top-level module that the sync layer's modules must not be needed for.

One module per document family. Each declares its documents as msgspec Structs that
refuse unknown fields, with exact types (no bool for an int, no float for an int) and
bounds, and turns msgspec's refusal into the document's own error and message
(`qi_capture.sync.schemas.refusal`), so callers and the people reading the messages see
what the hand-written validators these replace gave them. Signed documents (packs,
acknowledgements) are read in stages: what the signature check needs first, the signed
body's types only once its signature is good. What spans fields (hashes against bytes,
a key against its fingerprint, an erasure's rules) stays with each reader.
"""
