"""The offline demo: bundled agency snapshots served from loopback."""
