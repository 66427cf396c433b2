"""Tests of kexplore.analysis."""
