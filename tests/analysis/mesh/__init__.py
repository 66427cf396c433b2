"""Tests of kexplore.analysis.mesh."""
