#!/bin/sh
# Container start: apply pending migrations, then become the server (or the given command),
# so that the process tini forwards SIGTERM to is Node itself, not this shell.
set -eu

cd "$(dirname "$0")"

if [ -z "${DATABASE_URL:-}" ]; then
  echo "entrypoint: DATABASE_URL is not set; set it to postgresql://USER:PASSWORD@HOST:5432/DB (see .env.example)" >&2
  exit 1
fi
case "$DATABASE_URL" in
  postgresql://* | postgres://*) ;;
  *)
    echo "entrypoint: DATABASE_URL must start with postgresql:// or postgres://" >&2
    exit 1
    ;;
esac

# MIGRATE_ON_START=false when a one-shot migrate job runs before the release instead (several
# replicas, or DDL credentials kept out of the API; docs/deploying.md). Empty means the default.
case "${MIGRATE_ON_START:-true}" in
  true)
    # Takes Prisma's advisory lock, so several replicas starting at once migrate one at a time.
    # prisma.config.ts picks the URL: DIRECT_DATABASE_URL when set and not empty, else
    # DATABASE_URL; never a transaction-mode pooler.
    echo "entrypoint: applying database migrations (prisma migrate deploy)"
    prisma migrate deploy
    ;;
  false)
    echo "entrypoint: MIGRATE_ON_START=false, not migrating (the migrate job applies them)"
    ;;
  *)
    echo "entrypoint: MIGRATE_ON_START must be true or false" >&2
    exit 1
    ;;
esac

if [ "$#" -eq 0 ]; then
  set -- node dist/main.js
fi
echo "entrypoint: starting $1"
exec "$@"
