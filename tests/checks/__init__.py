"""Tests of kexplore.checks."""
