"""Thematic coding of interviews: the pure part (values, passage anchoring, field tags,
agreement between coders, the code matrix, REFI-QDA exchange). Storage is in
`qi_capture.central.coding`, the door in `qi_capture.services.admin.coding`."""
