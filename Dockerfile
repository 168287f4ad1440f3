# syntax=docker/dockerfile:1
# Build stage: install the locked dependencies and the package into a virtualenv.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY platform_api ./platform_api
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -c constraints.txt .

# Runtime stage: the virtualenv, the contract, the guides and the gunicorn settings; a non-root user.
FROM python:3.11-slim
# /app/instance (PLATFORM_INSTANCE_PATH) holds the SQLite database when DATABASE_URL is unset: it
# belongs to the user the service runs as (mount a volume there to keep the database).
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /app platform \
 && install -d -o platform -g platform -m 0700 /app/instance
COPY --from=build /opt/venv /opt/venv
COPY openapi.yaml /app/openapi.yaml
# The guides that /docs/<name> renders (docs/*.md): not part of the Python package, like openapi.yaml.
COPY docs /app/docs
COPY config/gunicorn.conf.py /app/gunicorn.conf.py
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PLATFORM_ENV=production \
    PLATFORM_OPENAPI_PATH=/app/openapi.yaml \
    PLATFORM_DOCS_PATH=/app/docs \
    PLATFORM_INSTANCE_PATH=/app/instance \
    PLATFORM_BIND=0.0.0.0:8000
WORKDIR /app
USER platform
# Fail the build, not the first start, if the SQLite default could not be written by this user.
RUN touch /app/instance/.writable && rm /app/instance/.writable
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# Migrate, then serve. SECRET_KEY, DATABASE_URL and PLATFORM_ISSUER (https) must be provided.
# Webhooks are sent by a worker: run the same image once more (or more often, on PostgreSQL)
# with the same environment and this command instead:
#   CMD ["platform-admin", "webhooks", "worker"]
# It stops on SIGTERM after the deliveries in hand; run one only on SQLite.
CMD ["sh", "-c", "platform-admin db upgrade && exec gunicorn -c /app/gunicorn.conf.py"]
