# Multi-stage build: compile TypeScript and native better-sqlite3 in the first stage,
# ship only dist/ and production node_modules (better-sqlite3 and pg among them) in the second,
# as the non-root `node` user. The image runs the tsc output (dist/src/main.js, and
# dist/src/cli/main.js as `dangjian`), not bin/ (which bundles the sources on first run).
# Database: SQLite at DB_FILE (the /data volume), or PostgreSQL when DATABASE_URL is set
# (deploy/compose.yaml). No HEALTHCHECK here: only webhook mode serves GET /healthz (the
# compose file checks it); the default ws mode has no HTTP port.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY migrations migrations
COPY bin/lark-sdk-copy.js bin/
# The Lark SDK's file without its comments, as `npm start` loads it (bin/lark-sdk-copy.js: ≈ 10 MB
# less resident memory).
RUN npm run build && node bin/lark-sdk-copy.js --in-place && npm prune --omit=dev

FROM node:20-bookworm-slim
# MALLOC_ARENA_MAX: V8's and libuv's worker threads each get a malloc arena of their own, which
# keeps freed memory resident; two arenas cut the service's peak RSS by 15–20 MB (bench/postgres).
ENV NODE_ENV=production \
    DB_FILE=/data/dangjian.db \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
RUN mkdir -p /data && chown node:node /data \
  && printf '#!/bin/sh\nexec node /app/dist/src/cli/main.js "$@"\n' > /usr/local/bin/dangjian \
  && chmod +x /usr/local/bin/dangjian
USER node
# A build that cannot start the CLI fails here rather than at the first `docker run`.
RUN dangjian --help > /dev/null
VOLUME /data
EXPOSE 3000
CMD ["node", "--max-semi-space-size=2", "dist/src/main.js"]
