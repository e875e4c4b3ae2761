"""Adapters at the edge: the roads gateway and the in-memory unit of work and bus."""
