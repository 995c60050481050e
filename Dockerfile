# One image for every Kangaroo Paw process (api, relay, projector, consumer, worker, migrate);
# compose.yaml picks the process with `command:`. Build: docker build -t kangaroo-paw:local .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    KP_MODE=services \
    KP_HOST=0.0.0.0 \
    KP_PORT=8080

WORKDIR /app

# Dependencies first, so editing src/ does not re-download them: install the project's
# declared dependencies from an empty package, then the real code on top.
COPY pyproject.toml README.md ./
RUN mkdir -p src/kangaroo_paw && touch src/kangaroo_paw/__init__.py \
    && pip install ".[services]" \
    && pip uninstall -y kangaroo-paw \
    && rm -rf src build

COPY src ./src
RUN pip install --no-deps . && rm -rf build

COPY scripts/container-healthcheck /usr/local/bin/kp-healthcheck

# Not root: nothing here needs it (the migrations ship inside the installed package).
RUN useradd --create-home --uid 10001 kangaroo \
    && chmod 0755 /usr/local/bin/kp-healthcheck \
    && mkdir -p /app/var && chown kangaroo /app/var
USER kangaroo

EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 CMD ["kp-healthcheck", "api"]
CMD ["kangaroo-paw", "serve", "--host", "0.0.0.0", "--port", "8080"]
