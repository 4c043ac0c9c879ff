#!/bin/sh
# CMake compiler launcher for nvcc: runs the compile command given as arguments and keeps its
# diagnostics, the ptxas resource report (-Xptxas -v) among them, in <object>.ptxas.txt; the
# report's info lines stay out of the build log, everything else is passed on to stderr.
object=""
previous=""
for argument in "$@"; do
  [ "$previous" = "-o" ] && object="$argument"
  previous="$argument"
done
log="${object:-nvcc}.ptxas.txt"
"$@" 2>"$log"
status=$?
grep -v -e '^ptxas info' -e '^    [0-9]* bytes stack frame' "$log" >&2
exit $status
