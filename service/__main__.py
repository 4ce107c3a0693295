"""`python -m service` (`make serve`): the service on CREATOR_DISCOVERY_SERVE_HOST:PORT."""

from __future__ import annotations

import logging

# asyncio's own loop, not uvloop (uvicorn's default when installed): search and "more like this"
# spend most of a millisecond of CPU each, and under 32 concurrent connections uvloop let a few
# requests wait behind many others (p99 100-200 ms at a p50 of 20-30 ms) where asyncio's loop
# serves them in turn (p99 within 1.5x of p50), at the same throughput; docs/benchmarks.md.
EVENT_LOOP = "asyncio"


def main() -> None:
    import uvicorn

    from recsys.settings import Settings
    from service.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = Settings.from_env()
    uvicorn.run(
        create_app(settings),
        host=settings.serve_host,
        port=settings.serve_port,
        access_log=False,
        log_level="info",
        loop=EVENT_LOOP,
    )


if __name__ == "__main__":
    main()
