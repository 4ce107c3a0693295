"""The product database an export writes to, chosen by URL; credentials never leave this module.

`sqlite:///abs/path.db` is the embedded default; `postgresql://user:password@host:port/db` is the
production target, optionally with `?schema=name` (default `recommendations`) choosing the
PostgreSQL schema that receives the tables. Other query parameters go to libpq unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

PRODUCT_DB_URL_VAR = "CREATOR_DISCOVERY_PRODUCT_DB_URL"
DEFAULT_SCHEMA = "recommendations"
MASK = "***"
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SECRET_PARAMS = {"password", "sslpassword"}
_KEYWORD_PASSWORD = re.compile(r"((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")


def checked_identifier(name: str) -> str:
    """`name` if it is a plain lowercase SQL identifier, else ValueError: names are never data."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a valid table or schema name: {name!r}")
    return name


def quoted(name: str) -> str:
    """A checked identifier in double quotes (the same text psycopg.sql.Identifier produces)."""
    return f'"{checked_identifier(name)}"'


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
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(masked, safe="*")))


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
        if parts.netloc or not parts.path.startswith("/"):
            raise ValueError(
                f"a SQLite URL needs an absolute path, sqlite:///abs/path.db: {mask_url(url)!r}"
            )
        return Target(kind="sqlite", url=url, path=Path(unquote(parts.path)))
    if parts.scheme in ("postgresql", "postgres"):
        params = dict(parse_qsl(parts.query))
        schema = checked_identifier(params.get("schema", DEFAULT_SCHEMA))
        return Target(kind="postgresql", url=url, schema=schema)
    raise ValueError(
        f"unsupported product database URL {mask_url(url)!r}: use sqlite:///abs/path.db "
        "or postgresql://user@host:port/db"
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite://{Path(path).resolve()}"


def default_url(warehouse: Path, environ: Mapping[str, str] | None = None) -> str:
    """The product database URL from CREATOR_DISCOVERY_PRODUCT_DB_URL, else an embedded SQLite
    file beside the warehouse (product.db)."""
    env = os.environ if environ is None else environ
    return env.get(PRODUCT_DB_URL_VAR) or sqlite_url(Path(warehouse).parent / "product.db")
