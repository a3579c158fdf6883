"""The FastAPI application: app factory, JSON API, dependencies and error handlers."""
