"""Server-rendered pages: templates, static files and translations."""
