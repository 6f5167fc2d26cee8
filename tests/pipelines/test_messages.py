#!/usr/bin/python3
"""docs/messages.md against the elements: every message and event, for real.

Runs real pipelines that make the elements post each element message and
send each in-band event that docs/messages.md documents, collects the
structures from the bus and from a pad probe, and checks that:

- every structure one of our elements posted or sent is documented, under
  its kind (element message or in-band event);
- every documented one was seen;
- each one's field set is the documented one (fields marked *(optional)*
  may be missing) and each field has the documented type (and, for a
  `GstValueArray` "of `T`", elements of type T);
- every element seen posting a message is named in its section.

The doc is parsed, not copied: a "### `name`" heading under "## Element
messages" or "## In-band events" opens a section, and its table rows
"| `field` | `type` | meaning |" are the fields.  An event section without
a table has the fields of the element message of the same name.

Environment: GST_PLUGIN_PATH_1_0 and KMEANS_SOURCE_ROOT, as
tests/pipelines/meson.build sets them.  A build without the kmzmq plugin
skips GstKmZmqSrcTimeout, saying so.
"""
import os
import re
import tempfile
import unittest

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GObject, Gst  # noqa: E402

SOURCE_ROOT = os.environ.get(
    "KMEANS_SOURCE_ROOT",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DOC = os.path.join(SOURCE_ROOT, "docs", "messages.md")
# Longest wait for any one message: a pipeline that stalls fails, not hangs.
HANG_GUARD = 60 * Gst.SECOND
KINDS = {"Element messages": "message", "In-band events": "event"}
CUSTOM_EVENTS = (Gst.EventType.CUSTOM_DOWNSTREAM,
                 Gst.EventType.CUSTOM_DOWNSTREAM_STICKY,
                 Gst.EventType.CUSTOM_BOTH)

Gst.init(None)


# ------------------------------------------------------------ the doc

HEADING = re.compile(r"^### `([^`]+)`")
ROW = re.compile(r"^\|\s*`([^`]+)`(\s*\*\(optional\)\*)?\s*\|([^|]*)\|")
TYPE = re.compile(r"^\s*`([^`]+)`(?:\s+of\s+`([^`]+)`)?\s*$")


class Section:
    def __init__(self, kind, name):
        self.kind, self.name = kind, name
        self.fields = {}        # field -> (type, element type or None)
        self.optional = set()
        self.text = ""


def parse_doc(path):
    """{(kind, name): Section} from docs/messages.md."""
    sections, kind, current = {}, None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                kind = KINDS.get(line[3:].strip())
                current = None
                continue
            m = HEADING.match(line)
            if m and kind:
                current = Section(kind, m.group(1))
                key = (kind, current.name)
                assert key not in sections, "documented twice: %s" % (key,)
                sections[key] = current
                continue
            if current is None:
                continue
            current.text += line
            m = ROW.match(line)
            if m and m.group(1) != "field":
                t = TYPE.match(m.group(3))
                assert t, "%s: no `type` in the row of %s" % (
                    current.name, m.group(1))
                current.fields[m.group(1)] = (t.group(1), t.group(2))
                if m.group(2):
                    current.optional.add(m.group(1))
    for (kind, name), section in sections.items():
        if not section.fields and kind == "event":
            twin = sections.get(("message", name))
            assert twin, "event %s has no table and no message twin" % name
            section.fields, section.optional = twin.fields, twin.optional
        assert section.fields, "%s %s documents no field" % (kind, name)
    return sections


# ------------------------------------------------------- the pipelines

class Seen:
    """What the pipelines produced: (kind, name) -> [(factory, structure)]."""

    def __init__(self):
        self.by_key = {}

    def add(self, kind, factory, structure):
        self.by_key.setdefault((kind, structure.get_name()), []).append(
            (factory, structure.copy()))


def ours(factory):
    return factory.startswith("kmeans-") or factory.startswith("kmzmq")


def factory_of(obj):
    factory = obj.get_factory() if isinstance(obj, Gst.Element) else None
    return factory.get_name() if factory else ""


def probe_custom_events(seen, pipeline, name):
    """Records the custom events reaching element @name's sink pad."""
    pad = pipeline.get_by_name(name).get_static_pad("sink")

    def probe(pad, info):
        event = info.get_event()
        if event.type in CUSTOM_EVENTS and event.get_structure():
            upstream = pad.get_peer().get_parent_element()
            seen.add("event", factory_of(upstream), event.get_structure())
        return Gst.PadProbeReturn.OK

    pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, probe)


