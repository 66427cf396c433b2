"""Property test: the tiered engine (admin, NetworkPolicy, baseline) agrees with a reference."""

from __future__ import annotations

from typing import Any

import netpol_reference_tiers as ref
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from netpol_builders import state_of
from netpol_strategies import PORTS, PROTOCOLS, World, admin_policies, cluster

from kexplore.analysis.netpol.engine import allowed_connections
from kexplore.analysis.netpol.explain import verdict
from kexplore.analysis.netpol.matrix import Matrix
from kexplore.model.pods import Pod

Admins = tuple[list[dict[str, Any]], list[dict[str, Any]]]


@settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(cluster(), admin_policies(), st.sampled_from(PROTOCOLS), st.sampled_from(PORTS))
def test_tiers_agree_with_reference(world: World, tiers: Admins, protocol: str, port: int) -> None:
    nss, pods, netpols = world
    admins, baselines = tiers
    state = state_of(*nss, *pods, *netpols, *admins, *baselines)
    ns_labels = {n["metadata"]["name"]: n["metadata"]["labels"] for n in nss}
    matrix = Matrix(state)
    for src in pods:
        for dst in pods:
            s = state.get("Pod", src["metadata"]["namespace"], src["metadata"]["name"])
            d = state.get("Pod", dst["metadata"]["namespace"], dst["metadata"]["name"])
            assert isinstance(s, Pod) and isinstance(d, Pod)
            expected = ref.allowed(netpols, admins, baselines, ns_labels, src, dst, protocol, port)
            assert allowed_connections(state, s, d).contains(protocol, port) is expected
            assert verdict(state, s, d, protocol, port).allowed is expected
            if s is not d:
                cs, cd = (matrix.class_of[(p.namespace, p.name)] for p in (s, d))
                assert matrix.allowed(cs, cd).contains(protocol, port) is expected
