#!/usr/bin/env bash
# The test command's last words: Scripts/lib/test-summary.sh LOGS
# Reads what Scripts/test.sh kept in LOGS (a file `phases` with "name status seconds" per phase,
# and each phase's output as <phase>.log), prints one short block — every phase with its time and
# result, every failed test with the phase it ran in and its first issue — and exits 0 only when
# every phase the command runs passed. A reader of a CI log finds a flake here without scrolling.
set -uo pipefail
logs="$1"
expected=(infra build parallel alone faults)

declare -A status seconds
while read -r name code took; do
  status[$name]=$code
  seconds[$name]=$took
done <"$logs/phases" 2>/dev/null

failed=0
passed_tests=0
failed_tests=0
echo
echo "================ test summary ================"
for name in "${expected[@]}"; do
  if [ -z "${status[$name]:-}" ]; then
    printf '  %-18s not run\n' "$name"
    failed=1
  elif [ "${status[$name]}" -eq 0 ]; then
    printf '  %-18s passed  %4ss\n' "$name" "${seconds[$name]}"
  else
    printf '  %-18s FAILED  %4ss  (exit %s; output in %s/%s.log)\n' "$name" "${seconds[$name]}" "${status[$name]}" "$logs" "$name"
    failed=1
  fi
  log="$logs/$name.log"
  [ -f "$log" ] || continue
  # Swift Testing's closing line of a run: "✔ Test run with 79 tests in 22 suites passed after …"
  # or "✘ Test run with 79 tests in 22 suites failed after … with 3 issues".
  run=$(grep -aE '^. Test run with [0-9]+ tests?' "$log" | tail -n 1)
  if [ -n "$run" ]; then
    count=$(sed -E 's/^. Test run with ([0-9]+) tests?.*/\1/' <<<"$run")
    # A failed test's closing line: ✘ Test "name" failed after … / ✘ Test name() failed after …
    mapfile -t names < <(grep -aE '^✘ Test .* failed after' "$log" | grep -avE '^✘ Test run with' |
      sed -E 's/^✘ Test (.*) (with [0-9]+ test cases? )?failed after.*/\1/' | sort -u)
    failed_tests=$((failed_tests + ${#names[@]}))
    passed_tests=$((passed_tests + count - ${#names[@]}))
    for test in "${names[@]}"; do
      [ -n "$test" ] || continue
      issue=$(grep -aF "✘ Test $test recorded an issue at " "$log" | head -n 1 | sed -E 's/.* recorded an issue at ([^ ]+): (.{0,160}).*/\1: \2/')
      printf '      ✘ [%s] %s\n' "$name" "$test"
      [ -n "$issue" ] && printf '          %s\n' "$issue"
    done
  elif [ "$name" = faults ]; then
    if [ "${status[$name]:-1}" -eq 0 ]; then passed_tests=$((passed_tests + 1)); else failed_tests=$((failed_tests + 1)); fi
    grep -aE '^\[faults\] (PASSED|FAILED)|lost|duplicate' "$log" | tail -n 3 | sed 's/^/      /'
  fi
done
echo "=============================================="
# The plain closing line CI reads: every test of every phase (the fault run counts as one).
echo "tests: $passed_tests passed, $failed_tests failed"
exit "$failed"
