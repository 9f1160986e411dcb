#!/usr/bin/env bash
# Measures every benchmark and regenerates BENCHMARKS.md from the figures of this run.
# Takes a few minutes; run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in retry breaker breaker_paths keyed timeout tower reqwest; do
  cargo bench -p resilience-benches --bench "$bench"
done
python3 benches/report.py
