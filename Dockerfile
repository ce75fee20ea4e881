# One image for every Bosun role (server, worker, beat, flower): multi-stage, non-root,
# pinned kubectl (with its embedded kustomize) and helm taken from the same PyPI package the tests use.
FROM python:3.11-slim AS build
WORKDIR /src
RUN apt-get update && apt-get install -y --no-install-recommends git gcc && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY gitops gitops
COPY workers workers
COPY scheduler scheduler
COPY kubesim kubesim
COPY bosun bosun
COPY bench bench
COPY scripts/install_tools.py scripts/install_tools.py
RUN python -m venv /opt/bosun && /opt/bosun/bin/pip install --no-cache-dir . \
 && /opt/bosun/bin/python scripts/install_tools.py && mkdir -p /opt/tools && cp .tools/bin/* /opt/tools/

FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends git openssh-client tini \
 && rm -rf /var/lib/apt/lists/* && useradd --uid 10001 --create-home bosun
COPY --from=build /opt/bosun /opt/bosun
COPY --from=build /opt/tools /usr/local/bin
ENV PATH=/opt/bosun/bin:$PATH BOSUN_GIT_CACHE_DIR=/home/bosun/cache/git PYTHONUNBUFFERED=1
USER 10001
WORKDIR /home/bosun
ENTRYPOINT ["tini", "--"]
CMD ["bosun", "--help"]
