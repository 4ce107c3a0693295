"""The five tables the product database receives: columns, types and keys, declared once."""

from __future__ import annotations

from dataclasses import dataclass

WAREHOUSE_SCHEMA = "recommendations"
# Every exported row carries the version of the export that wrote it, so a reader can tell a
# complete version from a mix (see README "Export to the product database").
VERSION_COLUMN = "export_version"
STAGING_SUFFIX = "__staging"
PREVIOUS_SUFFIX = "__previous"
# The version displaced from __previous by a swap; dropped after the swap commits, so the swap
# itself never pays for freeing a large table.
RETIRED_SUFFIX = "__retired"

# Warehouse (DuckDB) type -> PostgreSQL and SQLite column types.
POSTGRES_TYPES = {"BIGINT": "bigint", "INTEGER": "integer", "FLOAT": "real", "VARCHAR": "text"}
SQLITE_TYPES = {"BIGINT": "INTEGER", "INTEGER": "INTEGER", "FLOAT": "REAL", "VARCHAR": "TEXT"}
INTEGER_TYPES = ("BIGINT", "INTEGER")


@dataclass(frozen=True)
class Column:
    """A column as the warehouse reports it (DuckDB type name); exported NOT NULL."""

    name: str
    type: str


@dataclass(frozen=True)
class TableSpec:
    """A recommendation table: its columns in order, its key, and the indexes the product uses."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def warehouse_table(self) -> str:
        return f"{WAREHOUSE_SCHEMA}.{self.name}"

    @property
    def staging(self) -> str:
        return self.name + STAGING_SUFFIX

    @property
    def previous(self) -> str:
        return self.name + PREVIOUS_SUFFIX

    @property
    def retired(self) -> str:
        return self.name + RETIRED_SUFFIX

    def key_name(self, version: int) -> str:
        """Index names carry the export version: renaming a table keeps its index names, and
        SQLite cannot rename an index, so a name must stay unique across the kept versions."""
        return f"{self.name}__v{version}_pkey"

    def index_name(self, version: int, columns: tuple[str, ...]) -> str:
        return f"{self.name}__v{version}_{'_'.join(columns)}_idx"


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, dtype) for name, dtype in pairs)


ID, INT, SCORE, TEXT = "BIGINT", "INTEGER", "FLOAT", "VARCHAR"

USER_CREATORS = TableSpec(
    "user_creators",
    _columns(
        ("user_id", ID),
        ("creator_id", ID),
        ("rank", INT),
        ("score", SCORE),
        ("source", TEXT),
        ("model_version", INT),
    ),
    primary_key=("user_id", "rank"),
)
USER_POSTS = TableSpec(
    "user_posts",
    _columns(
        ("user_id", ID),
        ("post_id", ID),
        ("creator_id", ID),
        ("rank", INT),
        ("score", SCORE),
        ("source", TEXT),
        ("model_version", INT),
    ),
    primary_key=("user_id", "rank"),
)
NOTIFICATION_CANDIDATES = TableSpec(
    "notification_candidates",
    USER_POSTS.columns,
    primary_key=("user_id", "rank"),
    # The notifier withdraws candidates by post when a post is unpublished.
    indexes=(("post_id",),),
)
SIMILAR_CREATORS = TableSpec(
    "similar_creators",
    _columns(
        ("creator_id", ID),
        ("similar_creator_id", ID),
        ("rank", INT),
        ("score", SCORE),
        ("model_version", INT),
    ),
    primary_key=("creator_id", "rank"),
)
SIMILAR_POSTS = TableSpec(
    "similar_posts",
    _columns(
        ("post_id", ID),
        ("similar_post_id", ID),
        ("rank", INT),
        ("score", SCORE),
        ("model_version", INT),
    ),
    primary_key=("post_id", "rank"),
)

TABLES: tuple[TableSpec, ...] = (
    USER_CREATORS,
    USER_POSTS,
    NOTIFICATION_CANDIDATES,
    SIMILAR_CREATORS,
    SIMILAR_POSTS,
)
