# Fledge controller image. Node is the version the test suite runs on: package.json "engines" and
# the `node` devDependency that npm scripts run on.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install, not npm ci: see .ci/run. --ignore-scripts also skips the `node` devDependency's
# download of a second Node: the image's own Node is the same version.
RUN npm install --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY analysis ./analysis
RUN npm run build && npm prune --omit=dev

FROM node:24.21.0-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="fledge" \
      org.opencontainers.image.description="Progressive delivery controller for Kubernetes: canary, A/B and blue/green rollouts gated on metrics and webhooks" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# Numeric UID:GID (the image's `node` user): with runAsNonRoot the kubelet can only verify a
# numeric user is not root, and refuses to start an image whose USER is a name.
USER 1000:1000
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["controller"]
