"""The port namespace: SYS_IPC_BIND_PORT, SYS_IPC_UNBIND_PORT, SYS_IPC_CONNECT
(upstream syscall/dispatcher.rs, vfs/mount.rs, namespace/mod.rs; ABI.md section 5).

Upstream keeps two tables and the model keeps both, because guests can see
the difference:

- the VFS mount table `k.mounts` (normalised prefix -> port id, or None for
  the kernel's own boot-time mounts). Bind adds to it after removing one
  trailing '/' (except for "/"); a prefix already there gives EEXIST. Unbind
  removes the exact path given (no normalisation), EBADF when absent.
- the namespace bindings `k.ns_bindings` (path exactly as the binder gave
  it -> port id). Connect resolves here: the longest bound prefix that ends at
  the end of the path or at a '/'.
"""

from __future__ import annotations

from . import capabilities as caps
from .capabilities import Perm, ResourceType
from .errno import Errno, SyscallError
from .memory import read_user
from .message import PAYLOAD_SIZE, IpcMessage
from .wait import Block

MAX_PATH_LEN = 4096
BOOTSTRAP_MSG_TYPE = 0x10
BOOTSTRAP_PREFIX = "/srv/strate-fs-"

# What the real kernel mounts while booting (upstream vfs/mod.rs init(),
# vfs/scheme_router.rs init_builtin_schemes, vfs/pty_scheme.rs); binding one
# of these exact paths gives EEXIST. ("/dev/net" is mounted only with a NIC,
# which the testbed does not have.)
BOOT_MOUNTS = ("/", "/initfs", "/sys", "/proc", "/ipc", "/dev", "/dev/console", "/dev/pts")


def init_kernel(k) -> None:
    k.mounts = {prefix: None for prefix in BOOT_MOUNTS}
    k.ns_bindings = {}


def read_path(task, ptr: int, length: int) -> str:
    """The path checks shared by bind, unbind and connect, in upstream order."""
    if ptr == 0 or length == 0:
        raise SyscallError(Errno.EFAULT)
    if length > MAX_PATH_LEN:
        raise SyscallError(Errno.EINVAL)
    raw = read_user(task.process.memory, ptr, length)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SyscallError(Errno.EINVAL) from None


def mount(k, path: str, port_id: int) -> None:
    """upstream MountTable::mount."""
    if not path or not path.startswith("/"):
        raise SyscallError(Errno.EINVAL)
    prefix = path[:-1] if len(path) > 1 and path.endswith("/") else path
    if prefix in k.mounts:
        raise SyscallError(Errno.EEXIST)
    k.mounts[prefix] = port_id


def resolve(k, path: str) -> int | None:
    """upstream namespace::resolve: the port id bound at the longest prefix of
    `path` that ends at the end of the path or right before a '/'."""
    best = None
    for prefix, port_id in k.ns_bindings.items():
        if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, port_id)
    return None if best is None else best[1]


def bootstrap_label(path: str) -> str:
    # Testbed tasks are in no silo, so upstream falls back to the path.
    if path == "/":
        return "root"
    for part in reversed(path.split("/")):
        if part:
            return part
    return "default"


def bootstrap_message(task, path: str) -> IpcMessage:
    label = bootstrap_label(path).encode("utf-8")[:PAYLOAD_SIZE - 1]
    payload = bytes([len(label)]) + label
    # flags: a Volume handle seeded for the server when a block device
    # exists; the testbed has none, so 0.
    return IpcMessage(task.tid, BOOTSTRAP_MSG_TYPE, 0, payload.ljust(PAYLOAD_SIZE, b"\0"))


def sys_ipc_bind_port(k, task, hid, path_ptr, path_len, *_):
    # upstream enforce_registry_bind_for_current_task: admin, or a silo with
    # the bind right; testbed tasks are admin or in no silo at all.
    if not task.process.admin:
        raise SyscallError(Errno.EPERM)
    caps.enforce_cap(task, hid)
    path = read_path(task, path_ptr, path_len)
    h = caps.lookup_with(task, hid, Perm.READ | Perm.WRITE | Perm.GRANT)
    if h is None:
        raise SyscallError(Errno.EPERM)
    if h.rtype is not ResourceType.IPC_PORT:
        raise SyscallError(Errno.EBADF)
    port_id = h.obj.id
    mount(k, path, port_id)
    k.ns_bindings[path] = port_id  # the raw path, as upstream's namespace::bind

    if not (path == "/" or path.startswith(BOOTSTRAP_PREFIX)):
        return 0
    port = k.ports.get(port_id)
    if port is None:
        return 0
    boot = bootstrap_message(task, path)

    # Upstream queues it with a blocking send and ignores a failure.
    def attempt():
        try:
            queued = port.try_push(k, boot)
        except SyscallError:
            return 0
        if not queued:
            return Block(f"ipc_bind_port {path!r}: bootstrap message, {port.describe()} full", attempt,
                         (port.send_waitq,))
        return 0

    return attempt()


def sys_ipc_unbind_port(k, task, path_ptr, path_len, *_):
    if not task.process.admin:  # upstream require_silo_admin
        raise SyscallError(Errno.EPERM)
    path = read_path(task, path_ptr, path_len)
    k.ns_bindings.pop(path, None)
    if path not in k.mounts:
        raise SyscallError(Errno.EBADF)
    del k.mounts[path]
    return 0


def sys_ipc_connect(k, task, path_ptr, path_len, *_):
    path = read_path(task, path_ptr, path_len)
    port_id = resolve(k, path)
    if port_id is None:
        raise SyscallError(Errno.ENOENT)
    port = k.ports.get(port_id)
    if port is None:
        raise SyscallError(Errno.EBADF)
    return caps.insert(k, task.process, port, caps.PERM_RW, new=False)

