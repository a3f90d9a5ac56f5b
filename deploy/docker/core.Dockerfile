# syntax=docker/dockerfile:1
#
# Wharf core: identity, projects, the token service, the /v2 gate, the Harbor API.
# Build from the repository root (the context is the whole workspace, trimmed by
# .dockerignore):
#
#   docker build -f deploy/docker/core.Dockerfile -t wharf/core .
#
# Stage `build` installs the workspace from the lockfile, compiles core and the packages it
# references with `tsc -b`, and writes a production-only copy of @wharf/core to /out with
# `pnpm deploy --prod`: core's dist/ and migrations/, the dist/ of each workspace package
# it depends on (copied in, not linked) and its production dependencies; nothing else
# (each package.json's `files` says what ships). The runtime stage holds that copy only.
#
# Configuration: environment variables, see services/core/src/config.ts. Required:
# WHARF_ADMIN_PASSWORD, CORE_SECRET, CORE_TOKEN_PRIVATE_KEY_FILE (a PEM key, or where
# core writes one with CORE_TOKEN_KEY_GENERATE=true: /var/lib/wharf/secrets is writable
# by the service user for that).

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
RUN node node_modules/typescript/bin/tsc -b services/core
RUN pnpm --filter @wharf/core deploy --prod --prefer-offline --ignore-scripts /out \
 && rm -f /out/pnpm-lock.yaml /out/pnpm-workspace.yaml

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    CORE_HTTP_HOST=0.0.0.0 \
    CORE_HTTP_PORT=8081
WORKDIR /app
# Root-owned and read-only for the service user; only its data directory is writable.
COPY --from=build /out/ /app/
RUN mkdir -p /var/lib/wharf/secrets && chown node:node /var/lib/wharf/secrets && chmod 700 /var/lib/wharf/secrets
USER node
EXPOSE 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CORE_HTTP_PORT||8081)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
