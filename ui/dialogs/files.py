"""Choosing a file or a folder with the platform's dialog. One module, so tests can
answer the dialogs (patching the Qt class itself crashes PySide)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget


def choose_file(parent: QWidget, title: str, start: str, filters: str) -> str:
    """The chosen file's path, or '' when cancelled."""
    chosen, _filter = QFileDialog.getOpenFileName(parent, title, start, filters)
    return chosen


def choose_folder(parent: QWidget, title: str, start: str) -> str:
    """The chosen folder's path, or '' when cancelled."""
    return QFileDialog.getExistingDirectory(parent, title, start)


def choose_save_file(parent: QWidget, title: str, start: str, filters: str) -> str:
    """The path to write to, or '' when cancelled (the platform dialog asks before
    replacing a file)."""
    chosen, _filter = QFileDialog.getSaveFileName(parent, title, start, filters)
    return chosen
