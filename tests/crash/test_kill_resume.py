#!/usr/bin/python3
"""Crash safety of kmeans-train's checkpoints: SIGKILL at random moments.

A real gst-launch-1.0 training pipeline (one batch of B points per buffer,
a checkpoint after every step, so most of its time is spent writing
checkpoints) is killed with SIGKILL after a random delay, then restarted
on the same checkpoint-location, KILLS times in all (100 by default,
KMEANS_CRASH_KILLS to change).  Every restart must find a valid
checkpoint (magic, size, SHA-256, checked here independently of the C
code) holding the last completed step: never older than the last step the
killed run announced as checkpointed, never more than one step behind the
last step it trained, never going back.  The restarted run is fed the
points that follow that step (the input is deterministic per step: step s
has consumed the initialisation batch plus s batches), must resume at
step s + 1 without initialising again, and when a run finally completes
its checkpoint must be byte for byte the one an uninterrupted run writes.
When a run completes before its kill, the round ends and a new one starts
from scratch.  TAP output.
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

K, D, B = 8, 16, 64
STEPS = 1500
KILLS = int(os.environ.get("KMEANS_CRASH_KILLS", "100"))


class Trainer:
    def __init__(self, tap, work, points):
        self.tap = tap
        self.work = work
        self.points = points

    def command(self, points_file, checkpoint):
        return crashlib.train_command(points_file, D, B, checkpoint)

    def uninterrupted(self, name):
        """Trains on every point in one run; returns (checkpoint bytes,
        wall time) or (None, 0) after reporting why."""
        folder = os.path.join(self.work, name)
        os.mkdir(folder)
        checkpoint = os.path.join(folder, "model.ckpt")
        log = os.path.join(folder, "run.log")
        start = time.monotonic()
        status = crashlib.run(self.command(self.points, checkpoint), log)
        elapsed = time.monotonic() - start
        ok = status == 0 and os.path.exists(checkpoint)
        ck = crashlib.Checkpoint(checkpoint) if ok else None
        ok = ok and ck.valid and ck.step == STEPS
        self.tap.result(ok, "%s: an uninterrupted run trains %d steps in "
                        "%.2f s" % (name, STEPS, elapsed),
                        crashlib.read_text(log))
        return (ck.data, elapsed) if ok else (None, 0)


def resume_point(checkpoint):
    """(step, point offset) a restart resumes from; (None, 0) when there
    is no checkpoint yet."""
    if not os.path.exists(checkpoint):
        return None, 0
    step = crashlib.Checkpoint(checkpoint).step
    # Random init takes the first batch; step s then trained s batches.
    return step, (step + 1) * B


def write_tail(all_points, offset, path):
    with open(all_points, "rb") as src, open(path, "wb") as dst:
        src.seek(offset * D * 4)
        shutil.copyfileobj(src, dst)


def start(command, log):
    out = open(log, "wb")
    proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, env=crashlib.gst_env(),
                            start_new_session=True)
    out.close()
    return proc


def check_resumed(text, step):
    """What a run restarted from @step printed is consistent with it."""
    trained = crashlib.message_values(text, "kmeans-train", "step")
    problems = []
    if step is not None:
        if trained and trained[0] != step + 1:
            problems.append("first step trained is %d, not %d"
                            % (trained[0], step + 1))
        if "(element): kmeans-initialized, " in text:
            problems.append("initialised again instead of resuming")
    return problems


def check_after_kill(checkpoint, before, text):
    """The checkpoint a killed run left; returns (step, problems)."""
    announced = crashlib.message_values(text, "kmeans-checkpoint", "step")
    trained = crashlib.message_values(text, "kmeans-train", "step")
    problems = check_resumed(text, before)
    if not os.path.exists(checkpoint):
        if announced:
            problems.append("no checkpoint but step %d was announced"
                            % announced[-1])
        return None, problems
    ck = crashlib.Checkpoint(checkpoint)
    if not ck.valid:
        return None, problems + ["checkpoint invalid: " + ck.error]
    if before is not None and ck.step < before:
        problems.append("went back from step %d to %d" % (before, ck.step))
    if announced and ck.step < announced[-1]:
        problems.append("step %d announced but the file holds %d"
                        % (announced[-1], ck.step))
    if trained and ck.step < trained[-1] - 1:
        problems.append("trained to step %d but the file holds %d: more "
                        "than the steps since the last checkpoint lost"
                        % (trained[-1], ck.step))
    return ck.step, problems


def main():
    tap = crashlib.Tap()
    work = tempfile.mkdtemp(prefix="kmeans-crash-")
    try:
        all_points = os.path.join(work, "points.f32")
        crashlib.make_points(all_points, (STEPS + 1) * B, D, K, seed=3)
        trainer = Trainer(tap, work, all_points)

        reference, duration = trainer.uninterrupted("reference")
        again, _ = trainer.uninterrupted("reference-again")
        if reference is None or again is None:
            return tap.done()
        if not tap.result(reference == again, "two uninterrupted runs write "
                          "identical checkpoints (training is deterministic)"):
            return tap.done()

        rng = random.Random(20240611)
        kills = rounds = in_writes = 0
        while kills < KILLS:
            rounds += 1
            folder = os.path.join(work, "round-%d" % rounds)
            os.mkdir(folder)
            checkpoint = os.path.join(folder, "model.ckpt")
            tail = os.path.join(folder, "tail.f32")
            runs = temps = 0
            while True:
                step, offset = resume_point(checkpoint)
                write_tail(all_points, offset, tail)
                runs += 1
                log = os.path.join(folder, "run-%d.log" % runs)
                proc = start(trainer.command(tail, checkpoint), log)
                # The last run of the last round always completes.
                delay = rng.uniform(0.0, 0.8 * duration)
                try:
                    status = proc.wait(
                        timeout=None if kills >= KILLS else delay)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    kills += 1
                    # A new temporary file: killed inside a write.
                    if len(crashlib.temporary_files(folder)) > temps:
                        in_writes += 1
                        temps = len(crashlib.temporary_files(folder))
                    new_step, problems = check_after_kill(
                        checkpoint, step, crashlib.read_text(log))
                    tap.result(not problems, "kill %d (round %d, %.2f s in, "
                               "resumed from step %s): checkpoint valid at "
                               "step %s" % (kills, rounds, delay, step,
                                            new_step),
                               "\n".join(problems) + "\n"
                               + crashlib.read_text(log))
                    if problems:
                        return tap.done()
                    continue
                text = crashlib.read_text(log)
                problems = check_resumed(text, step)
                final = crashlib.Checkpoint(checkpoint)
                tap.result(status == 0 and not problems and final.valid
                           and final.data == reference,
                           "round %d: after %d runs the checkpoint equals "
                           "the uninterrupted run's (step %s)"
                           % (rounds, runs, final.step if final.valid
                              else "?"),
                           "exit status %s\n%s\n%s" % (status,
                                                       "\n".join(problems),
                                                       text))
                break
        tap.diag("%d kills in %d rounds; %d of them left a temporary file "
                 "behind, i.e. hit a checkpoint write between creating the "
                 "temporary file and renaming it" % (kills, rounds,
                                                      in_writes))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
