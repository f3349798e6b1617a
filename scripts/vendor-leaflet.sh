#!/usr/bin/env bash
# Vendor Leaflet from the npm registry into static/vendor/leaflet/ (served by the app, never a CDN).
# The version is pinned here; run `make vendor-leaflet` after changing it and commit the result.
set -euo pipefail
VERSION="${LEAFLET_VERSION:-1.9.4}"
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "leaflet@${VERSION}" > /dev/null && tar xzf "leaflet-${VERSION}.tgz")
target=static/vendor/leaflet
rm -rf "$target"
mkdir -p "$target/images"
cp "$work/package/dist/leaflet.js" "$work/package/dist/leaflet.css" "$target/"
cp "$work/package/dist/images/"*.png "$target/images/"
cp "$work/package/LICENSE" "$target/LICENSE"
echo "leaflet@${VERSION}" > "$target/VERSION"
echo "Leaflet ${VERSION} copied into ${target}"
