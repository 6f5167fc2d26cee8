#!/usr/bin/python3
"""Prints "N passed, N failed[, N skipped]" for a meson test log.

Usage: summarize-tests.py TESTLOG.json

Shared by scripts/test.sh and scripts/test-sanitizers.sh.  The log holds one
JSON object per test; OK and EXPECTEDFAIL pass, SKIP is skipped, the rest
(FAIL, TIMEOUT, ERROR, UNEXPECTEDPASS) fail.  Exits 1 when a test failed.
"""
import json
import sys

if sys.argv[1:2] in (["-h"], ["--help"]):
    print(__doc__.strip())
    sys.exit(0)
if len(sys.argv) != 2:
    sys.exit(__doc__.strip())

passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        if not line.strip():
            continue
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
summary = "%d passed, %d failed" % (passed, failed)
if skipped:
    summary += ", %d skipped" % skipped
print(summary)
sys.exit(1 if failed else 0)
