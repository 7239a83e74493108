# The worker, the CLI and the codec server in one image (the command picks the role).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY emulator ./emulator
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# The worker's malloc settings (src/worker.ts WORKER_MALLOC_ENV; README, "Worker memory"); glibc reads them at
# start. Harmless for the CLI and the codec server, which run from the same image.
ENV MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
COPY package.json ./
USER node
# The worker's V8 flags: src/worker.ts WORKER_NODE_FLAGS.
CMD ["node", "--max-semi-space-size=2", "--heap-growing-percent=20", "lib/src/worker.js"]
