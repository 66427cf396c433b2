"""plan_probes: the exact commands an edge's probes would run, listed before anything runs."""

from __future__ import annotations

from pathlib import Path

from builders import edge, state, web_and_cart
from fakeapi import FakeApiServer
from fakeapi.exec_ws import exec_script
from probe_cluster import CART_IP, CART_SVC_IP, prober, shop

from kexplore.checks.context import build_context
from kexplore.checks.edge import parse_target, resolve_source
from kexplore.checks.probe_plan import plan_edge, plan_probes, planned_requests
from kexplore.probes.base import ProbeRequest
from kexplore.probes.commands import kubectl_exec as exec_form
from kexplore.probes.strategy import DETECT_COMMAND

SHOP = web_and_cart()


def exec_in(pod_name: str, *argv: str) -> list[str]:
    return ["kubectl", "exec", "--namespace", "shop", f"pod/{pod_name}", "--", *argv]


def test_plan_lists_detection_then_every_probe_in_order_and_runs_nothing() -> None:
    ctx = edge(state(*SHOP), "shop/web-1", "cart:80")
    plan = plan_probes(ctx)
    firsts = [
        exec_in("web-1", *DETECT_COMMAND),
        exec_in("web-1", "timeout", "15", "getent", "hosts", "cart"),
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
    assert [c for c in plan if c in firsts] == firsts
    assert len(plan) == len({tuple(c) for c in plan})
    assert ctx.prober is None and ctx.results == {}


def test_plan_lists_every_fallback_a_probe_may_run() -> None:
    plan = plan_probes(edge(state(*SHOP), "shop/web-1", "cart:80"))
    tools = {tuple(c[c.index("--") + 1 : c.index("--") + 3]) for c in plan if "--" in c}
    for lookup in ("getent", "nslookup", "dig", "python3", "python"):
        assert any(lookup in t for t in tools), lookup
    for connect in ("nc", "bash", "python3", "python", "curl", "wget"):
        assert any(connect in t for t in tools), connect
    assert exec_in("web-1", "cat", "/etc/resolv.conf") in plan
    assert exec_in("web-1", "getent", "hosts", "cart") in plan  # without `timeout` too


def test_plan_for_an_ip_target_has_no_lookup() -> None:
    st = state(*SHOP)
    plan = plan_edge(st, resolve_source(st, "shop/web-1"), parse_target("10.0.0.3:8080"))
    argvs = [c[c.index("--") + 1 :] for c in plan if "--" in c]
    assert [a[0] for a in argvs][:4] == ["sh", "cat", "sh", "nc"]
    probes = [a for a in argvs if a[0] != "sh"]  # the detection names every tool
    assert not any(tool in a for a in probes for tool in ("getent", "nslookup", "dig"))
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


def test_every_command_a_probe_runs_was_listed_before_it_ran(tmp_path: Path) -> None:
    """Tools that turn out to be missing make each probe fall back through every other: the
    consent listed all of them (web-1 detects tools that fail; cart-1 has no shell at all)."""
    cluster = shop()
    script = exec_script(cluster)
    script.tools(
        "timeout", "getent", "nslookup", "nc", "bash", "python3", "curl", "wget", "cat", pod="web-1"
    )
    with FakeApiServer(cluster) as api:
        live, st = prober(api, tmp_path)
        source, target = resolve_source(st, "shop/web-1"), parse_target("cart:80")
        plan = plan_edge(st, source, target, live)
        ctx = build_context(st, source, target)
        for request in planned_requests(ctx):
            if request.probe != "port-forward":
                live.run(request)
    ran = [exec_form(c.namespace, c.pod, c.container, c.argv) for c in script.calls]
    tools = {c.argv[2] if c.argv[0] == "timeout" else c.argv[0] for c in script.calls}
    assert {"getent", "nslookup", "nc", "bash", "python3", "curl", "wget"} <= tools
    assert [c for c in ran if c not in plan] == []
