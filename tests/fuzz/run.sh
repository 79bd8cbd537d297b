#!/bin/sh
# make fuzz: run each harness for SECONDS on its seeds, regressions and
# working corpus; print executions per harness; fail on the first finding.
# Usage: run.sh SECONDS NAME...
# FUZZ_RUNS=N (environment) also stops each harness after N executions,
# whichever comes first: `make fuzz FUZZ_RUNS=10000000 FUZZ_SECONDS=7200`.
set -u
secs=$1
shift
runs=${FUZZ_RUNS:--1}
dir=tests/fuzz
mkdir -p "$dir/artifacts"
summary=""
status=0
for n in "$@"; do
	mkdir -p "$dir/corpus/$n"
	set -- "$dir/corpus/$n" "$dir/seeds/$n"
	[ -d "$dir/regressions/$n" ] && set -- "$@" "$dir/regressions/$n"
	log="$dir/artifacts/$n.log"
	echo "== fuzz_$n for ${secs}s"
	"./$dir/fuzz_$n" -max_total_time="$secs" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$dir/artifacts/$n-" \
		"$@" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	summary="$summary
fuzz_$n: ${execs:-?} executions (limits ${secs}s, ${runs} runs), coverage ${cov:-?}, exit $rc"
	if [ $rc -ne 0 ]; then
		tail -40 "$log"
		echo "fuzz_$n FAILED: input in $dir/artifacts/$n-*; after the fix keep it in $dir/regressions/$n/"
		status=1
		break
	fi
done
echo "$summary"
exit $status
