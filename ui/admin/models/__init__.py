"""Qt item models of the admin console's pages."""
