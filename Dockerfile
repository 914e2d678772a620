# The TOM add-in server (xlwings Server with the TOM project), hosted once for the whole partnership.
# Modelled on xlwings Server's docker_templates/Dockerfile: a slim Python image, a non-root user,
# uvicorn as the production server, logs straight to stdout. HTTPS is the host's job (Azure App
# Service, a council's container host, any reverse proxy): the container speaks plain HTTP on $PORT
# and trusts X-Forwarded-Proto from the addresses in FORWARDED_ALLOW_IPS. See docs/excel-addin.md,
# "IT deployment".
#
#   docker build -t tomsync-addin .
#   docker run -p 8000:8000 -e XLWINGS_LICENSE_KEY=noncommercial tomsync-addin
FROM python:3.12-slim

# Setup a non-root user
RUN groupadd --system --gid 999 nonroot \
    && useradd --system --gid 999 --uid 999 --create-home nonroot

WORKDIR /app

# Show logs immediately; no .pyc files written at run time; no pip cache in the image
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Install the dependencies first (a layer that changes only with pyproject.toml), then the project.
COPY pyproject.toml README.md ./
RUN mkdir -p workbook_templates sync xl_addin tomsync \
    && touch workbook_templates/__init__.py sync/__init__.py xl_addin/__init__.py tomsync/__init__.py \
    && pip install . \
    && pip uninstall -y tomsync
COPY workbook_templates ./workbook_templates
COPY sync ./sync
COPY xl_addin ./xl_addin
COPY tomsync ./tomsync
RUN pip install --no-deps . && rm -rf /app/build

# The server's settings (uvicorn reads UVICORN_*; xlwings Server reads XLWINGS_*, see the docs).
# XLWINGS_LICENSE_KEY has no default: give it at run time (-e, App Service settings).
# FORWARDED_ALLOW_IPS="*" trusts X-Forwarded-* from any address: right when only the proxy can reach
# the container (App Service, a private network); narrow it to the proxy's address otherwise.
ENV UVICORN_HOST=0.0.0.0 \
    UVICORN_PORT=8000 \
    UVICORN_WORKERS=1 \
    FORWARDED_ALLOW_IPS=* \
    XLWINGS_ENVIRONMENT=prod
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('UVICORN_PORT', '8000')}/health\", timeout=4)"]

# Use the non-root user to run our application
USER nonroot

# tests/test_dockerfile.py runs this same command line (without docker) and checks /health.
CMD ["uvicorn", "xl_addin.asgi:app", "--proxy-headers", "--access-log"]
