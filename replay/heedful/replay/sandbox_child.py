"""The processes inside heedful's sandbox, started by `replay/heedful/replay/sandbox.py` (which also borrows `sweep_uid`).

Two roles in one stdlib-only file, so that it runs under any interpreter with `-I -S`:

    python -I -S -B sandbox_child.py boot CONFIG.json
        The bootstrap. Runs with the caller's privileges, builds the isolation (namespaces, a
        fresh /tmp, a read-only root, an unprivileged uid or a capability-less root, rlimits),
        forks the runner, enforces the wall-time limit, then kills everything the run started.
        It writes one JSON line about what it did to the status pipe.

    python -I -B sandbox_child.py zygote STATUS_FD COMMAND_FD REPORT_FD GUARD
        The batched runner (the bootstrap's config lists several tests): an interpreter that has
        imported this file and nothing else of the run, and forks one process per test, which
        sets the test's limits and then does what `run` does. See `_supervise_batch`.

    python -I -B sandbox_child.py run STATUS_FD PROGRAM.py TEST.py GUARD
        The runner (after the bootstrap dropped privileges and set the limits). Executes the
        program, then the test, in one `__main__` namespace, and writes one JSON line with the
        verdict (pass, fail, error or killed by a limit it can see) to the status pipe.

See docs/sandbox.md for what is isolated how.
"""

import builtins
import ctypes
import errno
import json
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import time
import traceback
import types

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND = 32, 1024, 2048, 4096
MS_REC, MS_PRIVATE, MS_RELATIME = 1 << 14, 1 << 18, 1 << 21

PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 24, 36, 38
PR_SET_DUMPABLE = 4
MNT_DETACH = 2

