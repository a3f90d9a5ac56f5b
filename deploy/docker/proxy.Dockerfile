# syntax=docker/dockerfile:1
#
# Wharf proxy: the one public entry (/v2, /service/token, /api, /c, the portal).
# Build from the repository root (the context is the whole workspace, trimmed by
# .dockerignore):
#
#   docker build -f deploy/docker/proxy.Dockerfile -t wharf/proxy .
#
# Stage `build` installs the workspace from the lockfile, compiles the proxy and the
# packages it references with `tsc -b`, and writes a production-only copy of @wharf/proxy
# to /out with `pnpm deploy --prod`: its dist/, the dist/ of each workspace package it
# depends on (copied in, not linked) and its production dependencies. The runtime stage
# holds that copy only.
#
# Configuration: environment variables, see services/proxy/src/config.ts. Plain HTTP on
# 8080; with PROXY_TLS_CERT_FILE and PROXY_TLS_KEY_FILE it serves HTTPS on 8443 and the
# HTTP port only redirects (the health check follows the same switch).

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
RUN node node_modules/typescript/bin/tsc -b services/proxy
RUN pnpm --filter @wharf/proxy deploy --prod --prefer-offline --ignore-scripts /out \
 && rm -f /out/pnpm-lock.yaml /out/pnpm-workspace.yaml

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PROXY_HTTP_HOST=0.0.0.0 \
    PROXY_HTTP_PORT=8080 \
    PROXY_HTTPS_PORT=8443
WORKDIR /app
# Root-owned and read-only for the service user.
COPY --from=build /out/ /app/
USER node
EXPOSE 8080 8443
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const e=process.env,t=!!e.PROXY_TLS_CERT_FILE;require(t?'https':'http').get({host:'127.0.0.1',port:t?e.PROXY_HTTPS_PORT||8443:e.PROXY_HTTP_PORT||8080,path:'/readyz',rejectUnauthorized:false,timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
# The V8 options of tools/launcher/src/node-options.ts (streamed buffers counted in the
# heap's limit make full collections rarer).
CMD ["node", "--external-memory-accounted-in-global-limit", "dist/main.js"]
