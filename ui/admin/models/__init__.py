"""Qt item models of the admin console, over the admin door's frozen values."""
