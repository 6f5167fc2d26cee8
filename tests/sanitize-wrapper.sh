#!/bin/sh
# Runs one test of the 'sanitizers' test setup (tests/meson.build):
#   sanitize-wrapper.sh BUILD-ROOT TEST-COMMAND...
# Programs built here are instrumented, and their leaks are checked.  Any
# other test command (bash and python3 scripts, with the gst-launch-1.0
# they start) only hosts the instrumented plugin: interpreters do not free
# their heap at exit, so leak checking is off for them, and with it the
# slow unwinding that leak suppressions need (it makes a gst-launch-1.0
# run many times slower).  Address and undefined-behaviour errors stay
# fatal everywhere.
build_root="$1"
shift
case "$1" in
  "$build_root"/*) ;;
  *) ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:fast_unwind_on_malloc=1"
     export ASAN_OPTIONS ;;
esac
exec "$@"
