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

# Takes Prisma's advisory lock, so several replicas starting at once migrate one at a time.
# Uses DIRECT_DATABASE_URL when set (prisma.config.ts): never a transaction-mode pooler.
echo "entrypoint: applying database migrations (prisma migrate deploy)"
prisma migrate deploy

if [ "$#" -eq 0 ]; then
  set -- node --max-semi-space-size=8 dist/main.js
fi
echo "entrypoint: starting $1"
exec "$@"
