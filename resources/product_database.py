"""The product database the recommendation tables are exported to."""

import dagster as dg


class ProductDatabase(dg.ConfigurableResource):
    """A SQLite file by default; PostgreSQL when CREATOR_DISCOVERY_PRODUCT_DB_URL is set.

    The URL is given as an environment variable (dg.EnvVar) whenever it comes from the environment,
    so the UI shows the variable's name, never the credentials in it.
    """

    url: str

    @property
    def masked_url(self) -> str:
        from recsys.publish.export import mask_url

        return mask_url(self.url)
