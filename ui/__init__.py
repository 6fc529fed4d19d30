"""The PySide6 front end. Talks to qi_capture.services only, never to storage or SQLAlchemy."""
