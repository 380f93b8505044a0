"""Brand alerts out: each new row of ``marts.brand_alerts`` goes to a webhook once, as Slack JSON.

:mod:`.message` reads an alert and writes its message; :mod:`.delivery` posts it, retries and keeps
the ledger (``raw.alert_deliveries``). Framework-free: ``brand_alert_sensor`` calls :func:`deliver_pending`.
"""

from listening_pipeline.lib.alerts.delivery import (
    ERROR_SNIPPET,
    WEBHOOK_GONE,
    Delivery,
    DeliveryReport,
    PostOutcome,
    deliver_pending,
    pending_alerts,
    post_json,
    record,
    webhook_host,
)
from listening_pipeline.lib.alerts.message import ALERT_COLUMNS, ALERTS_RELATION, VIDEO_URL, Alert, slack_payload

__all__ = [
    "ALERTS_RELATION",
    "ALERT_COLUMNS",
    "ERROR_SNIPPET",
    "VIDEO_URL",
    "WEBHOOK_GONE",
    "Alert",
    "Delivery",
    "DeliveryReport",
    "PostOutcome",
    "deliver_pending",
    "pending_alerts",
    "post_json",
    "record",
    "slack_payload",
    "webhook_host",
]
