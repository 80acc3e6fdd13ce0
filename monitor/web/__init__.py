"""The web application: health endpoints and metrics (more pages build on this)."""
