"""Tests of kexplore.sources.live."""
