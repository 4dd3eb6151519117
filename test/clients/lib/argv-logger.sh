#!/bin/sh
# Debug wrapper for the runtime the client tests hand to containerd, podman and dockerd (used only
# when TSRUN_CLIENT_ARGV_LOG names a log file, see runtime.ts). Appends one line per invocation to
# the log: the pid, the working directory and the argv, each argument in single quotes; for
# `update ... -` (resources on stdin, as runc's update documents) the stdin JSON follows on a
# "stdin:" line. Then it execs the real runtime with the same argv, so the client sees no
# difference (the exec keeps the pid, the fds and the terminal).
#   argv-logger.sh LOG REAL_RUNTIME RUNTIME-ARGS...
# A wrapper script with the two first arguments baked in is what the client is given: conmon and
# containerd's shim clear or replace the environment, so the log path cannot come from env.
log=$1 real=$2
shift 2
quoted=""
for a in "$@"; do
  quoted="$quoted '$(printf '%s' "$a" | sed "s/'/'\\\\''/g")'"
done
printf '%s pid=%s cwd=%s argv=%s\n' "$(date +%H:%M:%S.%N | cut -c1-12)" "$$" "$(pwd)" "$quoted" >> "$log"
prev=""
case " $* " in
  *" update "*)
    # runc update reads the resources JSON from stdin when --resources is "-"; keep a copy.
    for a in "$@"; do
      if [ "$prev" = "--resources" ] || [ "$prev" = "-r" ]; then
        if [ "$a" = "-" ]; then
          # (a pipe, not an exec: the shell must hand the copy on; update's exit status is kept)
          stdin=$(cat)
          printf '  stdin: %s\n' "$stdin" >> "$log"
          printf '%s' "$stdin" | "$real" "$@"
          exit $?
        else
          printf '  resources file %s: %s\n' "$a" "$(cat "$a" 2>/dev/null)" >> "$log"
        fi
      fi
      prev=$a
    done
    ;;
  *" exec "*)
    # runc exec --process FILE: the process.json the client wrote (removed right after the call).
    for a in "$@"; do
      if [ "$prev" = "--process" ] || [ "$prev" = "-p" ]; then
        printf '  process file %s: %s\n' "$a" "$(tr -d '\n' < "$a" 2>/dev/null)" >> "$log"
      fi
      prev=$a
    done
    ;;
esac
exec "$real" "$@"
