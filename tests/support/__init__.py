"""Test support: real broker and database endpoints, a bus probe, and services run as processes."""
