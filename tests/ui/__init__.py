"""Tests of kexplore.ui."""
