"""The explorer's JSON API, one module per section of the page: ``reference`` (health, losses,
guide), ``curves``, ``samples``, ``check``, ``playground``, ``training``, ``backprop``; ``_common``
holds the error type, the body reader and the field validators they share.

Nothing here imports Starlette: each function takes the request's JSON body (a dict) and returns a
JSON-ready dict, or raises :class:`~losslab.web.api._common.ApiError`.
"""
