"""The admin console: the same app in the admin's role, on a central store opened with
the admin passphrase (`qi_capture.services.admin.AdminDesk`)."""
