"""The rollback job: the product database's previous export version made live again."""

import dagster as dg

from resources import ProductDatabase


@dg.op(description="Make the product database's previous export version live again, atomically.")
def rollback_product_database(
    context: dg.OpExecutionContext, product_database: ProductDatabase
) -> None:
    from recsys.publish.export import ExportError, rollback_recommendations

    try:
        result = rollback_recommendations(product_database.url, progress=context.log.info)
    except ExportError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from error
    context.log.info(
        f"{result.url}: version {result.version} is live again; "
        f"version {result.replaced_version} kept as previous"
    )


@dg.job(description="Restore the previous version of the product database (make rollback).")
def rollback_export():
    rollback_product_database()
