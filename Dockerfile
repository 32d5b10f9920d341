# First cut: serves the app on the embedded DuckDB. The hardening issue finishes it
# (multi-stage build, HEALTHCHECK, compose file).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ODQ_DATA_DIR=/data ODQ_HOST=0.0.0.0
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY profilers ./profilers
COPY scoring ./scoring
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . && useradd --create-home odq && mkdir -p /data && chown odq /data
USER odq
VOLUME ["/data"]
EXPOSE 8000
# One worker: DuckDB allows one writing process.
CMD ["odq", "serve"]
