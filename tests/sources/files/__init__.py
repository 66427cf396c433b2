"""Tests of kexplore.sources.files."""
