"""Create the benchmark database if it is missing: `DATABASE_URL=postgres://… python -m devtools.bench.database`.

Runs before Django is set up (a missing database would fail the first query), connecting to the
server's `postgres` maintenance database. Does nothing for other database engines.
"""

from __future__ import annotations

import sys

import environ


def ensure_database(url: str) -> str:
    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return f"{config['ENGINE']}: nothing to create"
    import psycopg
    from psycopg import sql

    name = config["NAME"]
    with psycopg.connect(dbname="postgres", autocommit=True, **_server(config)) as maintenance:
        if maintenance.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return f"database {name} exists"
        maintenance.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"database {name} created"


def _server(config: dict) -> dict:
    return {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }


def copy_database(url: str, copy_name: str) -> str:
    """A throw-away copy of the database at `url` (CREATE DATABASE ... TEMPLATE); returns the copy's URL.

    PostgreSQL copies only a database nobody is connected to: close Django's connection first. The copy is a
    file-level clone, so it keeps the statistics and visibility map of the original.
    """
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    with psycopg.connect(dbname="postgres", autocommit=True, **_server(config)) as maintenance:
        maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(copy_name)))
        maintenance.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(copy_name), sql.Identifier(config["NAME"]))
        )
    return url.rsplit("/", 1)[0] + "/" + copy_name


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    with psycopg.connect(dbname="postgres", autocommit=True, **_server(config)) as maintenance:
        maintenance.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"])))


if __name__ == "__main__":
    url = environ.Env().str("DATABASE_URL", default="")
    if not url:
        sys.exit("Set DATABASE_URL to the benchmark database, e.g. postgres://postgres@127.0.0.1:5432/collect_bench")
    print(ensure_database(url))  # noqa: T201
