"""Which addresses a watch may reach: public ones, and those the operator allows.

A fetch that ends on a loopback, private, link-local or cloud-metadata address can read what
only the host running Palimpsest should see (server-side request forgery), so such addresses
are refused unless ``PALIMPSEST_ALLOW_PRIVATE_NETWORKS`` allows them.

>>> refused_reason("93.184.216.34") is None
True
>>> refused_reason("127.0.0.1")
'a loopback address'
>>> refused_reason("::ffff:10.0.0.7")
'a private address'
>>> refused_reason("169.254.169.254")
'a link-local address (cloud metadata)'
>>> refused_reason("10.1.2.3", [ipaddress.ip_network("10.0.0.0/8")]) is None
True
>>> literal_address("127.1")
IPv4Address('127.0.0.1')
>>> check_url_address("http://example.com/story", ())
'http://example.com/story'
>>> check_url_address("http://[::1]:8080/x", ())
Traceback (most recent call last):
...
palimpsest.errors.InvalidURL: refused URL 'http://[::1]:8080/x': ::1 is a loopback address \
(set PALIMPSEST_ALLOW_PRIVATE_NETWORKS to allow it)
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from monitor.urls import check_url
from palimpsest.errors import InvalidURL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_METADATA = {
    ipaddress.ip_address("169.254.169.254"): "a link-local address (cloud metadata)",
    ipaddress.ip_address("fd00:ec2::254"): "a unique-local address (cloud metadata)",
    ipaddress.ip_address("100.100.100.200"): "a shared address (cloud metadata)",
}
_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def refused_reason(ip: str | Address, allowed: Iterable[Network] = ()) -> str | None:
    """None if ``ip`` is public or inside an ``allowed`` network, else why it is refused.

    An IPv6 address that carries an IPv4 one (``::ffff:a.b.c.d``, NAT64, 6to4) is judged by
    the IPv4 address it reaches.

    >>> refused_reason("fd12::1"), refused_reason("224.0.0.1"), refused_reason("0.0.0.0")
    ('a unique-local address', 'a multicast address', 'an unspecified address')
    >>> refused_reason("100.64.0.1"), refused_reason("240.0.0.1"), refused_reason("fe80::1")
    ('a shared address (carrier-grade NAT)', 'a reserved address', 'a link-local address')
    >>> refused_reason("64:ff9b::7f00:1"), refused_reason("2606:4700::6810:84e5") is None
    ('a loopback address', True)
    """
    address = ipaddress.ip_address(ip)
    inner = embedded_ipv4(address)
    networks = tuple(allowed)
    if any(a in net for a in (address, inner) if a is not None for net in networks):
        return None
    return _reason(inner) if inner is not None else _reason(address)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), if any."""
    if address.version != 6:
        return None
    assert isinstance(address, ipaddress.IPv6Address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _reason(address: Address) -> str | None:
    if address in _METADATA:
        return _METADATA[address]
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address in _UNIQUE_LOCAL:
        return "a unique-local address"
    if any(address in net for net in _RFC1918):
        return "a private address"
    if address in _SHARED:
        return "a shared address (carrier-grade NAT)"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a special-purpose address"
    return None


def literal_address(host: str) -> Address | None:
    """The address ``host`` spells, if it is one (also the short and numeric IPv4 forms such
    as ``127.1`` or ``2130706433``, which resolvers read as addresses); no DNS lookup."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def describe_address(host: str, address: Address) -> str:
    """``host``, followed by the address it stands for when that is spelt differently."""
    return host if host == str(address) else f"{host} ({address})"


def check_url_address(url: str, allowed: Iterable[Network]) -> str:
    """``check_url(url)``, also refusing a URL whose host is a literal non-public address.

    Host names are not resolved here (DNS may be down when a watch is added): every fetch
    checks the addresses a name resolves to (``scraper.guard``).
    """
    url = check_url(url)
    host = urlsplit(url).hostname or ""
    address = literal_address(host)
    reason = refused_reason(address, allowed) if address is not None else None
    if reason:
        raise InvalidURL(
            f"refused URL {url!r}: {describe_address(host, address)} is {reason} "
            "(set PALIMPSEST_ALLOW_PRIVATE_NETWORKS to allow it)"
        )
    return url
