# syntax=docker/dockerfile:1
#
# Wharf adapter: the only service that talks to foreign registries (replication adapters,
# the image copy engine); the image also holds the wharf-sync CLI (node dist/cli/wharf-sync.js).
# Build from the repository root (the context is the whole workspace, trimmed by
# .dockerignore):
#
#   docker build -f deploy/docker/adapter.Dockerfile -t wharf/adapter .
#
# Stage `build` installs the workspace from the lockfile, compiles the adapter and the
# packages it references with `tsc -b`, and writes a production-only copy of
# @wharf/adapter to /out with `pnpm deploy --prod`: its dist/, the dist/ of each workspace package
# it depends on (copied in, not linked) and its production dependencies; nothing else
# (each package.json's `files` says what ships). The runtime stage holds that copy only.
#
# Configuration: environment variables, see services/adapter/src/config.ts. Required:
# ADAPTER_SECRET (the suite's shared secret). It keeps no state: no writable directory.

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
RUN node node_modules/typescript/bin/tsc -b services/adapter
RUN pnpm --filter @wharf/adapter deploy --prod --prefer-offline --ignore-scripts /out \
 && rm -f /out/pnpm-lock.yaml /out/pnpm-workspace.yaml

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ADAPTER_HTTP_HOST=0.0.0.0 \
    ADAPTER_HTTP_PORT=8083
WORKDIR /app
# Root-owned and read-only for the service user.
COPY --from=build /out/ /app/
USER node
EXPOSE 8083
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.ADAPTER_HTTP_PORT||8083)+'/readyz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
