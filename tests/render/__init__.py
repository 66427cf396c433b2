"""Tests of kexplore.render."""
