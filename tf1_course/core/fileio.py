"""Atomic file writes: a reader (or a crash) never sees a half-written file."""

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import shutil
import socket
import stat
import tempfile
from pathlib import Path

from tf1_course.core.errors import DataError, UsageError

try:
    import fcntl
except ImportError:  # not POSIX: folders are not locked
    fcntl = None

LOCK_NAME = ".lock"
FULL_DISK = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))  # no space, or over quota


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    On any exception (Ctrl-C included) the temporary file is removed and ``path`` is untouched.
    """
    with atomic_paths([path]) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_paths(paths):
    """:func:`atomic_path` for several files that belong together: yields their temporary paths.

    Nothing is renamed until the block succeeds, so a failure in any file (a full disk, a bad
    download, Ctrl-C) removes every temporary file and leaves all of ``paths`` untouched. A
    process killed outright (kill -9) cannot clean up: its temporary files carry its host and pid
    (``.NAME.HOST-PID.XXXX.part``), and the next write into that folder removes the ones whose
    process is gone (:func:`remove_stale_parts`).
    """
    paths, tmps = [Path(p) for p in paths], []
    try:
        for folder in dict.fromkeys(p.parent for p in paths):
            remove_stale_parts(folder)
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{HOST}-{os.getpid()}.", suffix=".part", dir=path.parent)
            os.close(fd)
            tmps.append(Path(tmp))
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a finished file gets the usual mode
        try:
            yield list(tmps)
        except OSError as e:
            if e.filename is None and e.errno in FULL_DISK:  # a write's ENOSPC names no file: say which one
                e.filename = str(paths[0] if len(paths) == 1 else paths[0].parent)
            raise
        for tmp, path in zip(tmps, paths):  # renames need no space: once all is written, they succeed
            os.replace(tmp, path)
    finally:
        for tmp in tmps:  # what was not renamed (after a success: nothing)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]  # in temporary names: which host wrote it
PART_RE = re.compile(r"^\..+\.(?P<host>[0-9a-f]{8})-(?P<pid>\d+)\.[^.]+\.part$")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_parts(folder):
    """Remove the temporary files that dead processes of this host left in ``folder`` (kill -9
    during a write). Another host's (a container's: its pids are not ours) are left alone."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = PART_RE.match(name)
        if match and match["host"] == HOST and not _alive(int(match["pid"])):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(folder, option="--out"):
    """A DataError if files cannot be created in ``folder`` (or, when it does not exist yet, in
    the folder that would hold it). Run before long work, so that fails at once, in one line."""
    folder = Path(folder)
    probe = next((p for p in (folder, *folder.parents) if p.is_dir()), Path("."))
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise DataError(write_failure(e, folder, option)) from None


def write_failure(err, folder, option="--out"):
    """One line saying why writing into ``folder`` (or the file ``folder``, named by the error)
    failed (an OSError) and what to do about it."""
    code = getattr(err, "errno", None)
    if code in FULL_DISK:
        what = "nothing was written" if Path(folder).is_dir() or not err.filename else "it was not written"
        return (f"{folder}: the disk is full ({_free(folder)} free, not enough); {what}: free some space "
                f"or choose another {option}")
    if code in (errno.EEXIST, errno.ENOTDIR):
        return f"{folder}: a file is in the way where a folder is needed; choose another {option}"
    if code in (errno.EACCES, errno.EPERM):
        return (f"{folder} is not writable by uid {os.getuid()}: fix its permissions, run the "
                f"container with --user $(id -u):$(id -g), or choose a writable {option}")
    if code == errno.EROFS:
        return f"{folder} is on a read-only file system: choose a writable {option}"
    reason = os.strerror(code) if code else str(err).splitlines()[0]
    return f"{folder}: cannot write ({reason}); nothing was written"


def permission_denied(path):
    """One line for a file this process may not read (another user's, mode 600)."""
    return f"{path}: permission denied for uid {os.getuid()}: fix its permissions, or run as its owner"


def first_unreadable(paths):
    """The first of ``paths`` that this process may not open for reading, or None."""
    for p in paths:
        try:
            with open(p, "rb"):
                pass
        except PermissionError:
            return p
        except OSError:
            continue
    return None


