"""The tables the product database receives: columns, types and keys, declared once.

Five are the recommendation tables the pipeline writes to the warehouse's `recommendations`
schema; `reader_recent_posts` (each reader's latest opened posts, the history the explorer shows
beside them) is derived from the events by the export itself, in the same read transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from recsys.settings import DEFAULT_READER_HISTORY_POSTS

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
    """A product table: its columns in order, its key, and the indexes the product uses."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    query: str | None = None
    """None: the warehouse table recommendations.<name>. Else the SELECT over the warehouse that
    yields the table's rows, run by the export."""
    derived_from: tuple[str, ...] = ()
    """The warehouse tables `query` reads."""

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def has_model_version(self) -> bool:
        """Whether rows carry the version of the model that made them (history does not)."""
        return "model_version" in self.column_names

    @property
    def warehouse_table(self) -> str:
        """What the warehouse side reads, usable after FROM: the table or the derived query."""
        if self.query is not None:
            return f"({self.query}) AS {self.name}"
        return f"{WAREHOUSE_SCHEMA}.{self.name}"

    @property
    def label(self) -> str:
        """The source as messages name it."""
        if self.query is not None:
            return f"{self.name} (derived from {', '.join(self.derived_from)})"
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

EVENTS_TABLE = "staging.stg_events"


def reader_recent_posts(posts_per_reader: int = DEFAULT_READER_HISTORY_POSTS) -> TableSpec:
    """Each reader's `posts_per_reader` latest opened posts (any event: the feed never shows them
    again), rank 1 the latest; `opened_at` the last event's time (UTC, ISO 8601), `event_types`
    every kind of event the reader had on the post. Ties keep the higher post id first."""
    n = int(posts_per_reader)
    if n < 1:
        raise ValueError(f"posts_per_reader must be at least 1, got {posts_per_reader}")
    query = (
        "SELECT CAST(user_id AS BIGINT) AS user_id, CAST(post_id AS BIGINT) AS post_id, "
        "CAST(creator_id AS BIGINT) AS creator_id, CAST(row_number() OVER (PARTITION BY user_id "
        "ORDER BY max(event_at) DESC, post_id DESC) AS INTEGER) AS rank, "
        "strftime(max(event_at), '%Y-%m-%dT%H:%M:%SZ') AS opened_at, "
        "string_agg(DISTINCT event_type, ',' ORDER BY event_type) AS event_types "
        f"FROM {EVENTS_TABLE} GROUP BY user_id, post_id, creator_id QUALIFY rank <= {n}"
    )
    return TableSpec(
        "reader_recent_posts",
        _columns(
            ("user_id", ID),
            ("post_id", ID),
            ("creator_id", ID),
            ("rank", INT),
            ("opened_at", TEXT),
            ("event_types", TEXT),
        ),
        primary_key=("user_id", "rank"),
        query=query,
        derived_from=(EVENTS_TABLE,),
    )


READER_RECENT_POSTS = reader_recent_posts()

TABLES: tuple[TableSpec, ...] = (
    USER_CREATORS,
    USER_POSTS,
    NOTIFICATION_CANDIDATES,
    SIMILAR_CREATORS,
    SIMILAR_POSTS,
    READER_RECENT_POSTS,
)


def product_tables(
    reader_history_posts: int = DEFAULT_READER_HISTORY_POSTS,
) -> tuple[TableSpec, ...]:
    """TABLES with `reader_history_posts` posts per reader in reader_recent_posts (the setting
    CREATOR_DISCOVERY_READER_HISTORY_POSTS); rollback and status only need the names."""
    history = reader_recent_posts(reader_history_posts)
    return tuple(history if spec.name == history.name else spec for spec in TABLES)
