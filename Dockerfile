# The Weft image: every pod of a job runs `weft actor ...` from it (see deploy/k8s and
# `weft deploy render`). TypeScript runs through tsx (bin/weft.js without dist/), so there is no build stage.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first: this layer is reused while only the sources change. --ignore-scripts skips
# `prepare` (the dist/ build needs TypeScript, a dev dependency), so the image runs the sources.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY . .
RUN chmod +x bin/weft.js \
  && ln -s /app/bin/weft.js /usr/local/bin/weft \
  && mkdir -p data runs \
  && chown node:node data runs

# Relative paths in job specs (data/..., runs/...) resolve under /app, where a job's
# cluster.dataClaim is mounted.
USER node
EXPOSE 9464
ENTRYPOINT ["weft"]
CMD ["--help"]
