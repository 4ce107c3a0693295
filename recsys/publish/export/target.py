"""The product database an export writes to, chosen by URL; credentials never leave this module.

A SQLite file is the embedded default, written as SQLAlchemy writes it: `sqlite:////abs/path.db`
(four slashes: the empty host, then the absolute path) or `sqlite:///relative/path.db` (resolved
against the current directory of the process that opens it). The older `sqlite:///abs/path.db`
for an absolute path is refused with the right URL. `postgresql://user:password@host:port/db` is
the production target, optionally with `?schema=name` (default `recommendations`) choosing the
PostgreSQL schema that receives the tables. Other query parameters go to libpq unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from recsys.identifiers import checked_identifier

SQLITE_PREFIX = "sqlite:///"
DEFAULT_SCHEMA = "recommendations"
MASK = "***"
_SECRET_PARAMS = {"password", "sslpassword"}
_KEYWORD_PASSWORD = re.compile(r"((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def mask_url(url: str) -> str:
    """The URL with any password (in the authority or a query parameter, or a libpq
    `password=...` keyword if a key/value string was passed by mistake) replaced by ***."""
    if "://" not in url:
        return _KEYWORD_PASSWORD.sub(rf"\1{MASK}", url)
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    secret_params = any(key in _SECRET_PARAMS for key, _ in query)
    if parts.password is None and not secret_params:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        user, host = netloc.rsplit("@", 1)
        netloc = f"{user.split(':', 1)[0]}:{MASK}@{host}"
    masked = [(key, MASK if key in _SECRET_PARAMS else value) for key, value in query]
    return _unsplit(parts._replace(netloc=netloc, query=urlencode(masked, safe="*")))


def _unsplit(parts: SplitResult) -> str:
    # Not urlunsplit: for a scheme it does not know (sqlite) it drops the empty host, and with it
    # the slashes that tell an absolute path from a relative one.
    url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return (
        url
        + (f"?{parts.query}" if parts.query else "")
        + (f"#{parts.fragment}" if parts.fragment else "")
    )


@dataclass(frozen=True)
class Target:
    """A parsed product-database URL. `str()` and `repr()` show the masked URL only."""

    kind: str
    url: str
    schema: str = DEFAULT_SCHEMA
    path: Path | None = None

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Target({self.masked!r})"

    @property
    def masked(self) -> str:
        return mask_url(self.url)

    @property
    def conninfo(self) -> str:
        """The libpq URL: ours minus the `schema` parameter libpq does not know."""
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "schema"]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def redact(self, text: str) -> str:
        """`text` (e.g. a driver's error message) with every secret of the URL masked."""
        parts = urlsplit(self.url)
        secrets = [parts.password or ""]
        secrets += [v for k, v in parse_qsl(parts.query) if k in _SECRET_PARAMS]
        for secret in filter(None, secrets):
            text = text.replace(secret, MASK).replace(unquote(secret), MASK)
        return text.replace(self.url, self.masked)


def parse_target(url: str) -> Target:
    """A Target from a `sqlite:///` or `postgresql://` URL; ValueError (URL masked) otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return Target(kind="sqlite", url=url, path=sqlite_path(url))
    if parts.scheme in ("postgresql", "postgres"):
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        requested = params.get("schema", DEFAULT_SCHEMA)
        # An export drops and renames tables in its schema: never a system one, never "".
        lowered = requested.lower()
        if not requested or lowered == "information_schema" or lowered.startswith("pg_"):
            raise ValueError(
                f"refusing ?schema={requested!r} in {mask_url(url)!r}: "
                + ("give a schema name" if not requested else "a PostgreSQL system schema")
                + f"; use your own schema (default {DEFAULT_SCHEMA!r})"
            )
        schema = checked_identifier(requested)
        return Target(kind="postgresql", url=url, schema=schema)
    raise ValueError(
        f"unsupported product database URL {mask_url(url)!r}: use sqlite:////abs/path.db "
        "or postgresql://user@host:port/db"
    )


def sqlite_path(url: str) -> Path:
    """The file a `sqlite:` URL names, read as SQLAlchemy reads it; ValueError otherwise.

    urlsplit sees the path after the empty host: `//abs/path.db` for `sqlite:////abs/path.db`
    (absolute) and `/relative.db` for `sqlite:///relative.db`. A relative path whose first folder
    exists at the filesystem root is the older three-slash form of an absolute path (what this
    project wrote before) and is refused: read as relative, it would silently name another file.
    `./` makes such a path plainly relative.
    """
    parts = urlsplit(url)
    if parts.netloc or len(parts.path) < 2 or not parts.path.startswith("/"):
        raise ValueError(
            f"a SQLite URL has no host and names a file, sqlite:////abs/path.db or "
            f"sqlite:///relative.db: {mask_url(url)!r}"
        )
    path = unquote(parts.path[1:])
    first, _, rest = path.partition("/")
    if rest and first not in ("", ".", "..") and (Path("/") / first).is_dir():
        query = f"?{parts.query}" if parts.query else ""
        raise ValueError(
            f"{mask_url(url)!r} names the relative path {path!r}; for /{path} use "
            f"{mask_url(f'{SQLITE_PREFIX}/{parts.path[1:]}{query}')!r} (four slashes for an "
            f"absolute path), for a path relative to the current directory "
            f"{mask_url(f'{SQLITE_PREFIX}./{parts.path[1:]}{query}')!r}"
        )
    return Path(path)


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file, its path made absolute: `sqlite:////abs/path.db`."""
    # Only the characters that would end the path in a URL are escaped; sqlite_path unescapes.
    escaped = str(Path(path).resolve()).replace("%", "%25").replace("?", "%3F").replace("#", "%23")
    return f"{SQLITE_PREFIX}{escaped}"
