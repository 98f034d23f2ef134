#!/usr/bin/env bash
# Runs every fuzz target of the module (func FuzzXxx in a _test.go file) for FUZZTIME each
# (default 8s), one target at a time: plain `go test` only replays their seeds. A failure names
# the target and the input that broke it, which go test keeps under the package's
# testdata/fuzz/<target>/; commit that file with the fix, as a seed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
fuzztime="${FUZZTIME:-8s}"
start=$SECONDS
ran=0
failures=()

# Only packages whose tests mention a fuzz function are compiled to list their targets.
while read -r pkg dir files; do
	[ -n "$files" ] || continue
	(cd "$dir" && grep -qs '^func Fuzz' $files) || continue
	if ! targets=$(go test -list '^Fuzz' "$pkg"); then
		echo "$targets"
		failures+=("$pkg: cannot list its fuzz targets")
		continue
	fi
	for target in $(grep '^Fuzz' <<<"$targets"); do
		echo "fuzz: $pkg $target for $fuzztime"
		ran=$((ran + 1))
		if out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
			continue
		fi
		echo "$out"
		# Go's fuzz coordinator can report its own -fuzztime deadline as a failure, with no
		# failing input (go.dev/issue/75804, fixed in Go 1.27): not a finding.
		if ! grep -q 'Failing input written' <<<"$out" && grep -qx '    context deadline exceeded' <<<"$out"; then
			echo "fuzz: $pkg $target: stopped by Go's fuzztime deadline race (go.dev/issue/75804), no failing input"
			continue
		fi
		crasher=$(grep -o "testdata/fuzz/${target}/[A-Za-z0-9_.-]*" <<<"$out" | tail -n 1)
		if [ -n "$crasher" ]; then
			failures+=("$pkg $target: fails on the input in $dir/$crasher (re-run: go test -run '${target}/$(basename "$crasher")' $pkg)")
		else
			failures+=("$pkg $target: fails on one of its seeds or does not build (see above)")
		fi
	done
done < <(go list -f '{{.ImportPath}} {{.Dir}} {{join .TestGoFiles " "}} {{join .XTestGoFiles " "}}' ./...)

echo "fuzz: $ran targets in $((SECONDS - start))s"
if [ "$ran" -eq 0 ]; then
	echo "fuzz: FAIL: no fuzz target found" >&2
	exit 1
fi
if [ "${#failures[@]}" -gt 0 ]; then
	echo "fuzz: FAIL:" >&2
	printf '  %s\n' "${failures[@]}" >&2
	exit 1
fi
echo "fuzz: ok"
