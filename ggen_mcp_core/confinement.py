"""Confine a fresh child process: no network, and a memory ceiling.

A process that runs text an attacker wrote through an engine that can open connections (pyoxigraph runs
SPARQL ``SERVICE`` and ``LOAD`` over HTTP) calls :func:`confine_network` first, while it is still
single-threaded, before it imports the engine. No parser then decides whether a text reaches the network:
the operating system does.

The mechanisms, tried in order:

``namespace``
    ``unshare(CLONE_NEWNET)`` (as root) or ``unshare(CLONE_NEWUSER | CLONE_NEWNET)`` (unprivileged, the
    user's own uid and gid mapped to themselves): the process gets an empty network namespace whose only
    interface, loopback, is down. Nothing is reachable, not even 127.0.0.1.
``seccomp``
    where the kernel refuses namespaces (containers under Docker's default seccomp profile): a seccomp
    filter makes ``socket()`` fail with ``EACCES`` for every family except ``AF_UNIX`` and refuses
    ``io_uring_setup`` (io_uring can create sockets without ``socket()``). Checked for the process's
    architecture (x86_64, aarch64); system calls of any other ABI (i386, x32) fail.
``none``
    both were refused. With ``mode="required"`` :func:`confine_network` raises
    :class:`ConfinementUnavailable` naming the operator's setting; with ``mode="warn"`` it returns, and
    the caller must log and report the degraded state.

``GGEN_MCP_TEST_ISOLATION_SKIP`` (test only: a comma-separated list of ``namespace``, ``seccomp``) skips
mechanisms so that tests can exercise the seccomp filter and the fallback on a machine where namespaces
work. Skipping never weakens ``required``: with nothing left, the process still refuses to run.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import struct
from dataclasses import dataclass
from typing import Literal

Mechanism = Literal["namespace", "seccomp", "none"]
IsolationMode = Literal["required", "warn"]
SKIP_ENV = "GGEN_MCP_TEST_ISOLATION_SKIP"
MiB = 1024 * 1024

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
AF_UNIX = 1
X32_SYSCALL_BIT = 0x40000000

# BPF opcodes (linux/filter.h)
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06


@dataclass(frozen=True)
class _Arch:
    audit_arch: int
    nr_socket: int
    nr_io_uring_setup: int
    nr_seccomp: int


_ARCHES = {
    "x86_64": _Arch(audit_arch=0xC000003E, nr_socket=41, nr_io_uring_setup=425, nr_seccomp=317),
    "aarch64": _Arch(audit_arch=0xC00000B7, nr_socket=198, nr_io_uring_setup=425, nr_seccomp=277),
}


@dataclass(frozen=True)
class NetworkConfinement:
    """Which mechanism keeps this process off the network (``none``: nothing does) and why."""

    mechanism: Mechanism
    detail: str

    @property
    def degraded(self) -> bool:
        return self.mechanism == "none"


class ConfinementUnavailable(RuntimeError):
    """No mechanism could take the network away and the operator's setting requires one."""


def confine_network(mode: IsolationMode = "required", *, setting: str = "network_isolation") -> NetworkConfinement:
    """Take the network away from this (fresh, single-threaded) process; see the module docstring.

    :param mode: ``required`` raises :class:`ConfinementUnavailable` when no mechanism works; ``warn``
        returns a ``none`` result instead.
    :param setting: the operator's setting that chooses ``mode``, named in the error.
    """
    skipped = {part.strip() for part in os.environ.get(SKIP_ENV, "").split(",") if part.strip()}
    refusals: list[str] = []
    for name, enter in (("namespace", _enter_network_namespace), ("seccomp", _install_socket_filter)):
        if name in skipped:
            refusals.append(f"{name}: skipped by {SKIP_ENV}")
            continue
        try:
            detail = enter()
        except OSError as exc:
            refusals.append(f"{name}: {exc.strerror or exc}")
            continue
        return NetworkConfinement(name, detail)  # type: ignore[arg-type]
    detail = "; ".join(refusals)
    if mode == "required":
        raise ConfinementUnavailable(
            f"this process could not be cut off from the network ({detail}); allow user namespaces or seccomp "
            f"(see docs/deployment.md), or set {setting} = 'warn' to run without network isolation"
        )
    return NetworkConfinement("none", detail)


def limit_data_memory(mib: int) -> int:
    """Cap this process's data segment (``RLIMIT_DATA``: heap and private writable mappings) at ``mib`` MiB.

    Never above an existing hard limit (a server run under ``ulimit -d``). Returns the limit now in
    force, in bytes (``resource.RLIM_INFINITY`` when ``mib`` is 0 and there was none).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if mib <= 0:
        return soft
    wanted = mib * MiB
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))
    return wanted


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _enter_network_namespace() -> str:
    libc = _libc()
    if os.geteuid() == 0:
        try:
            _check(libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
            return "network namespace (unshare CLONE_NEWNET)"
        except OSError:
            pass  # root without CAP_SYS_ADMIN (a container): a user namespace may still work
    uid, gid = os.geteuid(), os.getegid()
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNET), "unshare(CLONE_NEWUSER|CLONE_NEWNET)")
    # Files are created with the same owner as before: map our own ids to themselves.
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")
    return "user and network namespace (unshare CLONE_NEWUSER|CLONE_NEWNET)"


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(text)


def socket_filter_program(arch: str) -> bytes:
    """The seccomp BPF program (``struct sock_filter[]``) for ``arch`` (``platform.machine()``)."""
    info = _ARCHES.get(arch)
    if info is None:
        raise OSError(errno.ENOSYS, f"no seccomp socket filter for architecture {arch}")
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    # (code, jt, jf, k); jumps count instructions after the next one. ALLOW is at 8, DENY at 9.
    program = [
        (_LD_W_ABS, 0, 0, 4),  # 0: seccomp_data.arch
        (_JEQ_K, 0, 7, info.audit_arch),  # 1: another ABI -> DENY
        (_LD_W_ABS, 0, 0, 0),  # 2: seccomp_data.nr
        (_JGE_K, 5, 0, X32_SYSCALL_BIT),  # 3: x32 system calls -> DENY
        (_JEQ_K, 4, 0, info.nr_io_uring_setup),  # 4: io_uring -> DENY
        (_JEQ_K, 0, 2, info.nr_socket),  # 5: not socket() -> ALLOW
        (_LD_W_ABS, 0, 0, 16),  # 6: low word of args[0], the address family (little-endian)
        (_JEQ_K, 0, 1, AF_UNIX),  # 7: AF_UNIX -> ALLOW, anything else -> DENY
        (_RET_K, 0, 0, SECCOMP_RET_ALLOW),  # 8
        (_RET_K, 0, 0, deny),  # 9
    ]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _install_socket_filter() -> str:
    arch = platform.machine()
    program = socket_filter_program(arch)
    info = _ARCHES[arch]
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = _libc()
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(PR_SET_NO_NEW_PRIVS)")
    result = libc.syscall(info.nr_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog))
    _check(result, "seccomp(SECCOMP_SET_MODE_FILTER)")
    return f"seccomp filter ({arch}: socket() refused for every family but AF_UNIX, io_uring refused)"


__all__ = [
    "ConfinementUnavailable",
    "IsolationMode",
    "Mechanism",
    "NetworkConfinement",
    "confine_network",
    "limit_data_memory",
    "socket_filter_program",
]
