# kplex: one Node.js process serving every tenant. Build: docker build -t kplex .
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles its native binding when no prebuilt one fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production KPLEX_BIND_ADDRESS=0.0.0.0 KPLEX_DATA_DIR=/var/lib/kplex
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY storage ./storage
USER node
EXPOSE 9443
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