SYS_MOUNT_SETATTR = 442  # the same number on every architecture (added in Linux 5.12)
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION, LANDLOCK_RULE_PATH_BENEATH = 1, 1
LL_WRITE_FILE, LL_READ_FILE, LL_READ_DIR, LL_REMOVE_DIR, LL_REMOVE_FILE = 1 << 1, 1 << 2, 1 << 3, 1 << 4, 1 << 5
LL_MAKE_ALL = sum(1 << b for b in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
LL_REFER, LL_TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
LL_NET_BIND_TCP, LL_NET_CONNECT_TCP = 1, 2  # ABI 4
LL_SCOPE_ABSTRACT_UNIX, LL_SCOPE_SIGNAL = 1, 2  # ABI 6

# seccomp (fallback only): AF_UNIX sockets cannot be created, so no socket file of the host
# (/run/docker.sock, an X server, an ssh agent) can be connected to; socketpair() still works.
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
SYS_IO_URING_SETUP = 425  # io_uring could create sockets past the filter: refused too
SECCOMP_ARCH = {"x86_64": (0xC000003E, 41), "aarch64": (0xC00000B7, 198)}.get(os.uname().machine)

MAX_RECORD = 3000  # keep status lines under PIPE_BUF (4096) so each write is atomic
EXIT_FATAL = 70

_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
        _libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        _libc.unshare.argtypes = [ctypes.c_int]
        _libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return _libc


class SetupError(Exception):
    pass


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _prctl(option, arg2=0):
    _check(libc().prctl(option, arg2, 0, 0, 0), f"prctl({option})")


def _enc(text):
    return text.encode() if isinstance(text, str) else text


def _mount(source, target, fstype, flags, data=None):
    _check(libc().mount(_enc(source), _enc(target), _enc(fstype), flags, _enc(data)), f"mount {target}")


def emit(fd, record):
    """One JSON line on the status pipe; never raises (the reader may be gone)."""
    line = json.dumps(record, default=str)
    if len(line) > MAX_RECORD:
        for key in ("reason", "fatal", "message"):
            if isinstance(record.get(key), str) and len(record[key]) > 1000:
                record = dict(record, **{key: record[key][:1000] + " [...]"})
        line = json.dumps(record, default=str)[:MAX_RECORD * 4]
    try:
        os.write(fd, (line + "\n").encode("utf-8", "backslashreplace"))
    except OSError:
        pass


# ----------------------------------------------------------------------------------- bootstrap

def boot(config_path):
    with open(config_path, encoding="utf-8") as f:
        cfg = json.load(f)
    fd = cfg["status_fd"]
    try:
        return _boot(cfg)
    except BaseException as exc:  # noqa: BLE001 - anything here is a sandbox failure, reported as such
        msg = exc.args[0] if isinstance(exc, SetupError) else "".join(traceback.format_exception(exc)).strip()
        emit(fd, {"who": "bootstrap", "event": "fatal", "fatal": msg})
        return EXIT_FATAL


def _boot(cfg):
    root = os.geteuid() == 0
    mech, notes = [], []
    in_ns = False
    if cfg["isolation"] != "fallback":
        flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
        if not root:
            flags |= CLONE_NEWUSER
        outer_uid, outer_gid = os.getuid(), os.getgid()
        if libc().unshare(flags) == 0:
            in_ns = True
            if not root:
                for name, text in (("setgroups", "deny"), ("uid_map", f"0 {outer_uid} 1"),
                                   ("gid_map", f"0 {outer_gid} 1")):
                    with open(f"/proc/self/{name}", "w") as f:
                        f.write(text)
                mech.append("userns")
            mech += ["netns", "mountns", "pidns", "ipcns", "utsns"]
        else:
            err = os.strerror(ctypes.get_errno())
            if cfg["isolation"] == "namespaces":
                raise SetupError(f"namespaces were required but unshare() failed: {err}")
            notes.append(f"namespaces unavailable (unshare: {err}); using the fallback")
    if in_ns:
        init = os.fork()
        if init:
            # The outer bootstrap only relays init's exit; when it dies, init dies (PDEATHSIG),
            # and when init (pid 1 of the new pid namespace) dies, the kernel kills the rest.
            while True:
                try:
                    _, status = os.waitpid(init, 0)
                    break
                except ChildProcessError:
                    return EXIT_FATAL
            return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else EXIT_FATAL
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if root:
        drop = "uid"
    elif in_ns:
        drop = "caps"
    else:
        drop = "none"
    uid, gid = (cfg["uid"], cfg["uid"]) if drop == "uid" else (os.getuid(), os.getgid())
    workdir = cfg["workdir"]
    if in_ns:
        workdir = _build_filesystem(cfg, drop, uid, gid, mech, notes)
        try:
            _loopback_up()
        except OSError as exc:
            notes.append(f"loopback not brought up: {exc}")
    elif drop == "uid":
        os.chown(workdir, uid, gid)
    batch = bool(cfg.get("batch"))
    if not batch:
        _write_files(workdir, cfg["files"], uid if drop == "uid" else None, gid)
    elif in_ns and "procfs" not in mech:
        raise SetupError("the batched sandbox needs a fresh /proc in its pid namespace")
    if drop == "uid":
        mech.append(f"uid:{uid}")
    elif drop == "caps":
        mech.append("no-capabilities")
    mech += ["no-new-privs", "rlimits"]
    abi = 0 if in_ns else landlock_abi()
    mech += _landlock_mechanisms(abi)
    cfg["_seccomp"] = not in_ns and seccomp_available()
    if cfg["_seccomp"]:
        mech.append("seccomp-no-unix-sockets")
    elif not in_ns:
        notes.append("no seccomp filter: the host's unix socket files are connectable (the audit hook refuses"
                     " it for Python code only)")
    if not in_ns:
        isolation = "landlock" if abi >= 4 else "python-guard"
        if abi < 4:
            notes.append("no kernel network isolation: only the runner's Python audit hook blocks sockets")
    else:
        isolation = "netns"
    supervise = _supervise_batch if batch else _supervise
    return supervise(cfg, in_ns, drop, uid, gid, workdir, mech, notes, abi, isolation)


def _build_filesystem(cfg, drop, uid, gid, mech, notes):
    """In the new mount namespace: nothing propagates out, and the program's root is a fresh,
    read-only tree holding only what the interpreter needs (see `_minimal_root`), a fresh /proc,
    and a size-limited tmpfs as /tmp (also /var/tmp and /dev/shm). Nothing else of the host is
    visible: not the caller's cwd, PYTHONPATH, home or checkout, nor a socket file in /run or /tmp."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _minimal_root(cfg, mech, notes)
    how = _make_readonly("/")
    mech.append("ro-root" if how == "setattr" else f"ro-root({how})")
    limits = cfg["limits"]
    opts = f"size={int(limits['disk_mb'])}m,nr_inodes=16384,mode=0700,uid={uid},gid={gid}"
    # an interpreter (or this file) below /tmp stays visible, read-only, at its own path
    _cover("/tmp", [p for p in cfg["needed_paths"] if p.startswith("/tmp/")], "tmpfs", opts, persistent=True)
    mech.append(f"tmpfs:{int(limits['disk_mb'])}MB")
    cfg["_tmp_aliases"] = _bind_tmp_aliases(notes)
    return "/tmp"


# What of the host the program sees besides the interpreter's own paths: the system's programs
# and libraries, the few files of /etc that the C library and Python read, and harmless devices.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_PATHS = tuple("/etc/" + name for name in (
    "passwd", "group", "hosts", "host.conf", "nsswitch.conf", "localtime", "timezone", "ld.so.cache",
    "ld.so.conf", "ld.so.conf.d", "os-release", "mime.types", "protocols", "services", "ssl",
    "ca-certificates", "alternatives", "fonts", "mtab"))
DEV_PATHS = tuple("/dev/" + name for name in ("null", "zero", "full", "random", "urandom", "tty"))
DEV_LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
             ("stderr", "/proc/self/fd/2"))
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "loongarch64": 41}.get(os.uname().machine)


def _minimal_root(cfg, mech, notes):
    """Build the program's root on a fresh tmpfs, then make it the root (pivot_root) and detach
    the host's: system paths, selected /etc files, /dev/null and friends, a fresh /proc, and the
    interpreter's paths (`needed_paths`: its prefixes, stdlib and site-packages, and the runner
    file alone, never its folder), each bound read-only at its own path. The folders created to
    reach them are empty and 0755, which also masks private homes (a 0700 /root holding pyenv)."""
    old_umask = os.umask(0o022)
    new_root = os.path.join(os.path.dirname(cfg["workdir"]), "root")
    os.mkdir(new_root, 0o755)
    _mount("tmpfs", new_root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,nr_inodes=4096,mode=0755")
    placed = []
    for path in SYSTEM_PATHS + ETC_PATHS + DEV_PATHS + tuple(cfg["needed_paths"]):
        if not any(path == p or path.startswith(p.rstrip("/") + "/") for p in placed) and _place(new_root, path):
            placed.append(path)
    for name, target in DEV_LINKS:
        os.symlink(target, f"{new_root}/dev/{name}")
    for path in ("/proc", "/tmp", "/var/tmp", "/dev/shm"):
        os.makedirs(new_root + path, 0o755, exist_ok=True)
    try:
        _mount("proc", new_root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        mech.append("procfs")
    except OSError as exc:
        notes.append(f"no fresh /proc ({exc.strerror}); the host's is visible")
        _mount("/proc", new_root + "/proc", None, MS_BIND | MS_REC)
    os.chdir(new_root)
    if SYS_PIVOT_ROOT is not None and libc().syscall(SYS_PIVOT_ROOT, b".", b".") == 0:
        _check(libc().umount2(b".", MNT_DETACH), "umount the host's root")
        mech.append("minimal-root")
    else:
        err = os.strerror(ctypes.get_errno()) if SYS_PIVOT_ROOT is not None else "unknown architecture"
        os.chroot(".")  # capabilities are dropped before the program starts: it cannot chroot back out
        mech.append("minimal-root(chroot)")
        notes.append(f"pivot_root refused ({err}): the minimal root is a chroot")
    os.chdir("/")
    os.umask(old_umask)


def _place(new_root, path):
    """Make the host's `path` appear at the same place below `new_root`: a symlink as the same
    symlink, a file or directory as a bind mount (with what is mounted below it). Returns
    whether there was anything to place."""
    if not os.path.lexists(path):
        return False
    target = new_root + path
    near = os.path.dirname(target)
    while not os.path.lexists(near):
        near = os.path.dirname(near)
    if os.path.islink(near) or os.stat(near).st_dev != os.stat(new_root).st_dev:
        return True  # already visible through a symlink or a bind placed before: never write into those
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
    if os.path.islink(path):
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        return True
    if os.path.isdir(path):
        os.makedirs(target, 0o755, exist_ok=True)
    elif not os.path.exists(target):
        open(target, "a").close()
    _mount(path, target, None, MS_BIND | MS_REC)
    return True


def _bind_tmp_aliases(notes):
    bound = []
    for other in ("/var/tmp", "/dev/shm"):
        if os.path.isdir(other) and not os.path.islink(other):
            try:
                _mount("/tmp", other, None, MS_BIND)
                bound.append(other)
            except OSError as exc:
                notes.append(f"{other} not replaced ({exc.strerror}); it is read-only")
    return bound


def _reset_tmp(cfg, uid, gid):
    """Batched runs, between two tests: a fresh, empty tmpfs as /tmp (and /var/tmp, /dev/shm), so
    nothing a test wrote is seen by the next one (and its disk space is given back)."""
    limits = cfg["limits"]
    opts = f"size={int(limits['disk_mb'])}m,nr_inodes=16384,mode=0700,uid={uid},gid={gid}"

    def unmount():
        for other in cfg.get("_tmp_aliases", ()):
            libc().umount2(other.encode(), MNT_DETACH)
        _check(libc().umount2(b"/tmp", MNT_DETACH), "umount /tmp")

    _cover("/tmp", [p for p in cfg["needed_paths"] if p.startswith("/tmp/")], "tmpfs", opts, before=unmount,
           persistent=True)
    cfg["_tmp_aliases"] = _bind_tmp_aliases([])


def _remove_sysv_ipc():
    """Batched runs with namespaces, between two tests: remove every SysV shared memory segment,
    semaphore set and message queue of the sandbox's own IPC namespace."""
    ipc_rmid = 0
    for kind in ("shm", "sem", "msg"):
        try:
            with open(f"/proc/sysvipc/{kind}", encoding="ascii", errors="replace") as f:
                ids = [int(line.split()[1]) for line in f.readlines()[1:] if len(line.split()) > 1]
        except (OSError, ValueError):
            continue
        for ident in ids:
            if kind == "shm":
                libc().shmctl(ident, ipc_rmid, None)
            elif kind == "sem":
                libc().semctl(ident, 0, ipc_rmid)
            else:
                libc().msgctl(ident, ipc_rmid, None)


