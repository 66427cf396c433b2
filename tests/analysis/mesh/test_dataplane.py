"""Data plane detection, injection expectations, Sidecar egress scope and route lookup."""

from __future__ import annotations

import msgspec
import pytest
from mesh_builders import istio, namespace, obj, pod, service, state_of

from kexplore.analysis.mesh.common import exported_to, mesh_settings, resolve_host
from kexplore.analysis.mesh.dataplane import (
    AMBIENT,
    NONE,
    SIDECAR,
    dataplane_of,
    injection_expected,
)
from kexplore.analysis.mesh.egress import egress_scope
from kexplore.analysis.mesh.routes import route_problems, services_for_host
from kexplore.model.pods import Pod
from kexplore.model.state import ClusterState

FQDN = "cart.shop.svc.cluster.local"


def _pod(state: ClusterState, name: str) -> Pod:
    found = next(p for p in state.pods if p.name == name)
    return found


@pytest.mark.parametrize(
    ("ns_labels", "pod_labels", "annotations", "expected"),
    [
        ({"istio-injection": "enabled"}, {}, {}, True),
        ({"istio-injection": "disabled"}, {"sidecar.istio.io/inject": "true"}, {}, False),
        ({"istio.io/rev": "canary"}, {}, {}, True),
        ({}, {}, {}, False),
        ({}, {"sidecar.istio.io/inject": "true"}, {}, True),
        # the object webhook's selector reads labels: an annotation alone injects nothing
        ({}, {}, {"sidecar.istio.io/inject": "true"}, False),
        ({}, {"istio.io/rev": "canary"}, {}, True),
        ({}, {"istio.io/rev": "canary", "sidecar.istio.io/inject": "false"}, {}, False),
        ({"istio-injection": "enabled"}, {}, {"sidecar.istio.io/inject": "false"}, False),
        ({"istio.io/rev": "canary"}, {"sidecar.istio.io/inject": "false"}, {}, False),
        # istio-injection wins over istio.io/rev on the namespace
        ({"istio-injection": "disabled", "istio.io/rev": "canary"}, {}, {}, False),
        ({"istio-injection": "disabled"}, {"istio.io/rev": "canary"}, {}, False),
        # the label wins over the annotation
        (
            {"istio-injection": "enabled"},
            {"sidecar.istio.io/inject": "false"},
            {"sidecar.istio.io/inject": "true"},
            False,
        ),
    ],
)
def test_injection_expected(
    ns_labels: dict[str, str],
    pod_labels: dict[str, str],
    annotations: dict[str, str],
    expected: bool,
) -> None:
    state = state_of(
        namespace("shop", **ns_labels), pod("shop", "p", pod_labels, annotations=annotations)
    )
    assert injection_expected(state, _pod(state, "p"))[0] is expected


def test_host_network_pods_are_never_injected() -> None:
    raw = pod("shop", "p")
    assert isinstance(raw, Pod)
    host = msgspec.structs.replace(raw, spec=msgspec.structs.replace(raw.spec, host_network=True))
    state = state_of(namespace("shop", **{"istio-injection": "enabled"}), host)
    assert injection_expected(state, _pod(state, "p"))[0] is False


def test_modes() -> None:
    state = state_of(
        namespace("amb", **{"istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "wp"}),
        namespace("shop"),
        pod("shop", "side", sidecar=True),
        pod("shop", "native", native_sidecar=True),
        pod("shop", "plain"),
        pod("shop", "opt-in", {"istio.io/dataplane-mode": "ambient"}),
        pod("amb", "a"),
        pod("amb", "out", {"istio.io/dataplane-mode": "none"}),
    )
    modes = {p.name: dataplane_of(state, p) for p in state.pods}
    assert modes["side"].mode == SIDECAR and modes["native"].mode == SIDECAR
    assert modes["plain"].mode == NONE
    assert modes["opt-in"].mode == AMBIENT
    assert modes["a"].mode == AMBIENT and modes["a"].waypoint == "wp"
    assert modes["out"].mode == NONE


@pytest.mark.parametrize(
    ("export_to", "viewer", "visible"),
    [
        ([], "x", True),
        (["*"], "x", True),
        (["."], "shop", True),
        (["."], "x", False),
        (["~"], "shop", False),
        (["x"], "x", True),
    ],
)
def test_export_to(export_to: list[str], viewer: str, visible: bool) -> None:
    assert exported_to(export_to, "shop", viewer) is visible


def test_resolve_host_only_expands_names_without_dots() -> None:
    assert resolve_host("cart", "shop") == FQDN
    assert resolve_host("cart.shop", "web") == "cart.shop"
    assert resolve_host("*", "web") == "*"
    assert resolve_host("10.0.0.1", "web") == "10.0.0.1"


def test_meshconfig_settings() -> None:
    mesh = "enableAutoMtls: false\ntrustDomain: corp.local\n"
    mesh += "outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n"
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "istio", "namespace": "istio-system"},
        "data": {"mesh": mesh},
    }
    settings = mesh_settings(state_of(obj(cm)))
    assert (settings.auto_mtls, settings.trust_domain) == (False, "corp.local")
    assert settings.outbound_policy == "REGISTRY_ONLY"
    assert mesh_settings(state_of()).root_namespace == "istio-system"


