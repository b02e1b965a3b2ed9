"""Voice: outbound voice campaigns (the dialer, call statuses, retries), the call flow (menus
read key by key), its TwiML, the hotline and missed calls, and the prompts a call plays
(uploaded recordings, text-to-speech, shipped placeholders).

It sits between the test phones and messaging: it reads content (menus and prompts), contacts
(consent) and call-backs, and campaigns and the web layer call into it.
"""
