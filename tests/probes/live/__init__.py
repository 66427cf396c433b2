"""Tests of kexplore.probes.live."""