def run(seen, description, until=None):
    """Plays @description to EOS (or until an element message named
    @until), recording our elements' messages and the custom events that
    reach the element named `sink`."""
    pipeline = Gst.parse_launch(description)
    if pipeline.get_by_name("sink") is not None:
        probe_custom_events(seen, pipeline, "sink")
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    try:
        while True:
            msg = bus.timed_pop_filtered(
                HANG_GUARD, Gst.MessageType.EOS | Gst.MessageType.ERROR |
                Gst.MessageType.ELEMENT)
            if msg is None:
                raise AssertionError("no message for %d s: %s" %
                                     (HANG_GUARD // Gst.SECOND, description))
            if msg.type == Gst.MessageType.ERROR:
                err, debug = msg.parse_error()
                raise AssertionError("%s: %s (%s)" %
                                     (description, err.message, debug))
            if msg.type == Gst.MessageType.EOS:
                return
            factory = factory_of(msg.src)
            if ours(factory):
                seen.add("message", factory, msg.get_structure())
                if until and msg.get_structure().get_name() == until:
                    return
    finally:
        pipeline.set_state(Gst.State.NULL)


def has_element(name):
    return Gst.ElementFactory.find(name) is not None


def produce_everything(tmp):
    """Runs the pipelines; returns (Seen, {key: reason not triggered})."""
    seen, untriggered = Seen(), {}
    ckpt = os.path.join(tmp, "model.ckpt")
    src = ("kmeans-testsrc clusters=3 dimensions=2 seed=1 "
           "points-per-buffer=256 num-buffers=%d")

    # Initialisation, progress, checkpoints; scores as messages and
    # events; the model event, through kmeans-score to the sink.
    run(seen, (src % 40) + " ! kmeans-train num-clusters=3 init=kmeans++ "
        "progress-interval=1 checkpoint-location=%s checkpoint-interval=5 ! "
        "kmeans-score interval-points=2048 ! fakesink name=sink" % ckpt)
    # A tolerance any second step meets: kmeans-converged.
    run(seen, (src % 10) + " ! kmeans-train num-clusters=3 "
        "relative-tolerance=1000 ! fakesink name=sink")
    # A center given far from the points is starved: kmeans-reassigned.
    run(seen, (src % 10) + " ! kmeans-train num-clusters=4 "
        "initial-centers-value=\"<<-5.0,-5.0>,<5.0,-5.0>,<0.0,5.0>,"
        "<1000000.0,1000000.0>>\" ! fakesink name=sink")
    # The checkpoint loaded by each element that reads one; assign and
    # score send it on as the model event.
    for element in ("kmeans-assign", "kmeans-score", "kmeans-viz"):
        run(seen, (src % 4) + " ! %s model-location=%s ! fakesink name=sink"
            % (element, ckpt))

    if has_element("kmeans-hub"):
        # A hub and two workers in one pipeline: kmeans-hub per round,
        # kmeans-worker per round sent.
        endpoint = "ipc://%s" % os.path.join(tmp, "hub.ipc")
        worker = ((src % 5) + " ! kmeans-worker endpoint=%s worker-id=%%d ! "
                  "fakesink async=false" % endpoint)
        run(seen, "kmeans-hub endpoint=%s num-clusters=3 max-rounds=5 "
            "initial-centers-value=\"<<-5.0,-5.0>,<5.0,-5.0>,<0.0,5.0>>\" ! "
            "fakesink %s %s" % (endpoint, worker % 1, worker % 2))
    else:
        for name in ("kmeans-hub", "kmeans-worker"):
            untriggered[("message", name)] = "the kmdist plugin is not built"

    if has_element("kmzmqsrc"):
        # No peer: nothing arrives, so the timeout message comes.
        run(seen, "kmzmqsrc endpoint=ipc://%s framing=raw timeout=50000000 "
            "caps=application/x-points,format=F32LE,dimensions=2 ! fakesink"
            % os.path.join(tmp, "nobody.ipc"), until="GstKmZmqSrcTimeout")
    else:
        untriggered[("message", "GstKmZmqSrcTimeout")] = \
            "the kmzmq plugin is not built"
    return seen, untriggered


# ---------------------------------------------------------- the checks

def field_types(structure):
    return {structure.nth_field_name(i): GObject.type_name(
        structure.get_field_type(structure.nth_field_name(i)))
        for i in range(structure.n_fields())}


def array_element_types(structure, field):
    """The types gst_structure_to_string() gives a GstValueArray's items:
    `field=(T)< a, b >` when they share one, else `< (T)a, (U)b >`."""
    m = re.search(r"(?:^|[ ,])%s=\((\w+)\)<([^>]*)>" % re.escape(field),
                  structure.to_string())
    if m is None:
        return set()
    if m.group(1) != "GstValueArray":
        return {m.group(1)}
    return set(re.findall(r"\((\w+)\)", m.group(2)))


# The short names gst_structure_to_string() uses for some GLib types.
SERIALIZED_NAME = {"gdouble": "double", "guint": "uint", "gint": "int",
                   "gboolean": "boolean", "gchararray": "string",
                   "gfloat": "float"}


class MessagesDocTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = parse_doc(DOC)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.seen, cls.untriggered = produce_everything(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_doc_has_the_sections(self):
        kinds = {kind for kind, _ in self.doc}
        self.assertEqual(kinds, {"message", "event"}, self.doc.keys())

    def test_every_structure_seen_is_documented(self):
        for key in self.seen.by_key:
            with self.subTest(key=key):
                self.assertIn(key, self.doc, "posted or sent but not in "
                              "docs/messages.md")

    def test_every_documented_structure_was_seen(self):
        for key in self.doc:
            with self.subTest(key=key):
                if key in self.untriggered:
                    self.skipTest("%s %s: %s" % (key + (
                        self.untriggered[key],)))
                self.assertIn(key, self.seen.by_key,
                              "documented but never seen")

    def test_fields_and_types_are_the_documented_ones(self):
        for key, instances in self.seen.by_key.items():
            section = self.doc.get(key)
            if section is None:
                continue
            required = set(section.fields) - section.optional
            for factory, structure in instances:
                types = field_types(structure)
                with self.subTest(key=key, factory=factory):
                    self.assertLessEqual(required, set(types),
                                         "documented fields missing")
                    self.assertLessEqual(set(types), set(section.fields),
                                         "fields not documented")
                    for field, gtype in types.items():
                        doc_type, item_type = section.fields[field]
                        self.assertEqual(gtype, doc_type, field)
                        if item_type:
                            self.assertEqual(
                                array_element_types(structure, field),
                                {SERIALIZED_NAME.get(item_type, item_type)},
                                field)

    def test_optional_fields_occur(self):
        """A field documented as optional is still a real one."""
        for key, section in self.doc.items():
            for field in section.optional:
                with self.subTest(key=key, field=field):
                    self.assertTrue(any(
                        s.has_field(field)
                        for _, s in self.seen.by_key.get(key, [])))

    def test_posters_are_named_in_their_section(self):
        for key, instances in self.seen.by_key.items():
            section = self.doc.get(key)
            if section is None or key[0] != "message":
                continue
            for factory in {f for f, _ in instances}:
                with self.subTest(key=key, factory=factory):
                    self.assertIn("`%s`" % factory, section.text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
