"""The encrypted local store (SQLCipher via SQLAlchemy): the only package that knows tables."""
