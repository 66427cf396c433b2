"""The Istio engine: sidecar/ambient dataplanes, PeerAuthentication × DestinationRule TLS,
AuthorizationPolicy, routes and subsets, and the symptom an edge would show (`edge.judge`).

Nothing is imported here: a reader that needs only the dataplane rules (pods synthesized
from templates) does not load the whole engine."""
