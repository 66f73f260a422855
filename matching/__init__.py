"""The matching engine: a pure library (texts, vectors, paths in; typed results out).

It never imports `app`, FastAPI, SQLAlchemy or settings. Built under issue 3.
"""
