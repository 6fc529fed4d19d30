"""Reusable widgets: question editors, the saved indicator, clocks."""
