"""Posts each new row of marts.brand_alerts once to the alert webhook.

Delivery itself (payload, retries, ledger) is framework-free: :mod:`listening_pipeline.lib.alerts`.
"""

from dagster import AssetMaterialization, DefaultSensorStatus, SensorEvaluationContext, SensorResult, SkipReason, sensor

from listening_pipeline.defs.alerts.assets import ALERT_DELIVERIES_KEY
from listening_pipeline.defs.resources import AlertWebhookResource
from listening_pipeline.lib.alerts import Delivery, webhook_host
from listening_pipeline.lib.alerts.ledger import LEDGER
from listening_pipeline.settings import ALERT_WEBHOOK_ENV
from listening_pipeline.warehouse.io_manager import WarehouseResource


@sensor(
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        f"Posts each new row of marts.brand_alerts once to the alert webhook ({ALERT_WEBHOOK_ENV}) as Slack JSON; "
        "raw.alert_deliveries is the ledger (claimed before each POST, confirmed after; overlapping ticks wait their "
        "turn; an alert whose answer was lost is marked 'unknown' and reported, never re-posted blindly)."
    ),
)
def brand_alert_sensor(
    context: SensorEvaluationContext, alert_webhook: AlertWebhookResource, warehouse: WarehouseResource
):
    if not alert_webhook.configured:
        return SkipReason(
            f"no alert webhook configured: set {ALERT_WEBHOOK_ENV} to a Slack-compatible incoming-webhook URL "
            "where the code server runs (docker/.env), then reload the code location"
        )
    host = webhook_host(alert_webhook.url.strip())

    def log(delivery: Delivery) -> None:
        alert, outcome = delivery.alert, delivery.outcome
        reasons = ", ".join(alert.reasons) or "no reason"
        what = f"brand alert {alert.brand} {alert.day.isoformat()} ({reasons}; id {alert.alert_id})"
        if outcome.ok:
            context.log.info(f"{what} delivered to {host} after {outcome.attempts} attempt(s)")
        elif outcome.uncertain:
            context.log.error(
                f"{what} posted to {host} but no answer came; marked 'unknown' and not posted again: {outcome.error}"
            )
        elif outcome.refused:
            context.log.warning(f"{what} refused by {host}, tried again next tick: {outcome.error}")
        else:
            context.log.warning(
                f"{what} not delivered to {host} after {outcome.attempts} attempt(s), pending: {outcome.error}"
            )

    report = alert_webhook.deliver(warehouse.get(), on_delivery=log)
    if report.busy:
        return SkipReason(f"another tick is delivering brand alerts to {host}; nothing done")
    notes = []
    if report.too_old:
        notes.append(f"{report.too_old} undelivered alert(s) older than {alert_webhook.max_age_days} days not sent")
    if report.orphans:
        context.log.error(
            f"{len(report.orphans)} alert(s) were claimed by a tick that ended before recording the answer; "
            f"marked 'unknown', not posted again: {', '.join(report.orphans)}"
        )
    if report.in_doubt:
        doubt = (
            f"{report.in_doubt} alert(s) in doubt (status 'unknown' in {LEDGER}: posted, no answer): check the "
            "channel and settle each with listening_pipeline.lib.alerts.settle_in_doubt"
        )
        context.log.error(doubt)
        notes.append(doubt)
    tail = "".join(f"; {note}" for note in notes)
    if not report.changed:
        return SkipReason(f"no new brand alerts{tail}")
    if report.stopped:
        (context.log.warning if report.failed else context.log.info)(f"alert batch stopped early: {report.stopped}")
    summary = (
        f"{len(report.delivered)} brand alert(s) delivered to {host}, {len(report.failed)} failed, "
        f"{len(report.uncertain)} unanswered, {report.left} pending{tail}"
    )
    # The ledger changed: record it on the alert_deliveries asset, so the graph shows who writes it.
    written = AssetMaterialization(
        asset_key=ALERT_DELIVERIES_KEY,
        description=summary,
        metadata={
            "delivered": len(report.delivered),
            "failed": len(report.failed),
            "unanswered": len(report.uncertain),
            "pending": report.left,
            "in_doubt": report.in_doubt,
        },
    )
    return SensorResult(skip_reason=summary, asset_events=[written])
