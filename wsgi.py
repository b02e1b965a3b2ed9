"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

import gc

from outreach import create_app

app = create_app()

# What the app built at start (models, routes, campaign content, voice menus) lives as long as
# the process. Left to the collector, every full collection walks all of it again, and under a
# burst of webhooks those pauses were the slowest 1% of answers (p99 about 7× the hand-written
# handler's; bench/inbound_webhook.py). Frozen, the collector skips it; collecting young
# objects less often keeps its share of each request small.
gc.freeze()
gc.set_threshold(20_000, 50, 100)
