# integrator: the web form, JSON API, webhooks and scheduler (`integrator serve`); see README "Deploy".
FROM python:3.11-slim AS build
WORKDIR /src
# Dependencies exactly as locked (pip-compile --generate-hashes), then integrator itself without any.
COPY requirements.lock ./
RUN pip install --no-cache-dir --prefix=/install --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY integrator ./integrator
RUN pip install --no-cache-dir --prefix=/install --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 integrator
COPY --from=build /install /usr/local
WORKDIR /srv/integrator
COPY config ./config
RUN mkdir -p /srv/integrator/data && chown integrator /srv/integrator/data
# SQLite (the default database) lives here; mount a volume so it outlives the container.
VOLUME ["/srv/integrator/data"]
USER integrator
ENV INTEGRATOR_DATABASE_URL=sqlite:////srv/integrator/data/integrator.db \
    PYTHONUNBUFFERED=1
EXPOSE 8000
# Healthy = /readyz answers 200 (database reachable, registry and catalog loaded).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('HEALTHCHECK_URL', 'http://127.0.0.1:8000/readyz'), timeout=4)"]
ENTRYPOINT ["integrator"]
CMD ["serve", "--host", "0.0.0.0"]
