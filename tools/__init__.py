"""Operators' tools behind the Makefile: run the suite locally, check its health, seed, demo, dead letters."""
