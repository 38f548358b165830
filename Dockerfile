# syntax=docker/dockerfile:1
# service-proxy-exporter image: built with dev dependencies, run with production dependencies only,
# on a distroless Node.js base (no shell, no package manager) as a numeric non-root user.
#   docker build -t ghcr.io/service-proxy-exporter/service-proxy-exporter:0.1.0 .
# The steps below are executed for real (outside Docker) by test/deploy/docker-build.test.ts.

# --- build: compile TypeScript with the dev dependencies -------------------------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# src/ only: the demo and the rest of the test machinery (testkit/) stay out of the image
RUN npm run build

# --- prod-deps: production dependencies only ----------------------------------------------------
FROM node:22-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- runtime ------------------------------------------------------------------------------------
FROM gcr.io/distroless/nodejs22-debian12:nonroot AS runtime
ARG VERSION=0.1.0
# the git commit, for service_proxy_exporter_build_info: docker build --build-arg REVISION=$(git rev-parse --short=12 HEAD)
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://github.com/service-proxy-exporter/service-proxy-exporter" \
      org.opencontainers.image.title="service-proxy-exporter" \
      org.opencontainers.image.description="Prometheus exporter: which component load-balances Kubernetes Services, is it healthy, and does Service load-balancing work" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}"
# V8 heap (docs/deploy.md "Memory"): a 1 MiB semi-space keeps the young generation, where list
# pages are parsed and dropped, from growing to its 16 MiB default (3 x 16 MiB of RSS that V8 keeps);
# the old-space cap is a guard rail well above what 5,000 nodes need (docs/benchmarks.md) and
# below the manifests' memory limit, so V8 collects hard before the kernel kills the pod.
# MALLOC_ARENA_MAX=2: glibc gives every thread that allocates (V8's GC helpers, libuv's pool, the
# kubeconfig resolver worker) an arena of its own and keeps their freed memory; two arenas cut the
# settled RSS at 5,000 nodes by ~10 MB (docs/benchmarks.md).
# MALLOC_MMAP_THRESHOLD_=131072: a fixed threshold turns off glibc's dynamic one, which after the
# first multi-MB list page is freed rises to 32 MB (and the trim threshold to 64 MB), so the memory
# of every later page stayed in the heap instead of going back to the kernel: ~8 MB of settled RSS.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=1 --max-old-space-size=160" \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    SERVICE_PROXY_EXPORTER_REVISION=${REVISION}
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/dist ./dist
USER 65532:65532
EXPOSE 9808
ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/main.js"]
CMD ["serve"]
