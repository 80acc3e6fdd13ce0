"""Feed rendering: Atom, RSS 2.0 and JSON Feed from stored alerts (pure, no I/O)."""
