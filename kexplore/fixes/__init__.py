"""Fixes and proof: minimal patches, what-if edits on a scratch state, diff and verify."""
