"""The base of the HTTP rooms: request dependencies, error answers, limits, page rendering, CSRF.

Any room may import it; it imports only `core` and third-party code.
"""
