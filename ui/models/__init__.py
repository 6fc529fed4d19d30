"""Qt item models. Each holds plain data handed to it on the UI thread (never a session,
never a service) and is checked with qtmodeltester."""
