"""Writes of the webhooks app, by area: `webhooks` (register, change, rotate, test), `events`
(emit an event: one Delivery per recipient webhook, sent on commit) and `delivery` (one attempt
to send a delivery, its retries, and re-sending what is due)."""
