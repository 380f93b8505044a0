"""Where brand alerts go: a Slack-compatible incoming webhook (see :mod:`listening_pipeline.alerts`)."""

import datetime as dt
from collections.abc import Callable

from dagster import ConfigurableResource
from pydantic import Field

from listening_pipeline.alerts import Delivery, DeliveryReport, deliver_pending
from listening_pipeline.settings import ALERT_WEBHOOK_ENV
from listening_pipeline.warehouse import Warehouse


class AlertWebhookResource(ConfigurableResource):
    """The webhook brand alerts are posted to, and how hard to try.

    Set ``url`` with ``EnvVar("LISTENING_PIPELINE_ALERT_WEBHOOK_URL")``: a Slack webhook URL
    carries its token, so it must never show in the UI. Empty: alerts stay in the mart.
    """

    url: str = Field(default="", description=f"Webhook URL; set it with EnvVar({ALERT_WEBHOOK_ENV!r}).")
    timeout_s: float = Field(default=10.0, description="Timeout of one HTTP attempt, seconds.")
    max_attempts: int = Field(default=4, description="Attempts per alert on connection errors, 5xx and 429.")
    backoff_s: float = Field(default=1.0, description="First wait between attempts; doubles each time.")
    max_backoff_s: float = Field(default=30.0, description="Longest wait (Retry-After included) within a tick.")
    max_per_tick: int = Field(default=20, description="Alerts posted per sensor tick at most.")
    time_budget_s: float = Field(default=40.0, description="Seconds a tick may spend posting.")
    max_age_days: int = Field(default=7, description="Alerts for days older than this are never sent (0: any age).")

    @property
    def configured(self) -> bool:
        return bool(self.url.strip())

    def deliver(
        self,
        store: Warehouse,
        *,
        today: dt.date | None = None,
        on_delivery: Callable[[Delivery], None] | None = None,
    ) -> DeliveryReport:
        return deliver_pending(
            store,
            self.url.strip(),
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            backoff_s=self.backoff_s,
            max_backoff_s=self.max_backoff_s,
            max_per_call=self.max_per_tick,
            time_budget_s=self.time_budget_s,
            max_age_days=self.max_age_days,
            today=today,
            on_delivery=on_delivery,
        )
