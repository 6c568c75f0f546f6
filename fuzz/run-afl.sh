#!/usr/bin/env bash
# Coverage-guided fuzzing of every wire reader, the handshake and the nodes' frame handlers under AFL++.
# Usage: fuzz/run-afl.sh [seconds]   (default 600; findings land in fuzz/findings, crashes in fuzz/findings/default/crashes)
# Needs: apt-get install afl++; dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-600}"
out="$here/BitFusion.Fuzz/bin/Release/net10.0"
dotnet build "$here/BitFusion.Fuzz" -c Release -nologo -v quiet
rm -rf "$here/seeds" && dotnet "$out/BitFusion.Fuzz.dll" --seeds "$here/seeds"
# SharpFuzz rewrites the assemblies under test so AFL sees their branches (in a copy: the rewritten code only runs
# under AFL); the harness itself stays plain.
rm -rf "$here/instrumented" && cp -r "$out" "$here/instrumented"
for dll in BitFusion.Net.dll BitFusion.Core.dll; do "${SHARPFUZZ:-$HOME/.dotnet/tools/sharpfuzz}" "$here/instrumented/$dll"; done
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1
afl-fuzz -i "$here/seeds" -o "$here/findings" -t 10000 -m none -V "$seconds" -- dotnet "$here/instrumented/BitFusion.Fuzz.dll"