def _clear_dir(path):
    """Batched runs without namespaces, between two tests: empty the working directory."""
    def fix(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), stat_dir_mode)
            os.chmod(p, stat_dir_mode)
            func(p)
        except OSError:
            pass

    stat_dir_mode = 0o700
    os.chmod(path, stat_dir_mode)
    for name in os.listdir(path):
        full = os.path.join(path, name)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full, onerror=fix)
        else:
            os.unlink(full)
    if os.listdir(path):
        raise SetupError(f"could not empty the working directory {path} between two tests")


def _make_readonly(path):
    class MountAttr(ctypes.Structure):
        _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                    ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]

    attr = MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
    ret = libc().syscall(SYS_MOUNT_SETATTR, ctypes.c_int(AT_FDCWD), path.encode(), ctypes.c_uint(AT_RECURSIVE),
                         ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)))
    if ret == 0:
        return "setattr"
    # Kernels before 5.12: remount every mount point read-only, keeping its other flags.
    keep = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
            "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = []
        for line in f:
            fields = line.split()
            mp = fields[4].encode().decode("unicode_escape")
            flags = sum(keep.get(o, 0) for o in fields[5].split(","))
            points.append((mp, flags))
    failed = 0
    for mp, flags in points:
        below = mp == path or mp.startswith(path.rstrip("/") + "/")
        if below and libc().mount(None, mp.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY | flags, None) != 0:
            failed += 1
    if failed:
        raise SetupError(f"could not make the file system read-only ({failed} mount points refused)")
    return "remount"


# Paths kept through the /tmp cover, held open (O_PATH) from before the first cover for the whole
# life of the sandbox: a batched run covers /tmp again between tests, and a bind can only be made
# from a mount that is still attached (the previous cover's binds are detached with it: EINVAL).
_HELD_FOR_TMP: dict[str, tuple[int, bool]] = {}


