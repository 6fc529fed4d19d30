"""Bundle writing and reading, folder sync, acknowledgements."""