def _free(folder):
    for p in (Path(folder), *Path(folder).parents):
        with contextlib.suppress(OSError):
            return f"{shutil.disk_usage(p).free / 1e6:.1f} MB"
    return "unknown"


SPECIAL_FILES = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                 (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def not_a_regular_file(path):
    """What ``path`` is when it is not a regular file ("a FIFO (named pipe)", "a directory", ...), or
    None for a regular file (a symlink counts as what it points to). Opening a FIFO blocks until
    something writes to it, and a device can be endless: callers refuse these before opening them."""
    mode = os.stat(path).st_mode
    return next((what for test, what in SPECIAL_FILES if test(mode)), None if stat.S_ISREG(mode) else "not a file")


def not_an_input_file(path):
    """Why ``path`` cannot be read as a data file ("no such file", "is a FIFO (named pipe), not a
    regular file", ...), or None when it is a regular file. Refuse before opening (see above)."""
    if not os.path.exists(path):
        return "no such file"
    special = not_a_regular_file(path)
    return f"is {special}, not a regular file" if special else None


def write_text(path, text):
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_bytes(path, data):
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def json_text(obj):
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"


def jsonable(x):
    """Strict JSON values: inf and nan as strings, NumPy scalars and arrays as Python numbers and
    lists, keys as strings."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if hasattr(x, "tolist"):  # a NumPy scalar or array
        return jsonable(x.tolist())
    return x


def replace_dir(work, final):
    """Put the finished folder ``work`` in the place of ``final``: an old ``final`` is removed only
    now, after ``work`` is complete. The old one is first renamed ``.NAME.old``; a swap interrupted
    between the two renames leaves that, and the next swap puts it back before it starts, so the
    user's folder is never lost."""
    work, final = Path(work), Path(final)
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        if final.exists():
            shutil.rmtree(old)  # both there: the swap had ended, only the clean-up had not
        else:
            old.rename(final)  # interrupted between the renames: the old one is the user's folder
    if final.exists():
        final.rename(old)
    work.rename(final)
    if old.exists():
        shutil.rmtree(old)


@contextlib.contextmanager
def staged_dir(final):
    """Yield a new empty folder beside ``final`` (``.NAME.partial``) to build in; on success it
    replaces ``final`` (:func:`replace_dir`); on any failure it is removed and ``final`` is as it was.
    A ``.partial`` left by a process killed outright is cleared at the next call."""
    final = Path(final)
    work = final.with_name(f".{final.name}.partial")
    if work.exists():
        shutil.rmtree(work)
    work.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield work
        replace_dir(work, final)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


def write_json(path, obj):
    write_text(path, json_text(obj))


def read_json(path):
    return json.loads(Path(path).read_text())


def sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def folder_in_use(folder):
    """True while a process holds ``folder``'s lock (:func:`folder_lock`), e.g. a training that
    writes there. Asks without waiting and takes nothing."""
    lock_file = Path(folder) / LOCK_NAME
    if fcntl is None or not lock_file.is_file():
        return False
    try:
        fd = os.open(lock_file, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # releases the shared lock, if it was taken
    return False


@contextlib.contextmanager
def folder_lock(folder, what, option):
    """Hold ``folder``/.lock while this process writes there; a second one is refused in one line.

    ``flock`` is released by the kernel when the process exits, however it exits (kill -9
    included), so a lock left behind by a dead process never blocks the next one. A folder this
    call created and nothing was written to (a check failed) is removed again.
    """
    folder = Path(folder)
    if fcntl is None:
        yield
        return
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock_file = folder / LOCK_NAME
    lock_existed = lock_file.exists()
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise UsageError(f"{folder} is in use by another {what} (pid {holder}); wait for it to "
                             f"finish, or use another {option}") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        except UsageError:  # refused (a folder holding something else): leave no lock file in it
            if not lock_existed:
                with contextlib.suppress(OSError):
                    lock_file.unlink()
            raise
    finally:
        if created and all(p.name == LOCK_NAME for p in folder.iterdir()):
            with contextlib.suppress(OSError):
                lock_file.unlink(missing_ok=True)
                folder.rmdir()
        os.close(fd)  # releases the lock
