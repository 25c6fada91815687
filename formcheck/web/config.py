"""What a web server is started with: one frozen object built by ``formcheck serve``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from formcheck.errors import InputError
from formcheck.model.settings import Settings

#: Largest clip accepted by an upload: a 60 s 4K phone clip is about 400 MB.
DEFAULT_MAX_UPLOAD_MB = 1024


def default_data_dir(library: str | Path | None) -> Path:
    """Where the web app keeps uploaded clips, their analysis folders and its jobs table:
    beside an SQLite library file, else (a server database) the user data folder."""
    from formcheck.store import resolve_url

    url = resolve_url(library)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent
    import platformdirs

    return platformdirs.user_data_path("formcheck", appauthor=False)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: addresses no other machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebConfig:
    """Everything the web app needs.

    Attributes
    ----------
    library : the session library: a database file or URL (None: ``$FORMCHECK_LIBRARY``,
        else the user data folder; see :mod:`formcheck.store`).
    data_dir : where uploaded clips (``clips/``), their analysis folders (``sessions/``)
        and the jobs table (``web-jobs.sqlite``) live; None: :func:`default_data_dir`.
    host, port : where the server listens; port 0 picks a free one.
    token : access token; required on every request when set. ``formcheck serve``
        always sets one when ``host`` is not a loopback address.
    max_upload_bytes : larger uploads are refused (413) before they are stored.
    workers : analysis worker processes (each runs one clip at a time).
    scheduler : a Dask scheduler address; analyses then run on that cluster.
    settings : the analysis settings (the same object the CLI builds).
    """

    library: str | Path | None = None
    data_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    workers: int = 1
    scheduler: str | None = None
    settings: Settings = field(default_factory=Settings)

    def __post_init__(self) -> None:
        if self.data_dir is None:
            object.__setattr__(self, "data_dir", default_data_dir(self.library))
        if not is_loopback(self.host) and not self.token:
            raise InputError(f"--host {self.host} is reachable from the network: an access token is required")
        if self.token is not None and len(self.token) < 16:
            raise InputError("the access token must be at least 16 characters")
        if not 1 <= self.workers <= 64:
            raise InputError("--workers must be between 1 and 64")
        if not 0 <= self.port <= 65535:
            raise InputError(f"--port {self.port} is not a port number")
        if self.max_upload_bytes <= 0:
            raise InputError("the upload limit must be positive")
