#!/usr/bin/env bash
# Copy the front-end packages installed from the npm registry into static/vendor, so the pages
# never load anything from a CDN (government intranets are offline).
set -euo pipefail
cd "$(dirname "$0")/.."
nm=node_modules
out=static/vendor
rm -rf "$out"
mkdir -p "$out/bootstrap" "$out/bootstrap-icons/fonts" "$out/htmx" "$out/echarts" "$out/sortablejs"
cp "$nm/bootstrap/dist/css/bootstrap.min.css" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" "$out/bootstrap/"
# Their sourceMappingURL comments make collectstatic's manifest storage require the maps.
cp "$nm/bootstrap/dist/css/bootstrap.min.css.map" "$nm/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$out/bootstrap/"
cp "$nm/bootstrap-icons/font/bootstrap-icons.min.css" "$out/bootstrap-icons/"
cp "$nm/bootstrap-icons/font/fonts/"bootstrap-icons.woff* "$out/bootstrap-icons/fonts/"
cp "$nm/htmx.org/dist/htmx.min.js" "$out/htmx/"
cp "$nm/echarts/dist/echarts.min.js" "$out/echarts/"
cp "$nm/sortablejs/Sortable.min.js" "$out/sortablejs/"
echo "front-end assets copied to $out"
