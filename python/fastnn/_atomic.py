"""Atomic file writes: a crash, a kill or a failed download leaves the old file or the complete
new one, and no temporary file that lives for ever.

The new content goes to a temporary file beside the target (same file system, so the final
os.replace is atomic), named `.<target name>.<host>.<pid>.<random>.tmp`. Any exception removes
it. A process killed outright (SIGKILL, power loss) cannot clean up, so every write first removes
the temporaries of the same target left by processes of this host that no longer run: a dead
writer's leftover lives until the next write of that file, and they never accumulate. A path
that is a symbolic link is resolved first: the link's target is written, the link stays.
"""
import os
import re
import secrets
import socket

_SUFFIX = ".tmp"


def _host():
    # Hosts sharing a network file system each judge only their own processes.
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def _temporary_pattern(name):
    return re.compile(re.escape(f".{name}.") + r"(?P<host>[A-Za-z0-9-]+)\.(?P<pid>[0-9]+)\.[0-9a-f]+" +
                      re.escape(_SUFFIX))


def _process_exists(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process (or a pid no signal takes): not ours to judge
    return True


def remove_stale_temporaries(path):
    """Removes the temporaries of `path` that dead processes of this host left behind; returns
    their names."""
    directory, name = os.path.split(os.path.realpath(os.fspath(path)))
    pattern, host, removed = _temporary_pattern(name), _host(), []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None or match["host"] != host or _process_exists(int(match["pid"])):
            continue
        try:
            os.unlink(os.path.join(directory, entry))
            removed.append(entry)
        except OSError:  # gone already (another writer cleaned it), or not ours to remove
            pass
    return removed


def _new_file_mode(target):
    """The permissions the written file gets: the old file's when there is one, else those
    open() gives a new file (0666 less the umask)."""
    try:
        return os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path, chunks):
    """Writes `chunks` (bytes-like objects) to a temporary file beside `path` (its target, when
    `path` is a symbolic link), fsyncs it and renames it over the target."""
    target = os.path.realpath(os.fspath(path))
    directory, name = os.path.split(target)
    remove_stale_temporaries(target)
    temporary = os.path.join(directory, f".{name}.{_host()}.{os.getpid()}.{secrets.token_hex(8)}{_SUFFIX}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _new_file_mode(target))
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
