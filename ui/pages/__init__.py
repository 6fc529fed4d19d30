"""The screens of the main window: first run, unlock, home, the form filler, interviews."""
