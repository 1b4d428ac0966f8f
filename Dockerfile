FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY integrator ./integrator
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 integrator
COPY --from=build /install /usr/local
WORKDIR /srv/integrator
COPY config ./config
RUN mkdir -p /srv/integrator/data && chown integrator /srv/integrator/data
USER integrator
ENV INTEGRATOR_DATABASE_URL=sqlite:////srv/integrator/data/integrator.db \
    PYTHONUNBUFFERED=1
EXPOSE 8000
ENTRYPOINT ["integrator"]
CMD ["serve", "--host", "0.0.0.0"]
