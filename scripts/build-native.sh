#!/usr/bin/env bash
# Rebuild the native extensions into the editable install. Serialised with a lock so that
# two builds never share build/ at once.
set -euo pipefail
cd "$(dirname "$0")/.."
exec flock /tmp/flowboard-build.lock python -m pip install -q --no-build-isolation --no-deps -e . "$@"
