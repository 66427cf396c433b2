"""PortSet algebra and text, and ipBlock ranges and atoms."""

from __future__ import annotations

from kexplore.analysis.netpol.ipblocks import IPRange, atoms, block_ranges, cidr_range
from kexplore.analysis.netpol.ports import ALL, NONE, PortSet
from kexplore.model.policies import IPBlock


def test_union_merges_adjacent_and_overlapping_ranges() -> None:
    got = PortSet.of("TCP", 80) | PortSet.of("TCP", 81, 90) | PortSet.of("TCP", 85, 100)
    assert got.ranges("TCP") == ((80, 100),)


def test_intersection_and_difference() -> None:
    a = PortSet({"TCP": [(1, 100)], "UDP": [(53, 53)]})
    b = PortSet({"TCP": [(50, 60), (90, 200)]})
    assert (a & b) == PortSet({"TCP": [(50, 60), (90, 100)]})
    assert (a - b) == PortSet({"TCP": [(1, 49), (61, 89)], "UDP": [(53, 53)]})
    assert (ALL - ALL).is_empty() and (ALL & NONE).is_empty()


def test_describe_is_np_guard_text() -> None:
    assert ALL.describe() == "All Connections"
    got = PortSet({"UDP": [(53, 53)], "TCP": [(8080, 8080), (9090, 9090)], "SCTP": [(1, 2)]})
    assert got.describe() == "SCTP 1-2,TCP 8080,9090,UDP 53"
    assert PortSet.protocol("TCP").describe() == "TCP 1-65535"
    assert NONE.describe() == ""


def test_protocol_names_are_case_insensitive_and_ports_clipped() -> None:
    assert PortSet.of("tcp", 0, 70000) == PortSet.protocol("TCP")
    assert PortSet.of("TCP", 80).contains("tcp", 80)


def test_block_ranges_subtract_excepts() -> None:
    block = IPBlock(cidr="10.0.0.0/8", except_=["10.1.0.0/16", "10.2.0.0/16"])
    got = [r.describe() for r in block_ranges(block)]
    assert got == ["10.0.0.0-10.0.255.255", "10.3.0.0-10.255.255.255"]


def test_host_bits_in_cidr_are_ignored_and_bad_cidrs_match_nothing() -> None:
    assert cidr_range("10.1.2.3/8") == cidr_range("10.0.0.0/8")
    assert cidr_range("not-a-cidr") is None
    assert block_ranges(IPBlock(cidr="nope")) == []


def test_atoms_cover_ipv4_and_ipv6_when_used() -> None:
    ranges = block_ranges(IPBlock(cidr="fd00::/8"))
    got = atoms(ranges)
    assert got[0] == IPRange(4, 0, (1 << 32) - 1)
    assert [r.version for r in got] == [4, 6, 6, 6]
    assert sum(r.hi - r.lo + 1 for r in got if r.version == 6) == 1 << 128
