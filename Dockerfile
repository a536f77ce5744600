# Production worker image, built in two stages (docs/deploy.md):
#   build    all dependencies, `npm run build` → dist/ (compiled JavaScript + prebuilt workflow bundle)
#   runtime  production dependencies only, dist/, plain `node`, non-root; no TypeScript, no tsx, no harness.
# docker-compose.yml also uses the build stage (target `tools`) for its one-shot init and fleet services.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true ENV_FILES=off
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM build AS tools
USER node

FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true ENV_FILES=off
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/src/worker.js"]
