#!/usr/bin/python3
"""Writes every documented example launch line as a runnable script.

Sources: the `SECTION:element-*` doc block of each .c file under
elements/ (its `|[ ... ]|` examples) and the fenced code blocks of
README.md.

An element's `|[ ]|` block is a small shell session: continuation lines
ending in a backslash are joined, a leading "$ " prompt is dropped, and a
block counts when it holds at least one `gst-launch-1.0` command.  Its
commands start in order: one that writes a file (`> file`) runs to its end
first, as set-up; all the others run at the same time, so a sender and a
receiver documented in one block meet.  The block passes when every
`gst-launch-1.0` command exits 0; helper commands still running then (a
publisher, say) are stopped.  From README.md only the `gst-launch-1.0` commands are taken, each
on its own.  Absolute paths under /tmp/ are redirected into TMPDIR, so the
test writes nothing outside its scratch folder.

    extract_launch_lines.py SOURCE_ROOT OUT_DIR TMPDIR

creates OUT_DIR/NNN.sh (the commands), OUT_DIR/NNN.where (file:line) and
OUT_DIR/NNN.elements (the element factories its gst-launch-1.0 commands
name, one a line), so the test can skip a block whose elements this build
does not have.
"""
import glob
import os
import re
import shlex
import sys

SECTION_START = re.compile(r"^/\*\*\s*$")
SECTION_TAG = re.compile(r"^\s*\*\s*SECTION:element-")


def join_continuations(lines):
    """[(lineno, text)] -> [(lineno, command)] with backslash lines joined."""
    out, current, start = [], "", None
    for lineno, text in lines:
        text = text.rstrip()
        if start is None:
            start = lineno
        if text.endswith("\\"):
            current += text[:-1].rstrip() + " "
            continue
        current += text
        if current.strip():
            out.append((start, " ".join(current.split())))
        current, start = "", None
    if current.strip():
        out.append((start, " ".join(current.split())))
    return out


def shell_commands(lines):
    cmds = []
    for lineno, cmd in join_continuations(lines):
        if cmd.startswith("$ "):
            cmd = cmd[2:]
        cmds.append((lineno, cmd))
    return cmds


def launch_commands(lines):
    return [(n, c) for n, c in shell_commands(lines)
            if c.startswith("gst-launch-1.0")]


# A factory name as gst-launch-1.0 takes it; properties (a=b), caps
# (media/type,...), pad references (name. or name.pad) and bins never match.
ELEMENT_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
SHELL_OPERATORS = (">", "<", "|", "&", ";", "2>")


def launch_elements(cmd):
    """The element factory names a gst-launch-1.0 command uses, in order."""
    try:
        tokens = shlex.split(cmd)
    except ValueError:
        return []
    names = []
    for tok in tokens[1:]:
        if tok.startswith(SHELL_OPERATORS):
            break
        if ELEMENT_NAME.match(tok) and tok not in names:
            names.append(tok)
    return names


def writes_a_file(cmd):
    try:
        lexer = shlex.shlex(cmd, posix=True, punctuation_chars=True)
        return any(tok.startswith(">") for tok in lexer)
    except ValueError:
        return False


def section_blocks(path):
    """Yields (lineno, [commands]) for each |[ ]| block of the SECTION doc."""
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    i = 0
    while i < len(text):
        if SECTION_START.match(text[i]) and i + 1 < len(text) \
                and SECTION_TAG.match(text[i + 1]):
            break
        i += 1
    else:
        return
    block = None
    for j in range(i + 1, len(text)):
        line = text[j]
        if line.strip().startswith("*/"):
            break
        body = re.sub(r"^\s*\* ?", "", line)
        if block is None:
            if "|[" in body:
                block = []
                rest = body.split("|[", 1)[1]
                if rest.strip():
                    block.append((j + 1, rest))
        else:
            if "]|" in body:
                before = body.split("]|", 1)[0]
                if before.strip():
                    block.append((j + 1, before))
                cmds = shell_commands(block)
                if any(c.startswith("gst-launch-1.0") for _, c in cmds):
                    yield cmds[0][0], [c for _, c in cmds]
                block = None
            else:
                block.append((j + 1, body))


def readme_commands(path):
    """Yields (lineno, [command]) for each gst-launch-1.0 in a code fence."""
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    fence = None
    for j, line in enumerate(text):
        if line.strip().startswith("```"):
            if fence is None:
                fence = []
            else:
                for lineno, cmd in launch_commands(fence):
                    yield lineno, [cmd]
                fence = None
        elif fence is not None:
            fence.append((j + 1, line))


def write_script(out_dir, n, where, commands, tmpdir):
    commands = [c.replace("/tmp/", tmpdir.rstrip("/") + "/") for c in commands]
    with open(os.path.join(out_dir, "%03d.where" % n), "w") as f:
        f.write(where + "\n")
    elements = []
    for cmd in commands:
        if cmd.startswith("gst-launch-1.0"):
            elements += [e for e in launch_elements(cmd) if e not in elements]
    with open(os.path.join(out_dir, "%03d.elements" % n), "w") as f:
        f.write("".join(e + "\n" for e in elements))
    with open(os.path.join(out_dir, "%03d.sh" % n), "w") as f:
        # Stopped by the test's timeout: take the background commands along.
        f.write("set -u\n"
                "trap 'kill $(jobs -p) 2>/dev/null' EXIT\n"
                "trap 'exit 143' TERM INT\n"
                "status=0\n"
                "pids=()\n")
        for cmd in commands:
            if writes_a_file(cmd):
                f.write("%s || status=1\n" % cmd)
            elif cmd.startswith("gst-launch-1.0"):
                f.write("%s &\npids+=($!)\n" % cmd)
            else:
                f.write("%s &\n" % cmd)
        f.write('for pid in "${pids[@]}"; do wait "$pid" || status=1; done\n'
                "exit $status\n")


def main():
    root, out_dir, tmpdir = sys.argv[1:4]
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for path in sorted(glob.glob(os.path.join(root, "elements", "**", "*.c"),
                                 recursive=True)):
        for lineno, cmds in section_blocks(path):
            n += 1
            where = "%s:%d" % (os.path.relpath(path, root), lineno)
            write_script(out_dir, n, where, cmds, tmpdir)
    for lineno, cmds in readme_commands(os.path.join(root, "README.md")):
        n += 1
        write_script(out_dir, n, "README.md:%d" % lineno, cmds, tmpdir)
    print(n)


if __name__ == "__main__":
    main()
