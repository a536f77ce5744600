# Worker image (also used for the one-shot init, schedule and fleet services of docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true ENV_FILES=off
COPY package.json package-lock.json ./
# Dev dependencies are kept: tsx runs the TypeScript sources directly, and the fleet simulator lives in this image too.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY activities ./activities
COPY workflows ./workflows
COPY scripts ./scripts
USER node
CMD ["npx", "tsx", "src/worker.ts"]
