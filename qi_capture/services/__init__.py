"""The one door the UI uses: methods open their own session and return frozen dataclasses."""
