# syntax=docker/dockerfile:1.7
# The production image. Built where the internet is reachable (npm registry, Debian,
# Prisma's engine server); it runs with none of them. No secret is ever an ARG or a layer:
# configuration comes from the environment at run time (.env.example, GO_LIVE_CHECKLIST.md).

# Node 22 LTS. Pin a digest in your registry for byte-for-byte rebuilds.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- base: what every stage and the runtime share --------------------------------------
FROM ${NODE_IMAGE} AS base
# openssl: Prisma's schema engine links libssl and detects its version through it.
# tini: PID 1 that forwards SIGTERM to Node and reaps zombies (the graceful drain needs the signal).
RUN apt-get update \
  && apt-get install -y --no-install-recommends openssl ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
ENV CHECKPOINT_DISABLE=1 \
    PRISMA_HIDE_UPDATE_MESSAGE=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
WORKDIR /app

# ---- npm: the npm major the lockfile was written with (its `allowScripts` policy) -------
FROM base AS npm
RUN npm install -g npm@11

# ---- deps: every dependency, exactly as locked ------------------------------------------
FROM npm AS deps
COPY package.json package-lock.json .npmrc prisma.config.ts ./
# prisma.config.ts reads the environment through this file (an empty value means unset).
COPY api/src/platform/env-unset.ts ./api/src/platform/env-unset.ts
COPY prisma ./prisma
# The root postinstall runs `prisma generate`; it needs no database and no engine.
RUN npm ci

# ---- build: the generated Prisma client and the compiled server ------------------------
FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY api/src ./api/src
RUN npm run prisma:generate && npm run build

# ---- prod-deps: production dependencies only, plus Prisma's schema engine ---------------
FROM npm AS prod-deps
COPY package.json package-lock.json .npmrc ./
# --ignore-scripts: the root postinstall (prisma generate) is not needed here, the compiled
# client is in dist/. Then fetch the schema engine explicitly, so `prisma migrate deploy`
# never downloads anything at start, and fail the build if it is missing.
RUN npm ci --omit=dev --ignore-scripts \
  && node node_modules/@prisma/engines/scripts/postinstall.js \
  && ls node_modules/@prisma/engines | grep -q '^schema-engine' \
  && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------
FROM base AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    PATH=/app/node_modules/.bin:$PATH
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json prisma.config.ts ./
COPY api/src/platform/env-unset.ts ./api/src/platform/env-unset.ts
COPY prisma ./prisma
COPY --chmod=0755 entrypoint.sh ./entrypoint.sh
# Everything above belongs to root and is read-only for the process; it runs as `node`.
USER node
EXPOSE 3000
# Liveness through Node itself (no curl in the image). /ready is for the load balancer.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "/app/entrypoint.sh"]
CMD ["node", "dist/main.js"]