def _cover(top, keep, fstype, options, before=None, persistent=False):
    """Mount a fresh `fstype` on `top`, then bind the paths in `keep` (below `top`) back at the
    same place, read-only. `before` runs once those paths are held (to unmount an older cover).
    `persistent`: hold the paths once and reuse them on every later cover of the same `top`."""
    if persistent:
        for p in sorted(set(keep)):
            if p not in _HELD_FOR_TMP and os.path.exists(p):
                _HELD_FOR_TMP[p] = (os.open(p, os.O_PATH | os.O_CLOEXEC), os.path.isdir(p))
        held = [(p, fd, is_dir) for p, (fd, is_dir) in sorted(_HELD_FOR_TMP.items()) if p in set(keep)]
    else:
        held = [(p, os.open(p, os.O_PATH | os.O_CLOEXEC), os.path.isdir(p)) for p in sorted(set(keep))
                if os.path.exists(p)]
    try:
        if before is not None:
            before()
        _mount(fstype, top, fstype, MS_NOSUID | MS_NODEV, options)
        for path, fd, is_dir in held:
            os.makedirs(path if is_dir else os.path.dirname(path), mode=0o755, exist_ok=True)
            if not is_dir:
                open(path, "a").close()
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
            _make_readonly(path)
    finally:
        if not persistent:
            for _, fd, _ in held:
                os.close(fd)


def _loopback_up():
    """A new network namespace has only `lo`, and it is down: bring it up so that programs can
    talk to themselves on 127.0.0.1 (nothing outside the namespace is reachable)."""
    import fcntl
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def landlock_abi():
    """The Landlock ABI version the kernel offers (0: none, or not permitted here)."""
    try:
        abi = libc().syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                             ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    except (AttributeError, OSError):
        return 0
    return max(int(abi), 0)


def _landlock_mechanisms(abi):
    mech = ["landlock-fs", "landlock-read"] if abi >= 1 else []
    if abi >= 4:
        mech.append("landlock-tcp")
    if abi >= 6:
        mech.append("landlock-scope")
    return mech


def _landlock(abi, workdir, needed_paths):
    """Without namespaces: the kernel (Landlock, unprivileged) lets this process and everything
    it starts write only below `workdir` (and to /dev/null, /dev/zero, /dev/full), read only the
    paths the namespace mode shows (the system paths, selected /etc files, /proc, the
    interpreter's `needed_paths`, `workdir`), refuses TCP connect and bind (ABI 4+), and keeps
    signals and abstract unix sockets inside (ABI 6+)."""
    read = LL_READ_FILE | LL_READ_DIR
    fs = LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_ALL | read
    fs |= LL_REFER if abi >= 2 else 0
    fs |= LL_TRUNCATE if abi >= 3 else 0
    net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP if abi >= 4 else 0
    scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL if abi >= 6 else 0

    class RulesetAttr(ctypes.Structure):
        _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                    ("scoped", ctypes.c_uint64)]

    class PathBeneath(ctypes.Structure):
        _pack_ = 1
        _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]

    attr = RulesetAttr(fs, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = libc().syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        _check(-1, "landlock_create_ruleset")
    try:
        rules = [(workdir, fs)] + [(dev, LL_WRITE_FILE | LL_READ_FILE | (LL_TRUNCATE if abi >= 3 else 0))
                                   for dev in ("/dev/null", "/dev/zero", "/dev/full") if os.path.exists(dev)]
        rules += [(path, read) for path in SYSTEM_PATHS + ETC_PATHS + DEV_PATHS + ("/proc",) + tuple(needed_paths)
                  if os.path.exists(path)]
        for path, access in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            if not os.path.isdir(path):
                access &= ~(LL_READ_DIR | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_ALL | LL_REFER)
            try:
                rule = PathBeneath(access, fd)
                _check(libc().syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                                      ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule),
                                      ctypes.c_uint32(0)), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        _check(libc().syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)),
               "landlock_restrict_self")
    finally:
        os.close(ruleset)


def seccomp_available():
    """Whether `_deny_unix_sockets` can be applied here (a known architecture, seccomp filters)."""
    if SECCOMP_ARCH is None:
        return False
    return libc().prctl(21, 0, 0, 0, 0) >= 0  # PR_GET_SECCOMP: -1/EINVAL without seccomp


def _deny_unix_sockets():
    """Without namespaces the host's socket files and its abstract sockets are reachable: a
    seccomp filter makes socket(AF_UNIX, ...) (and io_uring_setup) fail with EACCES for this
    process and everything it starts. Needs no_new_privs (set before)."""
    arch, nr_socket = SECCOMP_ARCH
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    deny = SECCOMP_RET_ERRNO | errno.EACCES
    program = [
        (ld, 0, 0, 4),                       # 0: the architecture
        (jeq, 0, 6, arch),                   # 1: another ABI (32-bit compat): refuse everything
        (ld, 0, 0, 0),                       # 2: the system call number
        (jge, 4, 0, 0x40000000),             # 3: x32 numbers: refuse
        (jeq, 3, 0, SYS_IO_URING_SETUP),     # 4
        (jeq, 0, 3, nr_socket),              # 5: not socket(): allow
        (ld, 0, 0, 16),                      # 6: socket()'s domain (low 32 bits of args[0])
        (jeq, 0, 1, socket.AF_UNIX),         # 7
        (ret, 0, 0, deny),                   # 8
        (ret, 0, 0, SECCOMP_RET_ALLOW),      # 9
    ]

    class SockFilter(ctypes.Structure):
        _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8),
                    ("k", ctypes.c_uint32)]

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]

    filters = (SockFilter * len(program))(*(SockFilter(*op) for op in program))
    prog = SockFprog(len(program), filters)
    _check(libc().prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0), "prctl(PR_SET_SECCOMP)")


