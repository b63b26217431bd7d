#!/usr/bin/env bash
# Installs what the tests need beyond Java and Maven, only when missing: promtool (Debian's prometheus package)
# for the alert-rule tests and the Prometheus end-to-end check, headless Chromium for the report rendering test, and
# kubectl for the manifest test.
set -euo pipefail
need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# kubectl renders the Kubernetes manifests (kubectl kustomize) in DeploymentFilesTest.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
{ command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; } || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
fi
