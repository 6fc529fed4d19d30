"""Key derivation, key files, signing keys, the age envelope: the only package that imports
cryptography and pyrage.

Modules: `kdf` (Argon2id, floor, calibration), `aead` (key wrapping), `keyfile` (the key
file format), `recovery` (X25519/age recovery slot), `signing` (Ed25519 device keys),
`passphrase` (rules for new passphrases), `secret` (wipeable key buffers), `atomic`
(atomic file writes), `chunked` (streaming AES-256-GCM files for attachments), `errors`.
"""
