# syntax=docker/dockerfile:1
# Multi-stage image: build wheels with compilers, run on a slim base as a non-root user.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential libpq-dev \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/ /tmp/requirements/
RUN pip wheel --wheel-dir /wheels -r /tmp/requirements/base.txt

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=foodxchange.settings PORT=8000
# postgresql-client: pg_dump / pg_restore for backups and restores.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system app && useradd --system --gid app --home /app --shell /usr/sbin/nologin app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=app:app . /app
# collectstatic needs a key only to import settings; it is not used at run time.
RUN SECRET_KEY=collectstatic-only-build-time-placeholder-0123456789 \
    COMPLIANCE_SIGNING_KEY=Y29sbGVjdHN0YXRpYy1vbmx5LXBsYWNlaG9sZGVyLTA= python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/var/backups && chown -R app:app /app/media /app/var /app/staticfiles
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s CMD python -c \
    "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health').status != 200)"
# ASGI (HTTP + WebSocket) with uvicorn workers under gunicorn. Keep-alive above the
# proxy's (nginx: 60 s), so the server never closes a connection the proxy is reusing.
CMD ["sh", "-c", "gunicorn foodxchange.asgi:application -k uvicorn_worker.UvicornWorker --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-2} --graceful-timeout 10 --keep-alive 75 --access-logfile -"]
