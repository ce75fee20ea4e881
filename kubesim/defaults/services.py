"""Service defaults and the cluster IP / node port allocators of the Service REST storage.

Cluster IPs come from 10.96.0.0/12 (10.96.0.1 and 10.96.0.10 reserved for the `kubernetes` and
DNS services), node ports from 30000-32767. On update the allocated values of the old object are
kept when the new one omits them, like `patchAllocatedValues` of the real registry.
"""

from __future__ import annotations

import ipaddress
import random
import threading
from typing import Any

from kubesim.errors import ApiError, invalid

Obj = dict[str, Any]

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
RESERVED_IPS = frozenset({"10.96.0.1", "10.96.0.10"})
NODE_PORT_RANGE = range(30000, 32768)


class Allocators:
    """Allocated cluster IPs and node ports of one server, each held by an owner (`namespace/name` of
    its Service); thread-safe. An owner asking again gets what it already holds, so dry runs and
    repeated attempts for the same Service do not use up the ranges."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._ips: dict[str, str] = {}  # ip -> owner
        self._ports: dict[int, str] = {}  # node port -> owner
        self._owner_ip: dict[str, str] = {}
        self._owner_ports: dict[str, dict[Any, int]] = {}

    def take_ip(self, owner: str, requested: str | None) -> str:
        with self._lock:
            if requested:
                self._ips[requested] = owner
                self._owner_ip[owner] = requested
                return requested
            held = self._owner_ip.get(owner)
            if held is not None and self._ips.get(held) == owner:
                return held
            if len(self._ips) + len(RESERVED_IPS) >= SERVICE_CIDR.num_addresses - 17:
                raise ApiError(500, "Internal error occurred: failed to allocate a serviceIP: range is full")
            first, size = int(SERVICE_CIDR.network_address), SERVICE_CIDR.num_addresses
            while True:
                candidate = str(ipaddress.ip_address(first + self._random.randrange(16, size - 1)))
                if candidate not in self._ips and candidate not in RESERVED_IPS:
                    self._ips[candidate] = owner
                    self._owner_ip[owner] = candidate
                    return candidate

    def ip_taken(self, ip: str, owner: str) -> bool:
        with self._lock:
            return self._ips.get(ip, owner) != owner

    def take_port(self, owner: str, slot: Any, requested: int | None) -> int:
        with self._lock:
            held = self._owner_ports.setdefault(owner, {})
            if requested:
                self._ports[requested] = owner
                held[slot] = requested
                return requested
            previous = held.get(slot)
            if previous is not None and self._ports.get(previous) == owner:
                return previous
            candidate = self._random.choice(NODE_PORT_RANGE)
            if candidate in self._ports:
                free = [p for p in NODE_PORT_RANGE if p not in self._ports]
                if not free:
                    raise ApiError(
                        500, "Internal error occurred: failed to allocate a nodePort: range is full"
                    )
                candidate = self._random.choice(free)
            self._ports[candidate] = owner
            held[slot] = candidate
            return candidate

    def port_taken(self, port: int, owner: str) -> bool:
        with self._lock:
            return self._ports.get(port, owner) != owner

    def release(self, service: Obj) -> None:
        """Give back what a deleted Service held (by owner, and the values its spec names)."""
        metadata, spec = service.get("metadata") or {}, service.get("spec") or {}
        ips = [ip for ip in spec.get("clusterIPs") or [spec.get("clusterIP")] if ip]
        ports = [p["nodePort"] for p in spec.get("ports") or [] if isinstance(p, dict) and p.get("nodePort")]
        with self._lock:
            owner = owner_of(metadata) if metadata.get("name") else None
            if owner is not None:
                held_ip = self._owner_ip.pop(owner, None)
                if held_ip:
                    ips.append(held_ip)
                ports.extend(self._owner_ports.pop(owner, {}).values())
            for ip in ips:
                if owner is None or self._ips.get(ip) == owner:
                    self._ips.pop(ip, None)
            for port in ports:
                if owner is None or self._ports.get(port) == owner:
                    self._ports.pop(port, None)


def owner_of(metadata: Obj) -> str:
    return f"{metadata.get('namespace', '')}/{metadata.get('name', '')}"


def _externally_accessible(spec: Obj) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer") or (
        spec.get("type") == "ClusterIP" and bool(spec.get("externalIPs"))
    )


def default_service_fields(spec: Obj) -> None:
    """SetDefaults_Service: the static field defaults."""
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig") or {}
        if not (config.get("clientIP") or {}).get("timeoutSeconds"):
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    spec.setdefault("type", "ClusterIP")
    for port in spec.get("ports") or []:
        if not isinstance(port, dict):
            continue
        port.setdefault("protocol", "TCP")
        if port.get("targetPort") in (None, 0, "") and "port" in port:
            port["targetPort"] = port["port"]
    if _externally_accessible(spec):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer", "ClusterIP"):
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)


def _keep_allocated(spec: Obj, old_spec: Obj) -> None:
    if spec.get("type") == "ExternalName" or old_spec.get("type") == "ExternalName":
        return
    if not spec.get("clusterIP") and old_spec.get("clusterIP"):
        spec["clusterIP"] = old_spec["clusterIP"]
        spec.setdefault("clusterIPs", list(old_spec.get("clusterIPs") or [old_spec["clusterIP"]]))
    for key in ("ipFamilies", "ipFamilyPolicy"):
        if not spec.get(key) and old_spec.get(key):
            spec[key] = old_spec[key]
    old_ports = {
        (p.get("port"), p.get("protocol", "TCP")): p
        for p in old_spec.get("ports") or []
        if isinstance(p, dict)
    }
    for port in spec.get("ports") or []:
        previous = (
            old_ports.get((port.get("port"), port.get("protocol", "TCP"))) if isinstance(port, dict) else None
        )
        wants_node_port = spec.get("type") in ("NodePort", "LoadBalancer")
        if wants_node_port and previous and previous.get("nodePort") and not port.get("nodePort"):
            port["nodePort"] = previous["nodePort"]
    if not spec.get("healthCheckNodePort") and old_spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = old_spec["healthCheckNodePort"]


def _drop_type_dependent_fields(spec: Obj, old_spec: Obj, allocators: Allocators) -> None:
    """dropTypeDependentFields of the Service registry: when the type changes, values only the old type
    needed are cleared if the update left them as they were (and node ports / IPs are released)."""
    old_type, new_type = old_spec.get("type", "ClusterIP"), spec.get("type", "ClusterIP")
    if old_type == new_type:
        return
    if new_type not in ("NodePort", "LoadBalancer"):
        old_ports = {
            (p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
            for p in old_spec.get("ports") or []
            if isinstance(p, dict)
        }
        released = []
        for port in spec.get("ports") or []:
            if not isinstance(port, dict) or not port.get("nodePort"):
                continue
            if port["nodePort"] == old_ports.get((port.get("port"), port.get("protocol", "TCP"))):
                released.append({"nodePort": port.pop("nodePort")})
        allocators.release({"spec": {"ports": released}})
    if new_type != "LoadBalancer":
        for field in ("allocateLoadBalancerNodePorts", "loadBalancerClass", "healthCheckNodePort"):
            if field in spec and spec.get(field) == old_spec.get(field):
                spec.pop(field)
    if not _externally_accessible(spec) and spec.get("externalTrafficPolicy") == old_spec.get(
        "externalTrafficPolicy"
    ):
        spec.pop("externalTrafficPolicy", None)
    if new_type == "ExternalName" and spec.get("clusterIP") == old_spec.get("clusterIP"):
        allocators.release(
            {"spec": {"clusterIPs": old_spec.get("clusterIPs"), "clusterIP": old_spec.get("clusterIP")}}
        )
        for field in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
            spec.pop(field, None)


def default_service(obj: Obj, old: Obj | None, allocators: Allocators) -> None:
    metadata = obj.get("metadata") or {}
    spec = obj.setdefault("spec", {})
    default_service_fields(spec)
    if old is not None:
        _keep_allocated(spec, old.get("spec") or {})
        _drop_type_dependent_fields(spec, old.get("spec") or {}, allocators)
    if spec["type"] == "ExternalName":
        return
    _default_ip_families(spec)
    if old is None or not (old.get("spec") or {}).get("clusterIP"):
        _allocate_cluster_ip(obj, allocators)
    if spec["type"] in ("NodePort", "LoadBalancer"):
        wants_ports = spec["type"] == "NodePort" or spec.get("allocateLoadBalancerNodePorts", True)
        owner = owner_of(metadata)
        causes = []
        previous = {
            p.get("nodePort")
            for p in ((old or {}).get("spec") or {}).get("ports") or []
            if isinstance(p, dict)
        }
        for index, port in enumerate(spec.get("ports") or []):
            if not isinstance(port, dict):
                continue
            requested = port.get("nodePort")
            if requested and requested not in previous and allocators.port_taken(requested, owner):
                causes.append(
                    (
                        "FieldValueInvalid",
                        f"spec.ports[{index}].nodePort",
                        f"Invalid value: {requested}: provided port is already allocated",
                    )
                )
            elif requested or wants_ports:
                port["nodePort"] = allocators.take_port(
                    owner, (port.get("port"), port.get("protocol", "TCP")), requested
                )
        if causes:
            raise invalid("Service", metadata.get("name", ""), "", causes)


def _default_ip_families(spec: Obj) -> None:
    headless = spec.get("clusterIP") == "None"
    if headless and not spec.get("selector"):
        spec.setdefault("ipFamilyPolicy", "PreferDualStack")
        families = spec.setdefault("ipFamilies", ["IPv4"])
        if len(families) < 2 and spec["ipFamilyPolicy"] != "SingleStack":
            families.append("IPv6" if families[0] == "IPv4" else "IPv4")
        return
    if not spec.get("ipFamilyPolicy"):
        many = len(spec.get("clusterIPs") or []) >= 2 or len(spec.get("ipFamilies") or []) >= 2
        spec["ipFamilyPolicy"] = "RequireDualStack" if many else "SingleStack"
    spec.setdefault("ipFamilies", ["IPv4"])


def _allocate_cluster_ip(obj: Obj, allocators: Allocators) -> None:
    spec = obj["spec"]
    requested = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
    if requested == "None":
        spec["clusterIP"] = "None"
        spec["clusterIPs"] = ["None"]
        return
    if requested:
        try:
            address = ipaddress.ip_address(requested)
        except ValueError:
            return  # validation reports the malformed address
        name = (obj.get("metadata") or {}).get("name", "")
        if address not in SERVICE_CIDR:
            message = f'Invalid value: []string{{"{requested}"}}: failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {SERVICE_CIDR}'
            raise invalid("Service", name, "", [("FieldValueInvalid", "spec.clusterIPs", message)])
        if allocators.ip_taken(requested, owner_of(obj.get("metadata") or {})):
            message = f'Invalid value: []string{{"{requested}"}}: failed to allocate IP {requested}: provided IP is already allocated'
            raise invalid("Service", name, "", [("FieldValueInvalid", "spec.clusterIPs", message)])
    ip = allocators.take_ip(owner_of(obj.get("metadata") or {}), requested)
    spec["clusterIP"] = ip
    spec["clusterIPs"] = [ip]
