#!/usr/bin/python3
"""kmeans-train's checkpoint file against a hostile file system, through
real gst-launch-1.0 runs.

- A new checkpoint is created owner-only (0600), whatever the umask.
- A symbolic link at checkpoint-location is read through (resuming from
  its target) but never written through: the write replaces the link
  itself, so a link planted in a shared folder cannot make the trainer
  overwrite (or create) the file it points to.
- A directory at checkpoint-location, a missing folder, a full disk
  (RLIMIT_FSIZE, and a full tmpfs when mounts are allowed) and a read-only
  location (a 0555 folder for an unprivileged user, and a read-only mount
  when mounts are allowed) each stop the pipeline with a clear error that
  names the file and the cause, and leave the previous checkpoint exactly
  as it was, with no temporary file behind.

What the machine does not allow (mounts without CAP_SYS_ADMIN, dropping
privileges without root) is skipped with the reason.  TAP output.
"""
import os
import resource
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashlib  # noqa: E402

K, D, B = 8, 16, 64
WRITE_ERROR = "Could not write the k-means checkpoint"
# A write that fails on the first buffer makes the error arrive before the
# pipeline has prerolled, and gst-launch-1.0 1.22 then sometimes hangs
# (so does `fakesrc ! identity error-after=1 ! fakesink`, about 1 run in
# 30).  Runs that must fail to write save every second step, so the
# first write comes after preroll.
AFTER_PREROLL = ("checkpoint-interval=2",)
RESUME_ERROR = "Could not resume from the checkpoint"
NOBODY = 65534


class Fixture:
    def __init__(self, tap, work):
        self.tap = tap
        self.work = work
        self.first = os.path.join(work, "first.f32")
        self.rest = os.path.join(work, "rest.f32")
        points = crashlib.make_points(os.path.join(work, "all.f32"),
                                      30 * B, D, K, seed=5)
        points[:10 * B].tofile(self.first)
        points[10 * B:].tofile(self.rest)
        self.runs = 0

    def train(self, points, checkpoint, wrapper=(), extra=(), **kwargs):
        """Runs a training; returns (exit status, output)."""
        self.runs += 1
        log = os.path.join(self.work, "run-%d.log" % self.runs)
        command = list(wrapper) + crashlib.train_command(points, D, B,
                                                         checkpoint, extra)
        status = crashlib.run(command, log, **kwargs)
        return status, crashlib.read_text(log)

    def folder(self, name, mode=0o755):
        path = os.path.join(self.work, name)
        os.mkdir(path)
        os.chmod(path, mode)
        return path

    def checkpoint_in(self, folder):
        """A valid checkpoint at step 9 in @folder, made by a run."""
        path = os.path.join(folder, "model.ckpt")
        status, output = self.train(self.first, path)
        if status != 0 or not crashlib.Checkpoint(path).valid:
            raise RuntimeError("cannot make a checkpoint:\n" + output)
        return path


def expect_write_refused(tap, what, status, output, checkpoint, before,
                         cause):
    """The run stopped on a write error naming @cause, and the previous
    checkpoint is intact with no temporary file left."""
    folder = os.path.dirname(checkpoint)
    problems = []
    if status != 1:
        problems.append("exit status %s, not 1" % status)
    if WRITE_ERROR not in output:
        problems.append("no \"%s\" error" % WRITE_ERROR)
    if cause not in output:
        problems.append("the error does not say \"%s\"" % cause)
    if crashlib.sha256_of(checkpoint) != before:
        problems.append("the previous checkpoint changed")
    if crashlib.temporary_files(folder):
        problems.append("temporary files left: %s"
                        % crashlib.temporary_files(folder))
    tap.result(not problems, what, "\n".join(problems) + "\n" + output)


def test_mode(tap, fx):
    for umask in (0o022, 0o000):
        folder = fx.folder("mode-%03o" % umask)
        path = os.path.join(folder, "model.ckpt")
        status, output = fx.train(fx.first, path,
                                  preexec_fn=lambda u=umask: os.umask(u))
        mode = stat.S_IMODE(os.stat(path).st_mode) if status == 0 else None
        tap.result(mode == 0o600, "umask %03o: the checkpoint is created "
                   "with mode 0600 (got %s)" % (umask, oct(mode or 0)),
                   output)


