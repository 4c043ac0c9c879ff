"""Atomic file writes: a crash or a failed download leaves the old file or the complete new one."""
import os
import tempfile


def write_atomically(path, chunks):
    """Writes `chunks` (bytes-like objects) to a temporary file in path's directory, fsyncs it and
    renames it over `path` (os.replace is atomic within one file system)."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes 0600; give the permissions open() would
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
