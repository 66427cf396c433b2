"""Benchmark harness of DESIGN §8: cluster generators and measurements (`make bench`)."""
