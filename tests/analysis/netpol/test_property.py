"""Property test: the engine agrees with the simple reference evaluator on random clusters."""

from __future__ import annotations

import netpol_reference as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netpol_builders import state_of
from netpol_strategies import PORTS, PROTOCOLS, World, cluster

from kexplore.analysis.netpol.engine import allowed_connections
from kexplore.analysis.netpol.explain import verdict
from kexplore.model.pods import Pod


@settings(
    max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(cluster(), st.sampled_from(PROTOCOLS), st.sampled_from(PORTS))
def test_engine_agrees_with_reference(
    world: World,
    protocol: str,
    port: int,
) -> None:
    nss, pods, policies = world
    state = state_of(*nss, *pods, *policies)
    ns_labels = {n["metadata"]["name"]: n["metadata"]["labels"] for n in nss}
    for src in pods:
        for dst in pods:
            s = state.get("Pod", src["metadata"]["namespace"], src["metadata"]["name"])
            d = state.get("Pod", dst["metadata"]["namespace"], dst["metadata"]["name"])
            assert isinstance(s, Pod) and isinstance(d, Pod)
            expected = ref.allowed(policies, ns_labels, src, dst, protocol, port)
            assert allowed_connections(state, s, d).contains(protocol, port) is expected
            assert verdict(state, s, d, protocol, port).allowed is expected
