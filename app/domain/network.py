"""Access channel (spec 二): health network (卫生专网) or internet."""
import ipaddress
from functools import lru_cache

NO_INTERNET_MESSAGE = "没有开通互联网访问权限，请联系上级卫健单位开通"


@lru_cache(maxsize=32)
def parse_cidrs(cidrs: str):
    return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs.split(",") if c.strip())


def is_internet(addr: str | None, cidrs: str) -> bool:
    """True when the client address lies outside every health-network range (or cannot be read)."""
    try:
        ip = ipaddress.ip_address((addr or "").strip())
    except ValueError:
        return True
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not any(ip in net for net in parse_cidrs(cidrs) if net.version == ip.version)