@pytest.mark.parametrize(
    ("hosts", "known"),
    [
        (["./*"], False),
        (["shop/*"], True),
        (["*/cart.shop.svc.cluster.local"], True),
        (["~/*"], False),
        (["*/*.shop.svc.cluster.local"], True),
    ],
)
def test_sidecar_egress_hosts(hosts: list[str], known: bool) -> None:
    scope = istio("Sidecar", "web", "default", {"egress": [{"hosts": hosts}]})
    state = state_of(scope, pod("web", "w"))
    got = egress_scope(state, _pod(state, "w"), FQDN, "shop", "istio-system", "ALLOW_ANY")
    assert got.known is known


def test_sidecar_selection_prefers_a_workload_selector() -> None:
    narrow = istio(
        "Sidecar",
        "web",
        "narrow",
        {"workloadSelector": {"labels": {"app": "w"}}, "egress": [{"hosts": ["shop/*"]}]},
    )
    wide = istio("Sidecar", "web", "wide", {"egress": [{"hosts": ["./*"]}]})
    state = state_of(narrow, wide, pod("web", "w", {"app": "w"}))
    scope = egress_scope(state, _pod(state, "w"), FQDN, "shop", "istio-system", "ALLOW_ANY")
    assert scope.sidecar is not None and scope.sidecar.metadata.name == "narrow"
    assert scope.known
    other = state_of(narrow, wide, pod("web", "x", {"app": "x"}))
    scope = egress_scope(other, _pod(other, "x"), FQDN, "shop", "istio-system", "ALLOW_ANY")
    assert scope.sidecar is not None and scope.sidecar.metadata.name == "wide"
    assert not scope.known


def test_virtual_service_lookup_respects_gateways_and_export_to() -> None:
    state = state_of(
        service("shop", "cart", {"app": "cart"}),
        istio(
            "VirtualService",
            "shop",
            "gw-only",
            {
                "hosts": ["cart"],
                "gateways": ["ingress"],
                "http": [{"route": [{"destination": {"host": "nope"}}]}],
            },
        ),
        istio(
            "VirtualService",
            "shop",
            "private",
            {
                "hosts": ["cart"],
                "exportTo": ["."],
                "http": [{"route": [{"destination": {"host": "nope"}}]}],
            },
        ),
    )
    assert services_for_host(state, FQDN, "web") == []
    [vs] = services_for_host(state, FQDN, "shop")
    assert vs.metadata.name == "private"
    found, problems = route_problems(state, FQDN, 80, "shop")
    assert found is not None and [p.kind for p in problems] == ["host"]


def test_route_matching_another_port_is_ignored() -> None:
    vs = istio(
        "VirtualService",
        "shop",
        "vs",
        {
            "hosts": ["cart"],
            "http": [{"match": [{"port": 9090}], "route": [{"destination": {"host": "nope"}}]}],
        },
    )
    state = state_of(service("shop", "cart", {"app": "cart"}), vs)
    assert route_problems(state, FQDN, 80, "shop")[1] == []
    assert len(route_problems(state, FQDN, 9090, "shop")[1]) == 1


def test_fault_abort_is_reported() -> None:
    vs = istio(
        "VirtualService",
        "shop",
        "vs",
        {
            "hosts": ["cart"],
            "http": [
                {
                    "fault": {"abort": {"httpStatus": 500, "percentage": {"value": 100}}},
                    "route": [{"destination": {"host": "cart"}}],
                }
            ],
        },
    )
    state = state_of(service("shop", "cart", {"app": "cart"}), vs)
    [problem] = route_problems(state, FQDN, 80, "shop")[1]
    assert problem.kind == "abort" and "HTTP 500" in problem.detail
