#!/usr/bin/env bash
# Runs the test suite. Store tests run on SQLite always, and on PostgreSQL when COHORT_TEST_POSTGRES_URL is set
# or a server accepts connections on 127.0.0.1:5432 (database "test", user postgres, trust auth).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${COHORT_TEST_POSTGRES_URL:-}" ] && command -v pg_isready >/dev/null 2>&1 \
   && pg_isready -h 127.0.0.1 -p 5432 -q; then
  export COHORT_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:5432/test"
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
