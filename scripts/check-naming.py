#!/usr/bin/python3
"""Checks the naming conventions of ARCHITECTURE.md ("Conventions").

- In an element file (a .c that defines a GType with G_DEFINE_TYPE...),
  GObject/GStreamer entry points are gst_<element>_...: class and instance
  init, *_get_type, and functions handed to a vfunc, a pad,
  GST_DEBUG_FUNCPTR or G_CALLBACK.  Every other static function is a
  helper with a bare name.
- Every .c under elements/ that logs with the GST_* macros defines
  GST_CAT_DEFAULT (nothing logs to the default category), and debug
  category variables are named gst_..._debug.

  scripts/check-naming.py [FILE.c...]    (default: every .c under elements/)

Prints each violation and a summary line; exits 1 if there is any.
"""
import glob
import re
import sys

LOGGING = re.compile(r'\bGST_(LOG|DEBUG|INFO|WARNING|FIXME|TRACE|ERROR)'
                     r'(_OBJECT)?\s*\(')


def element_prefix(src):
    m = re.search(r'G_DEFINE_(?:ABSTRACT_)?TYPE[A-Z_]*\s*\(\s*\w+\s*,\s*(\w+)'
                  r'\s*,', src)
    return m.group(1) if m else None


def is_static(src, name):
    return re.search(r'^static\b[^;{]*\n?' + re.escape(name) + r' \(', src,
                     re.M) is not None


def is_entry_point(src, name, prefix):
    return (name.endswith('_get_type') or name.endswith('_class_init')
            or name == prefix + '_init'
            or re.search(r'(GST_DEBUG_FUNCPTR|G_CALLBACK)\s*\(\s*'
                         + re.escape(name) + r'\b', src) is not None
            or re.search(r'(class|klass)\w*->\w+\s*=\s*' + re.escape(name)
                         + r'\b', src) is not None)


def check_names(path, src):
    prefix = element_prefix(src)
    if prefix is None:
        return []
    problems = []
    for name in sorted(set(re.findall(r'^(\w+) \(', src, re.M))):
        if not is_static(src, name):
            continue
        prefixed = name.startswith(prefix + '_')
        if is_entry_point(src, name, prefix):
            if not prefixed:
                problems.append("%s: entry point %s is not %s_..." %
                                (path, name, prefix))
        elif prefixed:
            problems.append("%s: helper %s has the element prefix; name "
                            "helpers bare" % (path, name))
    return problems


def check_logging(path, src):
    problems = []
    if LOGGING.search(src) and '#define GST_CAT_DEFAULT' not in src:
        problems.append("%s: logs without a GST_CAT_DEFAULT (the default "
                        "category)" % path)
    for var in re.findall(r'GST_DEBUG_CATEGORY(?:_STATIC)?\s*\(\s*(\w+)\s*\)',
                          src):
        if not (var.startswith('gst_') and var.endswith('_debug')):
            problems.append("%s: debug category variable %s is not "
                            "gst_..._debug" % (path, var))
    return problems


def main():
    if sys.argv[1:2] in (["-h"], ["--help"]):
        print(__doc__.strip())
        return 0
    files = sys.argv[1:] or sorted(glob.glob('elements/**/*.c',
                                             recursive=True))
    problems = []
    for path in files:
        with open(path) as f:
            src = f.read()
        problems += check_names(path, src) + check_logging(path, src)
    for p in problems:
        print(p)
    print("check-naming: %d problem%s in %d .c files" %
          (len(problems), "" if len(problems) == 1 else "s", len(files)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
