# ngx_cerebro: Debian's nginx with the module, as `make run` starts it.
# Both stages install their packages with scripts/setup.sh, so the image
# holds exactly what a developer's machine holds.

FROM debian:bookworm-slim AS build
WORKDIR /src
COPY scripts/setup.sh scripts/setup.sh
RUN scripts/setup.sh build
COPY . .
RUN make module cli

FROM debian:bookworm-slim
WORKDIR /opt/cerebro
COPY scripts/setup.sh scripts/setup.sh
RUN scripts/setup.sh runtime && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/nginx/ngx_cerebro_module.so \
     /usr/lib/nginx/modules/ngx_cerebro_module.so
# the operator tool: `docker exec <container> cerebro doctor`
COPY --from=build /src/build/cli/cerebro /usr/local/bin/cerebro
COPY conf conf
COPY scripts scripts

ENV HOST=0.0.0.0 \
    PORT=8000 \
    CEREBRO_MODULE=/usr/lib/nginx/modules/ngx_cerebro_module.so \
    CEREBRO_PREFIX=/var/lib/cerebro \
    CEREBRO_ACCESS_LOG=/dev/stdout
# The embedded store and the outbox live here: keep it on a volume.
VOLUME /var/lib/cerebro
EXPOSE 8000

# Asks the address nginx listens on (HOST): a wildcard is asked on its
# loopback, an IPv6 address in brackets.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD h="${HOST:-127.0.0.1}"; \
        case "$h" in 0.0.0.0) h=127.0.0.1 ;; ::) h='[::1]' ;; \
                     *:*) h="[$h]" ;; esac; \
        curl -fsS "http://$h:${PORT:-8000}/health" || exit 1

# nginx's graceful stop: finish the requests in flight, then exit.
STOPSIGNAL SIGQUIT
CMD ["scripts/run"]
