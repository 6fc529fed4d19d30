"""Small dialogs and the one place that asks the interviewer to confirm."""
