"""`python -m service` (`make serve`): the service on CREATOR_DISCOVERY_SERVE_HOST:PORT."""

from __future__ import annotations

import logging


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
    )


if __name__ == "__main__":
    main()
