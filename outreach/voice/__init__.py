"""Voice: outbound voice campaigns (the dialer, call statuses, retries) and the IVR."""
