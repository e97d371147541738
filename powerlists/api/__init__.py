"""The REST API under /api/v1/: the whole product over HTTP, described by OpenAPI 3.

Views read through powerlists.queries and write through powerlists.services; every one asks
powerlists.policy. A serializer never saves a model itself.
"""
