"""Benchmarks (run on loopback; see docs/benchmarks.md)."""
