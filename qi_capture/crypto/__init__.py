"""Key derivation, key files, signing keys, the age envelope: the only package that imports
cryptography and pyrage."""
