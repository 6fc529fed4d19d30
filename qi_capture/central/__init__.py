"""Merging bundles into the central store: revisions, conflicts, the device registry."""
