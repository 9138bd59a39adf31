"""Token launches: connectors for launch feeds and matching launches to narratives."""
