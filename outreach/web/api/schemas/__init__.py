"""The API's request and response models, a module per resource; the OpenAPI document is
generated from them.

Unknown fields are refused everywhere (422), in bodies and in query strings alike, so a typo
never silently widens a search or drops a value.
"""
