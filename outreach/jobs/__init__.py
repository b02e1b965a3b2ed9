"""Background jobs as rows the worker claims: imports now; exports, conversions, retention later.

`queue` claims, renews and recovers job rows; `kinds` says what each kind of job does; `runner`
is the worker's loop that claims due jobs and runs them.
"""
