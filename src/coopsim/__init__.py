"""coopsim."""