def _write_files(workdir, files, uid, gid):
    for rel, spec in files.items():
        path = os.path.join(workdir, rel)
        parent = os.path.dirname(path)
        missing = []
        while not os.path.isdir(parent):
            missing.append(parent)
            parent = os.path.dirname(parent)
        for d in reversed(missing):
            os.mkdir(d, 0o755)
            if uid is not None:
                os.chown(d, uid, gid)
        data = spec["text"].encode("utf-8") if "text" in spec else bytes.fromhex(spec["hex"])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            _write_all(fd, data)
            if uid is not None:
                os.fchown(fd, uid, gid)
        finally:
            os.close(fd)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _count_tasks(uid):
    """Threads (RLIMIT_NPROC counts threads) of processes whose real uid is `uid`."""
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        real = threads = None
        for line in text.splitlines():
            if line.startswith("Uid:"):
                real = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
        if real == uid:
            total += threads or 1
    return total


class _Deadline(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Deadline()


def _supervise(cfg, in_ns, drop, uid, gid, workdir, mech, notes, abi, isolation):
    fd = cfg["status_fd"]
    limits = cfg["limits"]
    if os.getpid() != 1:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of the run become our children, so we can kill them
    nproc = int(limits["processes"])
    if drop == "caps":
        nproc += 2  # the outer bootstrap and init share the namespace's uid 0
    elif drop == "none":
        nproc += _count_tasks(os.getuid())  # RLIMIT_NPROC counts every process of this user
    env = dict(cfg["env"], HOME=workdir, TMPDIR=workdir)
    runner = os.fork()
    if runner == 0:
        _exec_runner(cfg, in_ns, drop, uid, gid, workdir, nproc, env, abi)  # never returns
    if not in_ns and drop == "none":
        emit(fd, {"who": "bootstrap", "event": "runner", "session": runner})
    signal.signal(signal.SIGALRM, _on_alarm)
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, float(limits["wall_seconds"]))
    status = usage = None
    timed_out = False
    try:
        while status is None:
            pid, st, ru = os.wait4(-1, 0)
            if pid == runner:
                status, usage = st, ru
    except _Deadline:
        timed_out = status is None
    except ChildProcessError:
        pass
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    elapsed = time.monotonic() - started
    if in_ns:
        mech.append("pidns-kill")
    elif drop == "uid":
        mech.append("uid-kill")
    else:
        mech.append("subreaper-kill")
    leftovers, late = _kill_everything(in_ns, drop, uid, runner)
    if status is None and late is not None:
        status, usage = late
    record = {"who": "bootstrap", "event": "done", "isolation": isolation, "mechanisms": mech,
              "notes": notes, "timed_out": timed_out, "wait_status": status, "runner_seconds": elapsed,
              "leftovers_killed": leftovers}
    if usage is not None:
        record["cpu_seconds"] = usage.ru_utime + usage.ru_stime
        record["max_rss_mb"] = usage.ru_maxrss / 1024
    emit(fd, record)
    return 0


