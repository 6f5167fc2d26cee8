#!/usr/bin/python3
"""Crash safety of km_trainer_save() itself: SIGKILL in the middle of
writes.

ckpt-writer (the core API, no GStreamer) trains and saves after every
step, so it spends nearly all its time writing checkpoints; it is killed
after a random delay and restarted, KILLS times (200 by default,
KMEANS_CRASH_KILLS to change).  After every kill the checkpoint must be
valid (checked here from schemas/checkpoint.md), hold at least the last
step the writer announced as saved, never go back, and a restart must
load it; a run that completes must leave the very bytes of an
uninterrupted run.  TAP output.

    test_kill_save.py PATH-TO-ckpt-writer
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashlib  # noqa: E402

STEPS = 300
KILLS = int(os.environ.get("KMEANS_CRASH_KILLS", "200"))


def run_to_end(writer, checkpoint):
    done = subprocess.run([writer, checkpoint, str(STEPS)],
                          capture_output=True, timeout=crashlib.COMMAND_TIMEOUT)
    return done.returncode, (done.stdout + done.stderr).decode()


def main():
    writer = sys.argv[1]
    tap = crashlib.Tap()
    work = tempfile.mkdtemp(prefix="kmeans-kill-save-")
    try:
        reference = os.path.join(work, "reference.ckpt")
        start = time.monotonic()
        status, output = run_to_end(writer, reference)
        duration = time.monotonic() - start
        ref = crashlib.Checkpoint(reference) if status == 0 else None
        if not tap.result(ref is not None and ref.valid and ref.step == STEPS,
                          "an uninterrupted writer saves %d steps in %.2f s"
                          % (STEPS, duration), output):
            return tap.done()

        rng = random.Random(7)
        kills = rounds = in_writes = 0
        while kills < KILLS:
            rounds += 1
            folder = os.path.join(work, "round-%d" % rounds)
            os.mkdir(folder)
            checkpoint = os.path.join(folder, "model.ckpt")
            step, temps = None, 0
            while True:
                proc = subprocess.Popen([writer, checkpoint, str(STEPS)],
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
                # Kill while training, not while the process starts.
                first = proc.stdout.readline()
                delay = rng.uniform(0.0, 0.5 * duration)
                try:
                    out, _ = proc.communicate(
                        timeout=None if kills >= KILLS else delay)
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    out, _ = proc.communicate()
                else:
                    final = crashlib.Checkpoint(checkpoint)
                    tap.result(proc.returncode == 0 and final.valid
                               and final.data == ref.data,
                               "round %d: the completed run's checkpoint "
                               "equals the uninterrupted one" % rounds,
                               (first + out).decode())
                    break
                kills += 1
                text = (first + out).decode()
                saved = [int(line.split()[1]) for line in text.splitlines()
                         if line.startswith("saved ")]
                problems = []
                if "cannot resume" in text:
                    problems.append("the restart could not load the "
                                    "checkpoint")
                now = len(crashlib.temporary_files(folder))
                if now > temps:
                    in_writes += 1
                    temps = now
                if os.path.exists(checkpoint):
                    ck = crashlib.Checkpoint(checkpoint)
                    if not ck.valid:
                        problems.append("invalid checkpoint: " + ck.error)
                    else:
                        if saved and ck.step < saved[-1]:
                            problems.append("step %d announced, file holds "
                                            "%d" % (saved[-1], ck.step))
                        if step is not None and ck.step < step:
                            problems.append("went back from %d to %d"
                                            % (step, ck.step))
                        step = ck.step
                elif saved:
                    problems.append("no checkpoint after 'saved %d'"
                                    % saved[-1])
                if problems:
                    tap.result(False, "kill %d (round %d)" % (kills, rounds),
                               "\n".join(problems) + "\n" + text)
                    return tap.done()
        tap.result(True, "%d kills in %d rounds: every checkpoint valid, "
                   "none older than the last announced save, none going "
                   "back" % (kills, rounds))
        tap.diag("%d of the %d kills left a temporary file, i.e. hit a "
                 "write between creating the temporary file and renaming "
                 "it" % (in_writes, kills))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
