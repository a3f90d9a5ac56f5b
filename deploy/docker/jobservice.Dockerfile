# syntax=docker/dockerfile:1
#
# Wharf jobservice: Harbor's job API (/api/v1/jobs) on RabbitMQ, scheduler, workers, status hooks.
# Build from the repository root (the context is the whole workspace, trimmed by
# .dockerignore):
#
#   docker build -f deploy/docker/jobservice.Dockerfile -t wharf/jobservice .
#
# Stage `build` installs the workspace from the lockfile, compiles jobservice and the
# packages it references with `tsc -b`, and writes a production-only copy of
# @wharf/jobservice to /out with `pnpm deploy --prod`: its dist/, the dist/ of each workspace package
# it depends on (copied in, not linked) and its production dependencies; nothing else
# (each package.json's `files` says what ships). The runtime stage holds that copy only.
#
# Configuration: environment variables, see services/jobservice/src/config.ts. Required:
# JOBSERVICE_SECRET (the suite's shared secret), REDIS_URL and AMQP_URL. Job logs are
# written under /var/lib/wharf/jobservice/logs, the one directory the service user may write.

ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION=12.21.0
ENV CI=true
RUN npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}" && pnpm --version
WORKDIR /src
# Packages are fetched from the lockfile alone, so this layer is rebuilt only when it changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --ignore-scripts
COPY . .
# --ignore-scripts: the only install scripts the workspace allows are those of the `node`
# and `pnpm` devDependencies (Node and pnpm for development machines); the image has both.
RUN pnpm install --frozen-lockfile --prefer-offline --ignore-scripts
RUN node node_modules/typescript/bin/tsc -b services/jobservice
RUN pnpm --filter @wharf/jobservice deploy --prod --prefer-offline --ignore-scripts /out \
 && rm -f /out/pnpm-lock.yaml /out/pnpm-workspace.yaml

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    JOBSERVICE_HTTP_HOST=0.0.0.0 \
    JOBSERVICE_HTTP_PORT=8082 \
    JOBSERVICE_LOG_DIR=/var/lib/wharf/jobservice/logs
WORKDIR /app
# Root-owned and read-only for the service user; only its data directory is writable.
COPY --from=build /out/ /app/
RUN mkdir -p /var/lib/wharf/jobservice/logs && chown -R node:node /var/lib/wharf/jobservice && chmod 700 /var/lib/wharf/jobservice/logs
USER node
EXPOSE 8082
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.JOBSERVICE_HTTP_PORT||8082)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
