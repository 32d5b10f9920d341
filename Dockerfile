# ODQ service image.
#
#   docker build -t odq .
#   docker run -p 8000:8000 -v odq-data:/data odq
#
# Two stages: the first installs the dependencies into a virtualenv (pip, wheels and caches stay
# there); the second copies only the virtualenv and the source, and runs as an unprivileged user.
# One uvicorn worker: DuckDB allows one read-write process per database file, so the service is
# scaled by giving it more cores (process pool inside), never by running two copies on one volume.

ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN python -m venv /opt/venv
# Dependencies first (a layer that changes only with pyproject.toml), then the source.
COPY pyproject.toml README.md ./
RUN mkdir -p app profilers scoring \
    && touch app/__init__.py profilers/__init__.py scoring/__init__.py \
    && /opt/venv/bin/pip install . \
    && /opt/venv/bin/pip uninstall -y odq \
    && rm -rf app profilers scoring build *.egg-info
COPY app ./app
COPY profilers ./profilers
COPY scoring ./scoring
COPY migrations ./migrations
# Editable: the package runs from /app, where migrations/ sits beside it (found relative to the code).
RUN /opt/venv/bin/pip install --no-deps -e . \
    && /opt/venv/bin/python -m compileall -q /app/app /app/profilers /app/scoring

FROM ${PYTHON_IMAGE}
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH \
    ODQ_DATA_DIR=/data \
    ODQ_HOST=0.0.0.0 \
    ODQ_PORT=8000 \
    ODQ_LOG_JSON=true
RUN groupadd --system --gid 10001 odq \
    && useradd --system --uid 10001 --gid odq --home-dir /nonexistent --shell /usr/sbin/nologin odq \
    && mkdir -p /data \
    && chown odq:odq /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER odq:odq
# The database (odq.duckdb) and the uploaded files (blobs/) live here.
VOLUME ["/data"]
EXPOSE 8000
# /health answers 200 once the database is open and migrated.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('ODQ_PORT', '8000')}/health\", timeout=4); sys.exit(0 if r.status == 200 else 1)"]
# SIGTERM (docker stop): uvicorn stops accepting, finishes the requests in flight, closes the
# database, then exits. Give it time to finish a large file (docker stop -t / stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["odq", "serve"]
