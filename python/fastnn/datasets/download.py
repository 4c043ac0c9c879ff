"""Checksum-verified downloads over HTTPS into a dataset directory (only ever called on demand)."""
import hashlib
import os

from fastnn._atomic import write_atomically

TIMEOUT_SECONDS = 15


class DownloadError(OSError):
    """No mirror delivered the file with the expected checksum."""


def fetch_url(url, timeout=TIMEOUT_SECONDS):
    """The bytes at an https:// URL (the single place that touches the network; tests replace it)."""
    if not url.startswith("https://"):
        raise ValueError(f"fetch_url: only https:// URLs are fetched, got {url!r}")
    import urllib.request  # here, not at the top: urllib/http/ssl add ~40 ms to `import fastnn`
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def download_file(filename, mirrors, md5, directory):
    """Fetches `filename` from the first mirror that serves it with MD5 `md5` and writes it
    atomically to directory/filename; returns that path. Raises DownloadError listing each failure."""
    import http.client  # for its exception type; imported late for the same reason as urllib

    failures = []
    for mirror in mirrors:
        url = mirror + filename
        try:
            payload = fetch_url(url)
        except (OSError, http.client.HTTPException) as error:
            failures.append(f"{url}: {error}")
            continue
        digest = hashlib.md5(payload, usedforsecurity=False).hexdigest()
        if digest != md5:
            failures.append(f"{url}: MD5 {digest} differs from the published {md5}")
            continue
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, filename)
        write_atomically(path, [payload])
        return path
    raise DownloadError(f"could not download {filename}: " + "; ".join(failures))