def test_symlinks(tap, fx):
    # A dangling link: the trainer starts afresh and replaces the link.
    folder = fx.folder("dangling")
    victim = os.path.join(fx.work, "victim")
    link = os.path.join(folder, "model.ckpt")
    os.symlink(victim, link)
    status, output = fx.train(fx.first, link)
    tap.result(status == 0 and not os.path.islink(link)
               and crashlib.Checkpoint(link).valid
               and not os.path.exists(victim),
               "a dangling symlink is replaced by the checkpoint; its "
               "target is not created", output)

    # A link to a checkpoint: resumed from, then replaced, target intact.
    target = fx.checkpoint_in(fx.folder("target"))
    before = crashlib.sha256_of(target)
    folder = fx.folder("link")
    link = os.path.join(folder, "model.ckpt")
    os.symlink(target, link)
    status, output = fx.train(fx.rest, link)
    steps = crashlib.message_values(output, "kmeans-train", "step")
    tap.result(status == 0 and steps[:1] == [10]
               and not os.path.islink(link)
               and crashlib.Checkpoint(link).step == 29
               and crashlib.sha256_of(target) == before,
               "a symlink to a checkpoint is resumed from (step 10 "
               "follows 9), then replaced by a file; the target is not "
               "written", output)

    # A link to some other file: refused at start, nothing written.
    secret = os.path.join(fx.work, "secret.txt")
    with open(secret, "w") as f:
        f.write("not a checkpoint\n")
    folder = fx.folder("link-other")
    link = os.path.join(folder, "model.ckpt")
    os.symlink(secret, link)
    status, output = fx.train(fx.first, link)
    with open(secret) as f:
        intact = f.read() == "not a checkpoint\n"
    tap.result(status not in (0, None) and RESUME_ERROR in output and intact
               and os.path.islink(link)
               and "damaged or not a checkpoint" in output,
               "a symlink to a file that is no checkpoint is an error at "
               "start; the file and the link are untouched", output)


def test_directory(tap, fx):
    folder = fx.folder("directory")
    path = os.path.join(folder, "model.ckpt")
    os.mkdir(path)
    with open(os.path.join(path, "keep"), "w") as f:
        f.write("x")
    status, output = fx.train(fx.first, path)
    tap.result(status not in (0, None) and RESUME_ERROR in output
               and "not a regular file" in output
               and os.listdir(path) == ["keep"],
               "a directory at checkpoint-location is an error at start "
               "(\"not a regular file\") and is left alone", output)


def test_missing_folder(tap, fx):
    path = os.path.join(fx.work, "no-such-folder", "model.ckpt")
    status, output = fx.train(fx.first, path)
    tap.result(status == 1 and WRITE_ERROR in output
               and "No such file or directory" in output
               and not os.path.exists(os.path.dirname(path)),
               "a checkpoint in a missing folder is a write error that "
               "says so", output)


def test_file_size_limit(tap, fx):
    folder = fx.folder("fsize")
    path = fx.checkpoint_in(folder)
    before = crashlib.sha256_of(path)
    limit = os.path.getsize(path) - 1

    def limit_file_size():
        # Writes past the limit fail with EFBIG instead of killing us.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    status, output = fx.train(fx.rest, path, extra=AFTER_PREROLL,
                              preexec_fn=limit_file_size)
    expect_write_refused(tap, "disk full (RLIMIT_FSIZE below the "
                         "checkpoint size): a write error, the previous "
                         "checkpoint intact", status, output, path, before,
                         "File too large")


def can_mount():
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return "needs root and unshare(1) for a private tmpfs mount"
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         "mount -t tmpfs -o size=4k tmpfs /mnt"], capture_output=True)
    if probe.returncode != 0:
        return "mount is not permitted here (%s)" % probe.stderr.decode(
            "utf-8", "replace").strip()
    return None


