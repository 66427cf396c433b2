"""plan_probes: the exact commands an edge's probes would run, listed before anything runs."""

from __future__ import annotations

from pathlib import Path

from builders import edge, state, web_and_cart
from fakeapi import FakeApiServer
from fakeapi.exec_ws import exec_script
from probe_cluster import CART_IP, CART_SVC_IP, prober, shop

from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.probe_plan import plan_edge, plan_probes
from kexplore.probes.base import ProbeRequest
from kexplore.probes.strategy import DETECT_COMMAND

SHOP = web_and_cart()


def exec_in(pod_name: str, *argv: str) -> list[str]:
    return ["kubectl", "exec", "--namespace", "shop", f"pod/{pod_name}", "--", *argv]


def test_plan_lists_detection_then_every_probe_in_order_and_runs_nothing() -> None:
    ctx = edge(state(*SHOP), "shop/web-1", "cart:80")
    plan = plan_probes(ctx)
    assert plan == [
        exec_in("web-1", *DETECT_COMMAND),
        exec_in("web-1", "getent", "hosts", "cart"),
        exec_in("cart-1", *DETECT_COMMAND),
        exec_in("cart-1", "cat", "/proc/net/tcp", "/proc/net/tcp6"),
        exec_in("web-1", "nc", "-zv", "-w", "5", "10.96.5.5", "80"),
        exec_in("web-1", "nc", "-zv", "-w", "5", "10.0.0.3", "8080"),
        exec_in(
            "web-1",
            *("curl", "-sS", "-i", "--connect-timeout", "5", "-m", "7"),
            *("-H", "Host: cart:80", "http://10.96.5.5:80/"),
        ),
        [
            *("kubectl", "debug", "pod/web-1", "--namespace", "shop"),
            *("--image=nicolaka/netshoot:v0.13", "--profile=netadmin", "--attach", "--"),
            *("timeout", "8", "tcpdump", "-nn", "-X", "-i", "any", "-c", "20"),
            *("host", "10.96.5.5", "and", "port", "80"),
        ],
        ["kubectl", "port-forward", "--namespace", "shop", "pod/cart-1", ":8080"],
    ]
    assert ctx.prober is None and ctx.results == {}


def test_plan_for_an_ip_target_has_no_lookup() -> None:
    st = state(*SHOP)
    plan = plan_edge(st, resolve_source(st, "shop/web-1"), parse_target("10.0.0.3:8080"))
    assert [c[c.index("--") + 1] for c in plan if "--" in c] == [
        *("sh", "cat", "sh", "nc", "curl", "timeout")
    ]
    assert exec_in("web-1", "nc", "-zv", "-w", "5", "10.0.0.3", "8080") in plan


def test_plan_with_a_live_prober_names_containers_and_uses_detected_tools(tmp_path: Path) -> None:
    cluster = shop()
    script = exec_script(cluster)
    script.tools("bash", "timeout", pod="web-1")
    script.on(lambda argv: argv[2:4] == ["bash", "-c"], "connected\n")
    with FakeApiServer(cluster) as api:
        live, st = prober(api, tmp_path)
        before = plan_edge(st, resolve_source(st, "shop/web-1"), parse_target("cart:80"), live)
        calls_before = len(script.calls)
        live.run(ProbeRequest("tcp", "shop", "web-1", f"{CART_IP}:8080"))
        after = plan_edge(st, resolve_source(st, "shop/web-1"), parse_target("cart:80"), live)
    assert calls_before == 0  # planning runs nothing
    web = ["kubectl", "exec", "--namespace", "shop", "pod/web-1", "-c", "web", "--"]
    assert [*web, *DETECT_COMMAND] in before
    assert [*web, "nc", "-zv", "-w", "1", CART_SVC_IP, "80"] in before
    assert [*web, *DETECT_COMMAND] not in after  # detected once: not planned again
    bash = 'exec 3<>"/dev/tcp/$0/$1" && echo connected'
    assert [*web, "timeout", "1", "bash", "-c", bash, CART_SVC_IP, "80"] in after
