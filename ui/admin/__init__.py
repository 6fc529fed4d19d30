"""The admin console's pages and models (the console shell registers the pages)."""
