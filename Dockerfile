# ghostwatch: one image for every role (`run`, `run --role ingest`, `run --role scorer`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
COPY storage ./storage
RUN pip install . && useradd --create-home --uid 10001 ghostwatch \
    && mkdir -p /data && chown ghostwatch:ghostwatch /data

# Inside a container the health server must listen beyond loopback for the orchestrator.
ENV GHOSTWATCH_HTTP_HOST=0.0.0.0 \
    GHOSTWATCH_HTTP_PORT=8080 \
    GHOSTWATCH_DATA_DIR=/data
VOLUME ["/data"]
WORKDIR /data
USER ghostwatch
EXPOSE 8080

# slim has no curl: ask /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GHOSTWATCH_HTTP_PORT', '8080'), timeout=4)"]

ENTRYPOINT ["ghostwatch"]
CMD ["run"]
