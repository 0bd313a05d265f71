# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two shipped seccomp profiles, as data.

targeted-deny: an allow-list of ordinary process syscalls in the spirit of the engine's default
profile, with the dangerous families denied explicitly (the engine's default allows ptrace,
which is why PR-PTRACE-1 cannot pass under it). default-deny: a minimal allow-list for the
probe set and the runtime's own init (the seed's "hardened target, iterate honestly": a real
workload will need additions). The engine CLI stores the profile inline in the inspect
document; the verifier compares canonical JSON, never paths or prefixes.
"""

from __future__ import annotations

import hashlib

from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical

EPERM = 1
ENOSYS = 38

# clone() may create threads and processes but no namespaces:
# CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET.
CLONE_NAMESPACE_FLAGS = 0x7E020000

ARCH_MAP = [
    {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
]

# Denied by name in targeted-deny: tracing, mounting, namespaces, keyrings, kernel objects,
# clocks and host-wide administration. Names unknown to an architecture are skipped by the
# runtime, so one list serves both.
EXPLICIT_DENY = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount", "umount2", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr", "pivot_root", "chroot",
    "unshare", "setns",
    "keyctl", "add_key", "request_key",
    "bpf", "perf_event_open", "userfaultfd", "fanotify_init",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "create_module", "query_module", "get_kernel_syms", "reboot", "swapon", "swapoff", "acct",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "stime", "syslog",
    "iopl", "ioperm", "quotactl", "quotactl_fd", "lookup_dcookie", "nfsservctl", "uselib",
    "vm86", "vm86old", "open_by_handle_at", "name_to_handle_at",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "sethostname", "setdomainname", "vhangup", "_sysctl", "sysfs", "ustat",
    "mbind", "set_mempolicy", "migrate_pages", "move_pages",
)

# Ordinary process syscalls allowed by targeted-deny (besides clone, filtered below).
GENERAL_ALLOW = (
    "accept", "accept4", "access", "alarm", "arch_prctl", "bind", "brk", "capget", "capset",
    "chdir", "chmod", "chown", "clock_getres", "clock_gettime", "clock_nanosleep", "close",
    "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
    "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
    "faccessat2", "fadvise64", "fallocate", "fchdir", "fchmod", "fchmodat", "fchmodat2",
    "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork",
    "fremovexattr", "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futex",
    "futex_waitv", "futimesat", "get_robust_list", "get_thread_area", "getcpu", "getcwd",
    "getdents", "getdents64", "getegid", "geteuid", "getgid", "getgroups", "getitimer",
    "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom",
    "getresgid", "getresuid", "getrlimit", "getrusage", "getsid", "getsockname", "getsockopt",
    "gettid", "gettimeofday", "getuid", "getxattr", "inotify_add_watch", "inotify_init",
    "inotify_init1", "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents",
    "io_pgetevents", "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "lremovexattr",
    "lseek", "lsetxattr", "lstat", "madvise", "membarrier", "memfd_create", "mincore",
    "mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mprotect",
    "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink",
    "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
    "munmap", "nanosleep", "newfstatat", "open", "openat", "openat2", "pause", "pidfd_open",
    "pidfd_send_signal", "pipe", "pipe2", "poll", "ppoll", "prctl", "pread64", "preadv",
    "preadv2", "prlimit64", "pselect6", "pwrite64", "pwritev", "pwritev2", "read",
    "readahead", "readlink", "readlinkat", "readv", "recvfrom", "recvmmsg", "recvmsg",
    "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
    "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "select",
    "semctl", "semget", "semop", "semtimedop", "sendfile", "sendmmsg", "sendmsg", "sendto",
    "set_robust_list", "set_thread_area", "set_tid_address", "setfsgid", "setfsuid",
    "setgid", "setgroups", "setitimer", "setpgid", "setpriority", "setregid", "setresgid",
    "setresuid", "setreuid", "setrlimit", "setsid", "setsockopt", "setuid", "setxattr",
    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
    "signalfd4", "socket", "socketpair", "splice", "stat", "statfs", "statx", "symlink",
    "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
    "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime",
    "timerfd_create", "timerfd_gettime", "timerfd_settime", "times", "tkill", "truncate",
    "umask", "uname", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vfork", "wait4",
    "waitid", "write", "writev",
)

# default-deny: what the probe set and the runtime's init need, nothing more. runc 1.1.5 needs
# statfs, fstatfs and getdents64 after the filter is installed (platform-facts).
DEFAULT_DENY_ALLOW = (
    "arch_prctl", "brk", "capget", "chdir", "chmod", "clock_gettime", "clock_nanosleep",
    "close", "close_range", "connect", "dup", "dup2", "dup3", "execve", "exit", "exit_group",
    "fchdir", "fchmod", "fchmodat", "fcntl",
    # musl's fork() on x86_64 is the fork system call, not clone (PR-PIDS-1, PR-EXEC-1 and
    # every child-run probe fork)
    "fork",
    "fstat", "fstatfs", "futex", "getcwd",
    "getdents64", "getegid", "geteuid", "getgid", "getpid", "getppid", "getrandom",
    "getsockname", "gettid", "gettimeofday", "getuid", "ioctl", "kill", "lseek", "lstat",
    "madvise", "mkdir", "mkdirat", "mmap", "mprotect", "munmap", "nanosleep", "newfstatat",
    "open", "openat", "pipe", "pipe2", "poll", "ppoll", "prctl", "read", "readlink",
    "readlinkat", "readv", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    "sched_yield", "set_robust_list", "set_tid_address", "setitimer", "socket", "stat",
    "statfs", "statx", "uname", "unlink", "unlinkat", "wait4", "waitid", "write", "writev",
)


def _clone_rule() -> dict:
    return {
        "names": ["clone"],
        "action": "SCMP_ACT_ALLOW",
        "args": [{"index": 0, "value": CLONE_NAMESPACE_FLAGS, "valueTwo": 0,
                  "op": "SCMP_CMP_MASKED_EQ"}],
    }


def _clone3_rule() -> dict:
    # clone3 passes flags in a struct the filter cannot read; ENOSYS makes libc fall back to
    # clone, where the flags are checked.
    return {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS}


def _profile(allow: tuple[str, ...], deny: tuple[str, ...]) -> dict:
    allowed = sorted(set(allow) - set(deny))
    rules = [{"names": allowed, "action": "SCMP_ACT_ALLOW"}, _clone_rule(), _clone3_rule()]
    if deny:
        rules.append({"names": sorted(set(deny)), "action": "SCMP_ACT_ERRNO",
                      "errnoRet": EPERM})
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": EPERM,
        "archMap": ARCH_MAP,
        "syscalls": rules,
    }


def seccomp_profile(name: str) -> dict:
    """The shipped profile called `name`; KeyError for any other name."""
    if name == "targeted-deny":
        return _profile(GENERAL_ALLOW, EXPLICIT_DENY)
    if name == "default-deny":
        return _profile(DEFAULT_DENY_ALLOW, EXPLICIT_DENY)
    raise KeyError(name)


def seccomp_digest(name: str) -> str:
    return hashlib.sha256(canonical(seccomp_profile(name))).hexdigest()
