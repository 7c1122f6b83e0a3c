#!/usr/bin/env bash
# Old name of install-test-packages.sh, kept for scripts that call it.
exec bash "$(dirname "$0")/install-test-packages.sh" "$@"