def in_private_mount(fx, folder, size, read_only, checkpoint):
    """Runs a resumed training with @folder replaced by a fresh tmpfs of
    @size bytes holding a copy of @checkpoint (then remounted read-only
    if asked), in a private mount namespace.  Returns (status, output,
    checkpoint digest before, after, names left in the folder)."""
    inner = os.path.join(folder, "model.ckpt")
    script = (
        'set -e\nsaved="$(mktemp)"\ncp "$CKPT" "$saved"\n'
        'mount -t tmpfs -o size=$SIZE,mode=0755 tmpfs "$DIR"\n'
        'cp "$saved" "$DIR/model.ckpt"\nrm -f "$saved"\n'
        'if [ "$RO" = 1 ]; then mount -o remount,ro "$DIR"; fi\n'
        'sha256sum "$DIR/model.ckpt" | cut -d" " -f1 > "$OUT.before"\n'
        'set +e\n' + " ".join(shlex.quote(a) for a in crashlib.train_command(
            fx.rest, D, B, inner, AFTER_PREROLL)) + ' > "$OUT.log" 2>&1\n'
        'echo $? > "$OUT.status"\n'
        'sha256sum "$DIR/model.ckpt" | cut -d" " -f1 > "$OUT.after"\n'
        'ls -A "$DIR" > "$OUT.names"\n')
    out = os.path.join(fx.work, "mount-%d" % fx.runs)
    fx.runs += 1
    env = crashlib.gst_env()
    env.update(CKPT=checkpoint, SIZE=str(size), DIR=folder, OUT=out,
               RO="1" if read_only else "0")
    proc = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                             "sh", "-c", script], env=env,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        proc.wait(timeout=crashlib.COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        # A hang is reported below as a missing exit status.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def read(suffix):
        path = out + suffix
        return crashlib.read_text(path).strip() if os.path.exists(
            path) else ""

    return (int(read(".status") or -1), read(".log"), read(".before"),
            read(".after"), read(".names").split())


def test_mounts(tap, fx):
    reason = can_mount()
    if reason:
        tap.skip("disk full (a full tmpfs)", reason)
        tap.skip("read-only file system (a read-only tmpfs)", reason)
        return
    source = fx.checkpoint_in(fx.folder("mount-source"))
    pages = -(-os.path.getsize(source) // 4096)
    for read_only, size, what, cause in (
            (False, pages * 4096, "disk full (a tmpfs with room for one "
             "checkpoint only)", "No space left on device"),
            (True, 1 << 20, "read-only file system (a read-only tmpfs)",
             "Read-only file system")):
        folder = fx.folder("mount-%s" % ("ro" if read_only else "full"))
        status, output, before, after, names = in_private_mount(
            fx, folder, size, read_only, source)
        problems = []
        if status != 1:
            problems.append("exit status %s, not 1" % status)
        if WRITE_ERROR not in output or cause not in output:
            problems.append("no write error saying \"%s\"" % cause)
        if not before or before != after:
            problems.append("the previous checkpoint changed (%s -> %s)"
                            % (before, after))
        if names != ["model.ckpt"]:
            problems.append("left in the folder: %s" % names)
        tap.result(not problems, what + ": a write error, the previous "
                   "checkpoint intact", "\n".join(problems) + "\n" + output)


def test_read_only_folder(tap, fx):
    folder = fx.folder("read-only")
    path = fx.checkpoint_in(folder)
    wrapper = ()
    if os.geteuid() == 0:
        # root ignores permissions: run the pipeline as nobody.
        if not shutil.which("setpriv"):
            tap.skip("read-only folder", "running as root without "
                     "setpriv(1) to drop privileges")
            return
        wrapper = ("setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                   "--clear-groups")
        os.chown(path, NOBODY, NOBODY)
        probe = subprocess.run(list(wrapper) + ["test", "-r", fx.rest, "-a",
                                                "-r", path, "-a", "-r",
                                                crashlib.PLUGIN_DIR],
                               env=crashlib.gst_env())
        if probe.returncode != 0:
            tap.skip("read-only folder", "user %d cannot read the build "
                     "and test files" % NOBODY)
            return
    before = crashlib.sha256_of(path)
    os.chmod(folder, 0o555)
    try:
        status, output = fx.train(fx.rest, path, wrapper=wrapper,
                                  extra=AFTER_PREROLL)
    finally:
        os.chmod(folder, 0o755)
    expect_write_refused(tap, "read-only folder (0555, unprivileged user): "
                         "a write error, the previous checkpoint intact",
                         status, output, path, before, "Permission denied")


def main():
    tap = crashlib.Tap()
    work = tempfile.mkdtemp(prefix="kmeans-ckpt-fs-")
    # Readable by the unprivileged user of the read-only test.
    os.chmod(work, 0o755)
    try:
        fx = Fixture(tap, work)
        for f in (fx.first, fx.rest):
            os.chmod(f, 0o644)
        test_mode(tap, fx)
        test_symlinks(tap, fx)
        test_directory(tap, fx)
        test_missing_folder(tap, fx)
        test_file_size_limit(tap, fx)
        test_mounts(tap, fx)
        test_read_only_folder(tap, fx)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tap.done()


if __name__ == "__main__":
    sys.exit(main())
