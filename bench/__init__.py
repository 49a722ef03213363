"""Benchmarks of the suite on this machine: the bare broker relay, the embedded database, the services under load.

`python -m bench.run [--quick]` (or `make bench`) runs them all in one go and writes bench/RESULTS.md.
"""
