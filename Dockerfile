# Production image: gunicorn for web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=collect.settings.production
WORKDIR /app

# Fonts and Pango for WeasyPrint (letters, mandates); HarfBuzz subsetting makes PDFs 6-7x faster.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 collect

COPY requirements/ requirements/
RUN pip install -r requirements/base.txt
COPY . .
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput \
    && SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py compile_translations \
    && mkdir -p /app/var && chown -R collect /app/var

USER collect
EXPOSE 8000
CMD ["gunicorn", "collect.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
