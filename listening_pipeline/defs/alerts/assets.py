"""raw.alert_deliveries as an asset: the webhook's ledger is written by a sensor, not a run, but it is
a table users read, so the graph shows it downstream of the alerts mart."""

import dagster as dg

from listening_pipeline.warehouse.tables import ALERT_DELIVERIES, RAW_SCHEMA

ALERT_DELIVERIES_KEY = dg.AssetKey(ALERT_DELIVERIES.name)

alert_deliveries = dg.AssetSpec(
    ALERT_DELIVERIES_KEY,
    deps=[dg.AssetKey(["marts", "brand_alerts"])],
    group_name="alerts",
    kinds={"python", "slack"},
    description=(
        "One row per brand alert posted to the alert webhook, with its status (sending, delivered, failed, unknown). "
        "Written by brand_alert_sensor: a claim before each POST, the answer after it; each tick that writes it "
        "is recorded as a materialization."
    ),
    metadata={"dagster/table_name": f"{RAW_SCHEMA}.{ALERT_DELIVERIES.name}"},
)
