"""Commands for raw manifests name the workload, and the prediction of an undeployed edge."""

from __future__ import annotations

from kexplore.checks.result import LayerResult, Status
from kexplore.checks.synthesized import NOT_DEPLOYED, Stand, for_workloads, prediction

CART = Stand("cart-synthesized", "shop", "deployment", "cart", "app=cart")
STANDS = {CART.pod: CART}


def test_each_command_shape_names_the_workload() -> None:
    commands = [
        "kubectl describe pod -n shop cart-synthesized",
        "kubectl get events -n shop --field-selector involvedObject.name=cart-synthesized",
        "kubectl logs -n shop cart-synthesized -c app --tail 50",
        "kubectl exec -n shop cart-synthesized -- cat /proc/net/tcp",
        "istioctl x describe pod cart-synthesized -n shop",
        "istioctl proxy-config cluster cart-synthesized -n shop",
        "kubectl get pods -n shop -o wide",
    ]
    assert for_workloads(commands, STANDS) == [
        "kubectl describe deployment -n shop cart",
        "kubectl get events -n shop --field-selector involvedObject.name=cart",
        "kubectl logs -n shop deployment/cart -c app --tail 50",
        "kubectl exec -n shop deployment/cart -- cat /proc/net/tcp",
        "kubectl get pods -n shop -l app=cart",
        "istioctl proxy-config cluster deployment/cart -n shop",
        "kubectl get pods -n shop -o wide",
    ]


def test_a_prediction_only_for_synthesized_edges_that_fail_nowhere() -> None:
    layers = [
        LayerResult("pods", Status.UNKNOWN, "manifests only"),
        LayerResult("service", Status.PASS, "ok"),
        LayerResult("reachability", Status.SKIPPED, "not probed"),
        LayerResult("mesh", Status.WARN, "port unnamed"),
    ]
    said = prediction(layers, synthesized=True)
    assert said == f"{NOT_DEPLOYED} (pods judged once deployed); warn at mesh"
    assert prediction(layers, synthesized=False) is None
    failing = [*layers, LayerResult("networkpolicy", Status.FAIL, "denied")]
    assert prediction(failing, synthesized=True) is None
