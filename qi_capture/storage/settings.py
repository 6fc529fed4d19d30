"""Key/value settings kept inside the encrypted database (values are JSON)."""

from __future__ import annotations

from qi_capture.storage.canonical import JsonValue, dumps, loads
from qi_capture.storage.database import Database
from qi_capture.storage.models import SettingRow


class Settings:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, key: str, default: JsonValue = None) -> JsonValue:
        with self._db.read() as s:
            row = s.get(SettingRow, key)
            return default if row is None else loads(row.value_json)

    def set(self, key: str, value: JsonValue) -> None:
        with self._db.write() as s:
            s.merge(SettingRow(key=key, value_json=dumps(value)))

    def delete(self, key: str) -> None:
        with self._db.write() as s:
            row = s.get(SettingRow, key)
            if row is not None:
                s.delete(row)
