"""Tests of kexplore.sources."""
