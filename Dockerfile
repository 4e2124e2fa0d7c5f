# govbot: one process serving Discord and/or Telegram (or the console when no token is
# set), with /healthz and /metrics on port 8080. Build: docker build -t govbot .
# Run with PostgreSQL: docker compose up (see compose.yaml and the README).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (cached while only the code changes): the pinned list in pyproject.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(chr(10).join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# The code runs from /app (config/govbot.toml is read from beside it), as a non-root user.
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY config ./config
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin govbot \
    && mkdir -p /data/charts \
    && chown -R govbot /data

USER govbot
# Defaults for a container: listen on every interface, keep data under /data.
# Secrets (DISCORD_TOKEN, TELEGRAM_TOKEN, ETH_RPC_URL, DATABASE_URL with its password)
# come from the environment at run time, never from the image.
ENV GOVBOT_WEB__ENABLED=true \
    GOVBOT_WEB__LISTEN=0.0.0.0 \
    GOVBOT_WEB__PORT=8080 \
    GOVBOT_LOG_FORMAT=json \
    GOVBOT_CHARTS_DIR=/data/charts \
    MPLCONFIGDIR=/tmp/matplotlib \
    DATABASE_URL=sqlite:////data/govbot.db
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"
# SIGTERM (docker stop) finishes in-flight events and drains pending writes, then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
