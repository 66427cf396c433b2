"""The file source: snapshots, manifests and cluster dumps (YAML, JSON, Lists, .tar.gz),
read into a ClusterState with file:line errors, skip warnings and synthesized pods."""

from kexplore.sources.files.reader import read_snapshot

__all__ = ["read_snapshot"]
