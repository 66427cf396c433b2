"""The Istio engine: sidecar/ambient dataplanes, PeerAuthentication × DestinationRule TLS,
AuthorizationPolicy, routes and subsets, and the symptom an edge would show (`judge`)."""

from kexplore.analysis.mesh.edge import MeshEdge, MeshVerdict, judge

__all__ = ["MeshEdge", "MeshVerdict", "judge"]
