"""Tests of kexplore.analysis.netpol."""
