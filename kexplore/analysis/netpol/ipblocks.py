"""IP ranges for ipBlock peers: CIDR-minus-except matching (IPv4 and IPv6) and external atoms."""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from kexplore.model.policies import IPBlock

_MAX = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


@dataclass(frozen=True, order=True)
class IPRange:
    """An inclusive range of addresses of one IP version."""

    version: int
    lo: int
    hi: int

    @classmethod
    def of_ip(cls, ip: str) -> IPRange | None:
        """The single address `ip`; None when it is not an IP address."""
        return _single(ip)

    def describe(self) -> str:
        """`10.0.0.0-10.255.255.255` (np-guard's form), or one address."""
        make = ipaddress.IPv4Address if self.version == 4 else ipaddress.IPv6Address
        lo, hi = make(self.lo), make(self.hi)
        return str(lo) if self.lo == self.hi else f"{lo}-{hi}"

    def within(self, other: IPRange) -> bool:
        return self.version == other.version and other.lo <= self.lo and self.hi <= other.hi

    def overlaps(self, other: IPRange) -> bool:
        return self.version == other.version and self.lo <= other.hi and other.lo <= self.hi


@lru_cache(maxsize=65536)
def _single(ip: str) -> IPRange | None:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    return IPRange(addr.version, int(addr), int(addr))


@lru_cache(maxsize=4096)
def cidr_range(cidr: str) -> IPRange | None:
    """The addresses of a CIDR (host bits ignored, as the API server accepts them); None if bad."""
    try:
        net = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    return IPRange(net.version, int(net.network_address), int(net.broadcast_address))


def block_contains(block: IPBlock, target: IPRange) -> bool:
    """Whether every address of `target` is in the block's CIDR and in none of its excepts.

    Atoms from `atoms()` never straddle a boundary, so for them "partly in" cannot happen;
    for an arbitrary range the answer is conservative (all addresses must match).
    """
    outer = cidr_range(block.cidr)
    if outer is None or not target.within(outer):
        return False
    for text in block.except_:
        inner = cidr_range(text)
        if inner is not None and inner.overlaps(target):
            return False
    return True


def block_ranges(block: IPBlock) -> list[IPRange]:
    """The addresses of an ipBlock as disjoint ranges: its CIDR minus the excepts."""
    outer = cidr_range(block.cidr)
    if outer is None:
        return []
    holes = sorted(r for r in map(cidr_range, block.except_) if r is not None and r.overlaps(outer))
    out: list[IPRange] = []
    cur = outer.lo
    for hole in holes:
        if hole.lo > cur:
            out.append(IPRange(outer.version, cur, hole.lo - 1))
        cur = max(cur, hole.hi + 1)
    if cur <= outer.hi:
        out.append(IPRange(outer.version, cur, outer.hi))
    return out


def atoms(ranges: Iterable[IPRange]) -> list[IPRange]:
    """The whole IPv4 space (and IPv6 when some range is IPv6) cut at every range boundary.

    Each atom is either inside or outside every given range, so one evaluation per atom
    stands for all its addresses. Give ipBlocks as `block_ranges` so that adjacent excepts
    make one hole, as np-guard reports them.
    """
    cuts: dict[int, set[int]] = {4: {0, _MAX[4] + 1}}
    for r in ranges:
        bounds = cuts.setdefault(r.version, {0, _MAX[r.version] + 1})
        bounds.update((r.lo, r.hi + 1))
    out: list[IPRange] = []
    for version in sorted(cuts):
        points = sorted(cuts[version])
        out.extend(IPRange(version, a, b - 1) for a, b in itertools.pairwise(points))
    return out
