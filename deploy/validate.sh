#!/usr/bin/env bash
# Offline checks of the Kubernetes manifests and of the repository's YAML and shell scripts; no
# cluster needed. From anywhere: deploy/validate.sh
#
#   1. yamllint (settings: deploy/.yamllint) on the YAML under deploy/ and docker/;
#   2. shellcheck on every shell script of the repository (dev, .ci/run, docker/*.sh, deploy/*.sh,
#      and any other file starting with a sh/bash shebang);
#   3. npm ci in deploy/validate, then node validate.mjs: renders the Kustomize base and overlays,
#      validates every object against the Kubernetes schemas (npm kubernetes-models) and checks
#      probes, security context, resources, selectors, ports and the server's settings; then
#      node validate.mjs --self-test: breaks copies of the manifests on purpose and expects each
#      breakage to be caught.
#
# Needs shellcheck, yamllint, node (18 or newer) and npm on the PATH; on Debian:
#   apt-get install -y shellcheck yamllint nodejs npm
# It installs nothing itself but the npm packages of deploy/validate (into
# deploy/validate/node_modules, git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'validate: %s\n' "$*"; }

missing=()
for tool in shellcheck yamllint node npm; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
  say "not installed: ${missing[*]} (Debian: apt-get install -y shellcheck yamllint nodejs npm)" >&2
  exit 2
fi

# Files under the repository, leaving out build output, dependencies and Git's own.
repo_files() {
  find . \( -name .git -o -name node_modules -o -name target -o -name .pytest_cache -o -path ./data \) -prune \
    -o -type f "$@" -print | sed 's|^\./||' | sort
}

mapfile -t yaml_files < <(repo_files \( -path './deploy/*' -o -path './docker/*' \) \( -name '*.yaml' -o -name '*.yml' \))
yaml_files+=(deploy/.yamllint)
say "yamllint: ${#yaml_files[@]} files"
yamllint --strict -c deploy/.yamllint "${yaml_files[@]}"

mapfile -t candidates < <(repo_files \( -name '*.sh' -o -name '*.bash' -o -perm -u+x \))
shell_scripts=()
for file in "${candidates[@]}"; do
  if [[ "$file" == *.sh || "$file" == *.bash ]] || head -n 1 "$file" | grep -qE '^#!.*[/ ](ba|da|k)?sh([[:space:]]|$)'; then
    shell_scripts+=("$file")
  fi
done
say "shellcheck: ${shell_scripts[*]}"
shellcheck "${shell_scripts[@]}"

cd deploy/validate
say "npm ci (deploy/validate)"
npm ci --silent --no-audit --no-fund
node validate.mjs
node validate.mjs --self-test
