"""Alerts: brand alerts posted once each to a webhook, and the delivery ledger."""
