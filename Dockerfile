# The Weft image: every pod of a job runs `weft actor ...` from it (see deploy/k8s and
# `weft deploy render`). Two stages: the build stage compiles the TypeScript to dist/ with the dev
# dependencies; the runtime stage holds dist/, bin/, the deploy configs and the production
# dependencies only, and runs as the non-root `node` user (uid 1000) on a read-only root filesystem.
# Both stages copy by allow-list. test/deploy/image-tree.test.ts replays these steps and runs the
# result read-only; it knows the RUN commands used here (apt-get, npm ci, npm run build and
# build:native, test -f, mkdir, chown).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Weft's native kernels (native/, an N-API addon) are compiled in this stage, so it alone has a C++
# toolchain; the runtime stage copies the built addon and has none.
RUN apt-get update && apt-get install -y --no-install-recommends g++ make python3 && rm -rf /var/lib/apt/lists/*
# --ignore-scripts: `prepare` and `install` would build before the sources are here. No dependency
# needs a compiler (their native parts come prebuilt).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json index.ts ./
COPY actors actors
COPY bench bench
COPY cli cli
COPY deploy deploy
COPY graph-store graph-store
COPY kernels kernels
COPY runtime runtime
COPY native native
COPY scripts/build-native.mjs scripts/build-native.mjs
# The build script never fails an install; here a missing addon must fail the image.
RUN npm run build:native && test -f native/build/Release/weft_native.node
RUN npm run build

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Dependencies first: this layer is reused while only the sources change.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin bin
COPY deploy/grafana deploy/grafana
COPY deploy/nats deploy/nats
COPY deploy/prometheus/prometheus.yml deploy/prometheus/rules.yml deploy/prometheus/
COPY --from=build /src/dist dist
COPY --from=build /src/native/build/Release/weft_native.node native/build/Release/weft_native.node
# Mount points of the job's claim (data/, runs/); relative paths in job specs resolve under /app.
RUN mkdir -p data runs && chown node:node data runs
USER node
EXPOSE 9464
ENTRYPOINT ["node", "--max-semi-space-size=2", "/app/bin/weft.js"]
CMD ["--help"]
