# syntax=docker/dockerfile:1
#
# Wharf registry-facade: the OCI Distribution Spec v1.1 registry over a blob storage driver.
# Build from the repository root (the context is the whole workspace, trimmed by
# .dockerignore):
#
#   docker build -f deploy/docker/registry-facade.Dockerfile -t wharf/registry-facade .
#
# Stage `build` installs the workspace from the lockfile, compiles registry-facade and the
# packages it references with `tsc -b`, and writes a production-only copy of
# @wharf/registry-facade to /out with `pnpm deploy --prod`: its dist/ and migrations/, the
# dist/ of each workspace package it depends on (copied in, not linked) and its production
# dependencies; nothing else (each package.json's `files` says what ships). The runtime
# stage holds that copy only.
#
# Configuration: environment variables, see services/registry-facade/src/config.ts. Blobs
# go to /var/lib/wharf/registry with the filesystem driver (mount a volume there).

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
RUN node node_modules/typescript/bin/tsc -b services/registry-facade
RUN pnpm --filter @wharf/registry-facade deploy --prod --prefer-offline --ignore-scripts /out \
 && rm -f /out/pnpm-lock.yaml /out/pnpm-workspace.yaml

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    REGISTRY_HTTP_HOST=0.0.0.0 \
    REGISTRY_HTTP_PORT=5000 \
    REGISTRY_STORAGE_FILESYSTEM_ROOT=/var/lib/wharf/registry
WORKDIR /app
# Root-owned and read-only for the service user; only the blob directory is writable.
COPY --from=build /out/ /app/
RUN mkdir -p /var/lib/wharf/registry && chown node:node /var/lib/wharf/registry
USER node
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.REGISTRY_HTTP_PORT||5000)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The V8 options of tools/launcher/src/node-options.ts (a 2 MiB young-generation
# semi-space keeps the RSS of large streamed transfers low; streamed buffers counted in
# the heap's limit make full collections rarer).
CMD ["node", "--max-semi-space-size=2", "--external-memory-accounted-in-global-limit", "dist/main.js"]
