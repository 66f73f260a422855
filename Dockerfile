# PatentBridge API. Build: docker build -t patentbridge .
# Run:   docker run -p 8000:8000 -e DATABASE_URL=postgresql+psycopg://... patentbridge
# (SQLite by default, in the /srv/patentbridge/var volume.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /srv/patentbridge
RUN useradd --system --home-dir /srv/patentbridge patentbridge

# Dependencies first, from the lock (hashes checked), so that a code change does not reinstall them.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt

COPY pyproject.toml README.md alembic.ini ./
COPY migrations ./migrations
COPY data ./data
COPY app ./app
COPY matching ./matching
# Editable install: the reference tables in data/ are read beside the package.
RUN pip install --no-deps -e . && mkdir -p var && chown patentbridge var

USER patentbridge
VOLUME ["/srv/patentbridge/var"]
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["sh", "-c", "patentbridge migrate && patentbridge serve --host 0.0.0.0 --port 8000 --workers ${WORKERS:-2}"]