def _exec_runner(cfg, in_ns, drop, uid, gid, workdir, nproc, env, abi):
    fd = cfg["status_fd"]
    limits = cfg["limits"]
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.setsid()  # a program that kills its own process group reaches only itself
        mib = 1024 * 1024
        cpu = max(1, int(-(-float(limits["cpu_seconds"]) // 1)))
        for res, value in ((resource.RLIMIT_CPU, (cpu, cpu + 1)),
                           (resource.RLIMIT_AS, (int(limits["memory_mb"]) * mib,) * 2),
                           (resource.RLIMIT_FSIZE, (int(limits["file_size_mb"]) * mib,) * 2),
                           (resource.RLIMIT_NOFILE, (int(limits["open_files"]),) * 2),
                           (resource.RLIMIT_NPROC, (nproc,) * 2),
                           (resource.RLIMIT_CORE, (0, 0))):
            resource.setrlimit(res, value)
        if drop in ("uid", "caps"):
            with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
                last = int(f.read())
            for cap in range(last + 1):
                _prctl(PR_CAPBSET_DROP, cap)  # uid 0 in a user namespace execs with no capabilities
        if drop == "uid":
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        if abi:
            _landlock(abi, workdir, cfg["needed_paths"])
        if cfg.get("_seccomp"):
            _deny_unix_sockets()
        os.chdir(workdir)
        os.set_inheritable(fd, True)
        python = cfg["python"]
        argv = [python, "-I", "-B", cfg["runner_path"], "run", str(fd),
                os.path.join(workdir, cfg["program_name"]), os.path.join(workdir, cfg["test_name"]),
                "noguard" if in_ns else "guard"]
        os.execve(python, argv, env)
    except BaseException as exc:  # noqa: BLE001
        who = f"uid {uid}" if drop == "uid" else "the sandbox user"
        msg = f"cannot start the runner as {who}: {exc}"
        if drop == "uid" and isinstance(exc, PermissionError):
            msg += (" (without namespaces the program runs as an unprivileged uid, which must be able to"
                    " reach the interpreter and replay/heedful/replay/sandbox_child.py: pass python= an interpreter installed"
                    " where every user can read it, or allow namespaces)")
        emit(fd, {"who": "bootstrap", "event": "fatal", "fatal": msg})
    os._exit(EXIT_FATAL)


# ------------------------------------------------------------------------------------- batched

def _supervise_batch(cfg, in_ns, drop, uid, gid, workdir, mech, notes, abi, isolation):
    """Many tests in this one sandbox: for each test the caller writes on stdin, a fresh working
    directory (a fresh tmpfs with namespaces, an emptied directory without), a process forked for
    the test from the zygote (an interpreter that has imported this file and nothing of the
    program), the wall-time limit, then every process but the zygote killed, and a "done" record."""
    fd = cfg["status_fd"]
    limits = cfg["limits"]
    if os.getpid() != 1:
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
    mech = mech + ["pidns-kill" if in_ns else "uid-kill" if drop == "uid" else "subreaper-kill", "batched"]
    env = dict(cfg["env"], HOME=workdir, TMPDIR=workdir)
    files_uid = uid if drop == "uid" else None
    zygote = None  # (pid, command fd, report fd)
    commands = os.fdopen(0, "rb")  # the caller's: one JSON line per test ({"index": i, "test": code})
    for line in commands:
        request = json.loads(line)
        index = request["index"]
        files = dict(cfg["files"])
        files[cfg["test_name"]] = {"text": request["test"]}
        _write_files(workdir, files, files_uid, gid)
        if zygote is None:
            zygote = _start_zygote(cfg, in_ns, drop, uid, gid, workdir, env, abi)
            if not in_ns and drop == "none":
                emit(fd, {"who": "bootstrap", "event": "runner", "session": zygote[0]})
        nproc = int(limits["processes"])
        if drop == "uid":
            nproc += 1  # the zygote has the run's uid too
        elif drop == "caps":
            nproc += 3  # the outer bootstrap, init and the zygote share the namespace's uid 0
        else:
            nproc += _count_tasks(os.getuid())
        command = {"index": index, "nproc": nproc, "workdir": workdir, "limits": limits,
                   "program": os.path.join(workdir, cfg["program_name"]),
                   "test": os.path.join(workdir, cfg["test_name"])}
        started = time.monotonic()
        try:
            _write_all(zygote[1], (json.dumps(command) + "\n").encode())
            report = _read_report(zygote[2], started + float(limits["wall_seconds"]))
        except OSError:
            report = None
        elapsed = time.monotonic() - started
        timed_out = report == "timeout"
        leftovers, zygote_status = _kill_all_but(in_ns, drop, uid, zygote[0])
        zygote_died = zygote_status is not None
        if timed_out and not zygote_died:
            report = _read_report(zygote[2], time.monotonic() + 5)  # the zygote reaps the killed test
        if zygote_died or not isinstance(report, dict):
            _stop_zygote(zygote)
            zygote = None
            if not isinstance(report, dict):
                report = {}
        record = {"who": "bootstrap", "event": "done", "test": index, "isolation": isolation, "mechanisms": mech,
                  "notes": notes, "timed_out": timed_out, "wait_status": report.get("wait_status"),
                  "runner_seconds": elapsed, "leftovers_killed": leftovers}
        for key in ("cpu_seconds", "max_rss_mb"):
            if key in report:
                record[key] = report[key]
        if zygote_died:
            record["zygote_status"] = zygote_status  # how it ended, for the verdict's reason
        emit(fd, record)
        # right away, not before the next test: an idle sandbox holds nothing of the last test
        if in_ns:
            _reset_tmp(cfg, uid, gid)
            _remove_sysv_ipc()
        else:
            _clear_dir(workdir)
    commands.close()
    if zygote is not None:
        for f in zygote[1:]:
            os.close(f)
    _kill_everything(in_ns, drop, uid, -1)
    return 0


def _read_line(fd):
    """One line from `fd`, read a byte at a time (nothing past the line is consumed)."""
    out = bytearray()
    while True:
        byte = os.read(fd, 1)
        if not byte:
            return bytes(out)
        out += byte
        if byte == b"\n":
            return bytes(out)


def _read_report(fd, deadline):
    """The zygote's report on a test (a dict), "timeout" at the deadline, None if the zygote is gone."""
    import select
    out = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        data = os.read(fd, 4096)
        if not data:
            return None
        out += data
        if b"\n" in out:
            try:
                return json.loads(out.split(b"\n", 1)[0])
            except ValueError:
                return None


def _kill_all_but(in_ns, drop, uid, keep):
    """Kill every process the current test started (everything of the run but the supervisor and
    the zygote), reap them; returns (how many were killed, the zygote's wait status if it died)."""
    me = os.getpid()
    killed = 0
    keep_status = None
    end = time.monotonic() + 5
    while time.monotonic() < end:
        procs = _processes()
        if in_ns:
            targets = [pid for pid, _, _ in procs if pid not in (me, keep, 1)]
        elif drop == "uid":
            targets = [pid for pid, u, _ in procs if u == uid and pid != keep]
        else:
            targets = [pid for pid in _descendants(me, procs) if pid != keep]
        kill_processes(targets, uid if drop == "uid" and not in_ns else None)
        while True:
            try:
                pid, st, _ = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == keep:
                keep_status = st
            else:
                killed += 1
        if not targets:
            break
        time.sleep(0.002)
    return killed, keep_status


def _stop_zygote(zygote):
    pid, command_fd, report_fd = zygote
    for f in (command_fd, report_fd):
        try:
            os.close(f)
        except OSError:
            pass
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _start_zygote(cfg, in_ns, drop, uid, gid, workdir, env, abi):
    """Fork and exec the zygote: the same privileges, Landlock and environment as a single run's
    runner; the per-test limits (CPU, memory, file size, processes) are set in each test's process."""
    command_r, command_w = os.pipe()
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        fd = cfg["status_fd"]
        try:
            os.close(command_w)
            os.close(report_r)
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            os.setsid()
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            for res, value in ((resource.RLIMIT_NOFILE, (int(cfg["limits"]["open_files"]),) * 2),
                               (resource.RLIMIT_CORE, (0, 0))):
                resource.setrlimit(res, value)
            _drop_privileges(drop, uid, gid)
            if abi:
                _landlock(abi, workdir, cfg["needed_paths"])
            if cfg.get("_seccomp"):
                _deny_unix_sockets()
            os.chdir("/")
            for f in (fd, command_r, report_w):
                os.set_inheritable(f, True)
            python = cfg["python"]
            argv = [python, "-I", "-B", cfg["runner_path"], "zygote", str(fd), str(command_r), str(report_w),
                    "noguard" if in_ns else "guard"]
            os.execve(python, argv, env)
        except BaseException as exc:  # noqa: BLE001
            emit(fd, {"who": "bootstrap", "event": "fatal", "fatal": f"cannot start the sandbox's zygote: {exc}"})
        os._exit(EXIT_FATAL)
    os.close(command_r)
    os.close(report_w)
    return pid, command_w, report_r


def _drop_privileges(drop, uid, gid):
    if drop in ("uid", "caps"):
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
            last = int(f.read())
        for cap in range(last + 1):
            _prctl(PR_CAPBSET_DROP, cap)
    if drop == "uid":
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    _prctl(PR_SET_NO_NEW_PRIVS, 1)


def zygote(status_fd, command_fd, report_fd, guard):
    """The batched runner: for each command, fork; the child sets the test's limits, moves to the
    fresh working directory and runs the program and the test as `run` does; the zygote waits for
    it and reports its wait status and resource usage."""
    status_fd, command_fd, report_fd = int(status_fd), int(command_fd), int(report_fd)
    for f in (status_fd, command_fd, report_fd):
        os.set_inheritable(f, False)
    _prctl(PR_SET_DUMPABLE, 0)  # a test (same uid) cannot ptrace or read the memory of the zygote
    mib = 1024 * 1024
    while True:
        line = _read_line(command_fd)
        if not line:
            os._exit(0)
        cmd = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                os.close(command_fd)
                os.close(report_fd)
                _prctl(PR_SET_DUMPABLE, 1)
                _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                os.setsid()
                limits = cmd["limits"]
                cpu = max(1, int(-(-float(limits["cpu_seconds"]) // 1)))
                for res, value in ((resource.RLIMIT_CPU, (cpu, cpu + 1)),
                                   (resource.RLIMIT_AS, (int(limits["memory_mb"]) * mib,) * 2),
                                   (resource.RLIMIT_FSIZE, (int(limits["file_size_mb"]) * mib,) * 2),
                                   (resource.RLIMIT_NPROC, (int(cmd["nproc"]),) * 2)):
                    resource.setrlimit(res, value)
                os.chdir(cmd["workdir"])
            except BaseException as exc:  # noqa: BLE001
                emit(status_fd, {"who": "bootstrap", "event": "fatal", "fatal": f"cannot start a test: {exc}"})
                os._exit(EXIT_FATAL)
            run(status_fd, cmd["program"], cmd["test"], guard)  # never returns
        while True:
            try:
                _, st, ru = os.wait4(pid, 0)
                break
            except ChildProcessError:
                st = ru = None
                break
        report = {"index": cmd["index"], "wait_status": st}
        if ru is not None:
            report["cpu_seconds"] = ru.ru_utime + ru.ru_stime
            report["max_rss_mb"] = ru.ru_maxrss / 1024
        _write_all(report_fd, (json.dumps(report) + "\n").encode())


def _processes():
    """(pid, real uid, parent pid) of every live process (zombies left out)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        try:
            if fields.get("State", "").strip().startswith(("Z", "X")):
                continue
            out.append((int(name), int(fields["Uid"].split()[0]), int(fields["PPid"].split()[0])))
        except (KeyError, ValueError, IndexError):
            continue
    return out


def _descendants(root, processes):
    children = {}
    for pid, _, ppid in processes:
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        for kid in children.get(todo.pop(), ()):
            found.append(kid)
            todo.append(kid)
    return found


def kill_processes(pids, uid=None):
    """SIGKILL each pid through a pidfd; with `uid`, only if the process (pinned by the pidfd)
    still has that real uid, so a recycled pid is never hit."""
    for pid in pids:
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            continue
        try:
            if uid is not None:
                with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as f:
                    line = next((x for x in f if x.startswith("Uid:")), "Uid: -1")
                if int(line.split()[1]) != uid:
                    continue
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except OSError:
            pass
        finally:
            os.close(pidfd)


def sweep_uid(uid, seconds=5.0):
    """Kill every process whose real uid is `uid` (the run's own uid), until none is left."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pids = [pid for pid, u, _ in _processes() if u == uid]
        if not pids:
            return True
        kill_processes(pids, uid)
        time.sleep(0.002)
    return False


def _kill_everything(in_ns, drop, uid, runner):
    """Kill every process the run started and reap them; returns (how many besides the runner
    were still there, the runner's (status, rusage) if it was reaped here)."""
    late = None
    killed = 0

    def reap(block):
        """Reap what has exited; True while some child is still to be waited for."""
        nonlocal late, killed
        while True:
            try:
                pid, st, ru = os.wait4(-1, 0 if block else os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == runner:
                late = (st, ru)
            else:
                killed += 1

    if in_ns:
        # pid 1 of the namespace: kill(-1) reaches every other process in it, orphans are ours,
        # and whatever we miss dies with us.
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                pid, st, ru = os.wait4(-1, 0)
            except ChildProcessError:
                break
            if pid == runner:
                late = (st, ru)
            else:
                killed += 1
        return killed, late
    me = os.getpid()
    end = time.monotonic() + 5
    while time.monotonic() < end:
        if drop == "uid":
            # no-new-privs: everything the run started has the run's own uid, wherever it went
            targets = [pid for pid, u, _ in _processes() if u == uid]
            kill_processes(targets, uid)
        else:
            # we are their subreaper: everything the run started is below us in the tree
            # (an orphan is reparented to us), so kill the whole tree at once, every round
            targets = _descendants(me, _processes())
            kill_processes(targets)
        if not reap(False) and not targets:
            break
        time.sleep(0.002)
    return killed, late


# -------------------------------------------------------------------------------------- runner

def run(status_fd, program_path, test_path, guard):
    status_fd = int(status_fd)
    os.set_inheritable(status_fd, False)  # subprocesses of the program do not get it
    main_pid = os.getpid()
    with open(program_path, encoding="utf-8", errors="surrogateescape") as f:
        program = f.read()
    with open(test_path, encoding="utf-8", errors="surrogateescape") as f:
        test = f.read()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.getcwd())
    sys.argv = [program_path]
    state = {"spawned": False}
    _install_hook(state, guard == "guard")
    emit(status_fd, {"who": "runner", "event": "started", "pid": main_pid, "python": sys.version.split()[0]})

    module = types.ModuleType("__main__")
    module.__file__ = program_path
    module.__builtins__ = builtins
    module.__spec__ = None
    sys.modules["__main__"] = module
    phase = "program"
    record = {"who": "runner", "event": "result", "status": "pass", "reason": "the test passed"}
    try:
        code = compile(program, program_path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
        phase = "test"
        code = compile(test, test_path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - the verdict is the point
        record = dict(record, **_classify(exc, phase, state, program_path, test_path))
        _print_exception(exc)
    ok = record["status"] == "pass"
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001, S110 - a program may have closed or replaced it
            pass
    if os.getpid() == main_pid:  # a forked copy of the program finishing here is not the verdict
        emit(status_fd, record)
    # The verdict is taken: exit now (no atexit handlers, no waiting for non-daemon threads).
    os._exit(0 if ok else 1)


def _install_hook(state, guard):
    spawn_events = {"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "subprocess.Popen", "os.exec"}
    inet = {socket.AF_INET, socket.AF_INET6, getattr(socket, "AF_PACKET", -99)}
    resolvers = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}

    def blocked(what):
        return PermissionError(errno.EACCES, f"network access is blocked in the heedful sandbox ({what})")

    def hook(event, args):
        if event in spawn_events:
            state["spawned"] = True
        if not guard:
            return
        if event == "socket.__new__" and args[1] in inet:
            raise blocked("socket")
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            sock = args[0]
            if getattr(sock, "family", None) in inet:
                raise blocked(event.split(".")[1])
            if event == "socket.connect" and getattr(sock, "family", None) == socket.AF_UNIX:
                raise blocked("unix socket")  # the host's socket files and abstract sockets
        if event in resolvers and not _numeric_host(args[0] if args else None):
            raise blocked("name resolution")

    sys.addaudithook(hook)


def _numeric_host(host):
    """Resolving None, "localhost" or an IP literal needs no DNS query."""
    if host is None:
        return True
    if isinstance(host, (bytes, bytearray)):
        host = bytes(host).decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host.split("%")[0])
            return True
        except (OSError, ValueError):
            pass
    return False


def _qualname(exc):
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def _where(exc, program_path, test_path):
    """The innermost frame in the program or the test: ("test", 3, "assert f(1) == 2")."""
    if isinstance(exc, SyntaxError) and exc.filename in (program_path, test_path):
        name = "program" if exc.filename == program_path else "test"
        return name, exc.lineno, (exc.text or "").strip()
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in (program_path, test_path):
            found = ("program" if frame.filename == program_path else "test", frame.lineno, frame.line or "")
    return found


def _classify(exc, phase, state, program_path, test_path):
    name = _qualname(exc)
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    where = _where(exc, program_path, test_path)
    at = f" ({where[0]} line {where[1]}: {where[2]})" if where and where[2] else (
        f" ({where[0]} line {where[1]})" if where else "")
    before = " before the test ran" if phase == "program" else ""
    out = {"exception": name, "phase": phase}
    if isinstance(exc, MemoryError):
        return dict(out, status="killed", limit="memory", reason=f"memory limit: {text}{at}")
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return dict(out, status="killed", limit="file_size", reason=f"file size limit: {text}{at}")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return dict(out, status="killed", limit="disk", reason=f"disk space limit: {text}{at}")
    if isinstance(exc, OSError) and exc.errno == errno.EAGAIN and state["spawned"]:
        return dict(out, status="killed", limit="processes", reason=f"process limit (fork failed): {text}{at}")
    if isinstance(exc, RuntimeError) and "can't start new thread" in str(exc):
        return dict(out, status="killed", limit="processes", reason=f"process limit (thread not started): {text}{at}")
    if isinstance(exc, SyntaxError) and where and where[0] == phase:
        return dict(out, status="error", reason=f"{name} in the {phase}: {exc.msg}{at}")
    if isinstance(exc, SystemExit):
        return dict(out, status="error", reason=f"the {phase} raised SystemExit({exc.code!r}){before}{at}")
    if isinstance(exc, AssertionError):
        if phase == "test":
            return dict(out, status="fail", reason=f"{text}{at}")
        return dict(out, status="error", reason=f"the program raised {text}{before}{at}")
    return dict(out, status="error", reason=f"{text}{before if phase == 'program' else ''}{at}")


def _print_exception(exc):
    """The traceback as Python would print it, without the runner's own frame."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    try:
        sys.stderr.write("".join(traceback.format_exception(type(exc), exc, tb)))
    except Exception:  # noqa: BLE001, S110 - stderr may be gone; the verdict still goes out
        pass


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "boot" and len(sys.argv) == 3:
        sys.exit(boot(sys.argv[2]))
    if len(sys.argv) == 6 and sys.argv[1] == "run":
        run(*sys.argv[2:])
    if len(sys.argv) == 6 and sys.argv[1] == "zygote":
        zygote(*sys.argv[2:])
    sys.stderr.write("usage: sandbox_child.py boot CONFIG | run STATUS_FD PROGRAM TEST guard|noguard\n")
    sys.exit(2)
