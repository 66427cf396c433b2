"""Tests of kexplore.probes."""
