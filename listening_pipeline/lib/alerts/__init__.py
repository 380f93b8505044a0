"""Brand alerts out: each new row of ``marts.brand_alerts`` goes to a webhook once, with its evidence.

:mod:`.message` reads an alert and writes its message; :mod:`.delivery` posts it, retries and keeps
the ledger (``raw.alert_deliveries``, its states in :mod:`.ledger`). Framework-free: ``brand_alert_sensor``
calls :func:`deliver_pending`.
"""

from listening_pipeline.lib.alerts.delivery import (
    WEBHOOK_GONE,
    Delivery,
    DeliveryReport,
    PostOutcome,
    deliver_pending,
    may_have_arrived,
    pending_alerts,
    post_json,
    record,
    webhook_host,
)
from listening_pipeline.lib.alerts.ledger import ERROR_SNIPPET, LedgerWriteError, in_doubt, settle_in_doubt
from listening_pipeline.lib.alerts.message import (
    ALERT_COLUMNS,
    ALERTS_RELATION,
    PAYLOAD_FORMATS,
    VIDEO_URL,
    Alert,
    Evidence,
    alert_payload,
    json_payload,
    slack_payload,
)

__all__ = [
    "ALERTS_RELATION",
    "ALERT_COLUMNS",
    "ERROR_SNIPPET",
    "PAYLOAD_FORMATS",
    "VIDEO_URL",
    "WEBHOOK_GONE",
    "Alert",
    "Delivery",
    "Evidence",
    "DeliveryReport",
    "LedgerWriteError",
    "PostOutcome",
    "alert_payload",
    "deliver_pending",
    "in_doubt",
    "json_payload",
    "may_have_arrived",
    "pending_alerts",
    "post_json",
    "record",
    "settle_in_doubt",
    "slack_payload",
    "webhook_host",
]
