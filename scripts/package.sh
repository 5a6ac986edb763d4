#!/bin/sh
# Packages the detector without deploying it: bundles each function (esbuild, AWS SDK included) and compiles the
# CloudFormation template. Needs no AWS account and no credentials. Arguments go to `serverless package`:
#   sh scripts/package.sh --stage prod --param threshold=30
# Output: .serverless/ (or the directory given with --package DIR); prints the zip sizes.
set -eu
cd "$(dirname "$0")/.."
export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off

out=.serverless
previous=
for arg in "$@"; do
  case "$arg" in
    --package=*) out=${arg#--package=} ;;
  esac
  if [ "$previous" = "--package" ]; then out=$arg; fi
  previous=$arg
done

node node_modules/osls/bin/serverless.js package "$@"
for zip in "$out"/*.zip; do
  [ -f "$zip" ] && printf '%s\t%s bytes\n' "$zip" "$(wc -c <"$zip" | tr -d ' ')"
done
