"""Voice: call flow, TwiML building, prompts and recordings, hotline."""
