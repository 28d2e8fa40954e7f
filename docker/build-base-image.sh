#!/usr/bin/env bash
# Builds a local stand-in for the public base image of docker/Dockerfile (eclipse-temurin:25-jre)
# where no registry is reachable (CI): a minimal Debian root filesystem (debootstrap) plus a Java
# runtime jlinked from the local JDK 25, laid out like the real image (/opt/java/openjdk, JAVA_HOME,
# PATH), imported into the Docker engine under the public name. `docker build -f docker/Dockerfile .`
# then uses it without pulling, so CI builds the very Dockerfile users build.
#
#   docker/build-base-image.sh [--force]     needs root, debootstrap and a running Docker engine
#
# Environment: QUIVER_BASE_IMAGE (default eclipse-temurin:25-jre), JDK_HOME (default
# /usr/lib/jvm/temurin-25-jdk-amd64), DEBIAN_MIRROR (default http://deb.debian.org/debian).
# An existing image of that name is kept unless --force is given.
set -euo pipefail

IMAGE="${QUIVER_BASE_IMAGE:-eclipse-temurin:25-jre}"
JDK="${JDK_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
# What a JRE leaves out of the JDK: compilers, packaging, shells and other development tools.
DEVELOPMENT_MODULES=(jdk.compiler jdk.editpad jdk.graal.compiler jdk.graal.compiler.management jdk.hotspot.agent
  jdk.internal.ed jdk.internal.le jdk.internal.opt jdk.internal.vm.ci jdk.jartool jdk.javadoc jdk.jconsole jdk.jdeps
  jdk.jlink jdk.jpackage jdk.jshell jdk.jstatd)

log() { echo "build-base-image: $*" >&2; }

if [[ "${1:-}" != "--force" ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE already exists; nothing to do (--force rebuilds it)"
  exit 0
fi
if [[ "$(id -u)" != 0 ]]; then
  log "debootstrap needs root"
  exit 1
fi
if [[ ! -x "$JDK/bin/jlink" ]]; then
  log "no JDK with jlink at $JDK (set JDK_HOME)"
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap \
    || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap; }
fi

started=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

log "debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase "$SUITE" "$rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# Documentation, man pages, translations and package caches have no use in a runtime image.
rm -rf "$rootfs"/usr/share/{doc,man,info,locale}/* "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/*

# The JDK 25 here has no jmods: jlink links from the run-time image itself (JEP 493).
modules=()
while read -r module; do
  [[ " ${DEVELOPMENT_MODULES[*]} " == *" $module "* ]] || modules+=("$module")
done < <("$JDK/bin/java" --list-modules | sed 's/@.*//')
log "jlink ${#modules[@]} modules from $JDK into /opt/java/openjdk"
mkdir -p "$rootfs/opt/java"
"$JDK/bin/jlink" --add-modules "$(IFS=,; echo "${modules[*]}")" --output "$rootfs/opt/java/openjdk" \
  --strip-debug --no-man-pages --no-header-files --compress=zip-6 --generate-cds-archive
version="$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.runtime.version/ {print $2}')"

log "importing as $IMAGE"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV JAVA_HOME=/opt/java/openjdk' \
  --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV JAVA_VERSION=jdk-${version}" \
  --change 'CMD ["java", "--version"]' \
  --message "local stand-in for $IMAGE: Debian $SUITE minbase + jlinked $version" \
  - "$IMAGE" >/dev/null
log "$IMAGE built in $((SECONDS - started)) s ($(docker image inspect --format '{{.Size}}' "$IMAGE" \
  | awk '{printf "%.0f MB", $1 / 1e6}'))"
