#!/usr/bin/env bash
# The one test entry (`npm test`, `npm test -- <vitest args>`): system tools, types, lint, tests.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-test-deps.sh
# --no: use the project's own tools, never fetch a same-named package from the registry
npx --no -- tsc -p tsconfig.json --noEmit
npx --no -- eslint .
npx --no -- vitest run "$@"
