# dnsbridge: build with the dev dependencies, run with the production ones only.
FROM node:20.18.1-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src src
COPY test test
COPY bench bench
RUN npx tsc -p . && npm prune --omit=dev --no-audit --no-fund

FROM node:20.18.1-bookworm-slim
# Port 53 without root: the node binary carries CAP_NET_BIND_SERVICE (and nothing else).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep "$(readlink -f /usr/local/bin/node)" \
 && apt-get purge -y --auto-remove libcap2-bin \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist/src dist/src
COPY examples examples
USER node
EXPOSE 53/udp 53/tcp 8053/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8053/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["serve", "--listen", "0.0.0.0:53", "--http", "0.0.0.0:8053", "--allow", "0.0.0.0/0,::/0", "--file", "/app/examples/services.yaml"]
