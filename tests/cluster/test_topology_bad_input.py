"""The catalogue of bad topology input: every row of docs/bad-input.md, tested.

Each case is a file (or a Python mapping) and the one sentence it must give.
Nothing here measures wall-clock time: bounds are by design (limits checked
before work), and the test of a case is that it completes at all.

Run this file as a script to rewrite the table in docs/bad-input.md after
changing a case: ``python tests/cluster/test_topology_bad_input.py``.
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from PciRaceLibrary.cluster.topology import Topology, load_topology, topology_from_mapping
from PciRaceLibrary.errors import TopologyError

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-input.md"
BEGIN, END = "<!-- cases: begin -->", "<!-- cases: end -->"


@dataclass(frozen=True)
class Case:
    category: str
    shown: str  # the input as the docs show it (Markdown)
    field: str
    message: str  # the exact sentence; {path} is the file, as the docs show it
    text: str | bytes | None = None  # the file's content
    make: Callable[[Path], Path] | None = None  # builds an unusual path instead
    data: object = None  # a Python mapping for topology_from_mapping instead of a file
    loads: Callable[[Topology], object] | None = None  # accepted input: what it reads as
    name: str = "bad.yaml"

    def id(self, number: int) -> str:
        words = re.sub(r"[^a-z0-9]+", "-", f"{self.field} {self.shown}".lower()).strip("-")
        return f"{number:03d}-{words[:70]}"


PF = "{address: '0000:81:00.0', dev_type: type-PF, physnet: physnet2}"


def top(text: str) -> str:
    return text


def host(fragment: str) -> str:
    return f"hosts:\n  - {fragment}\n"


def device(fragment: str) -> str:
    return f"hosts:\n  - name: host1\n    devices:\n      - {PF}\n      - {fragment}\n"


def numa_host(fragment: str) -> str:
    return f"hosts:\n  - name: host1\n{fragment}"


def network(fragment: str) -> str:
    return f"networks:\n  - {{name: network_2, physnet: physnet2}}\n  - {fragment}\nhosts: [{{name: host1}}]\n"  # noqa: E501


def flavor(fragment: str) -> str:
    return f"flavor: {fragment}\nhosts: [{{name: host1}}]\n"


MEDIUM = "name: m1.medium, vcpus: 2, memory_mb: 1024, disk_gb: 2"


def flavors(fragment: str) -> str:
    return f"flavors:\n  - {fragment}\nhosts: [{{name: host1}}]\n"


def pci(fragment: str, devices: str = PF) -> str:
    """A ``pci`` section, and host1 with ``devices``."""
    return f"pci: {fragment}\nhosts:\n  - name: host1\n    devices: [{devices}]\n"


VF = "{address: '0000:81:00.1', dev_type: type-VF, parent: '0000:81:00.0'}"
PF_ONLY = "{address: '0000:81:00.0', dev_type: type-PF}"


def specs(fragment: str) -> str:
    """A listed m1.medium with ``extra_specs: fragment``."""
    return flavors(f"{{{MEDIUM}, extra_specs: {fragment}}}")


def images(fragment: str) -> str:
    return f"images:\n  - {fragment}\nhosts: [{{name: host1}}]\n"


def props(fragment: str) -> str:
    """Image ``i1`` with ``properties: fragment``."""
    return images(f"{{name: i1, properties: {fragment}}}")


def directory(tmp: Path) -> Path:
    (tmp / "topologies").mkdir()
    return tmp / "topologies"


def through_a_file(tmp: Path) -> Path:
    (tmp / "bad.yaml").write_text("hosts: [{name: host1}]\n", encoding="utf-8")
    return tmp / "bad.yaml" / "inner.yaml"


def fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "pipe.yaml")  # opening it would block until someone writes
    return tmp / "pipe.yaml"


def sparse(tmp: Path) -> Path:
    path = tmp / "bad.yaml"
    with path.open("wb") as stream:
        stream.truncate(11 * 1024 * 1024)  # sparse: no disk, and never read
    return path


def unreadable(tmp: Path) -> Path:
    path = tmp / "bad.yaml"
    path.write_text("hosts: [{name: host1}]\n", encoding="utf-8")
    path.chmod(0)
    return path


def laughs(levels: int, width: int = 9) -> str:
    """The "billion laughs": each level is ``width`` aliases of the one before."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + "\nhosts: [{name: host1}]\n"


def merge_laughs(levels: int) -> str:
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9}"]
    for level in range(1, levels + 1):
        lines.append(f"m{level}: &m{level} {{<<: [{', '.join([f'*m{level - 1}'] * 9)}]}}")
    return "\n".join(lines) + "\nhosts: [{name: host1}]\n"


def aliased_devices(count: int) -> str:
    aliases = ", *d" * (count - 1)
    return ("hosts:\n  - name: host1\n    devices: "
            f"[&d {{address: '0000:81:00.0', dev_type: type-PCI}}{aliases}]\n")  # fmt: skip


def aliased_hosts(count: int) -> str:
    return f"hosts: [&h {{name: host1}}{', *h' * (count - 1)}]\n"


def aliased_flavors(count: int) -> str:
    return (f"flavors: [&f {{{MEDIUM}}}{', *f' * (count - 1)}]\n"
            "hosts: [{name: host1}]\n")  # fmt: skip


def aliased_networks(count: int) -> str:
    return (f"networks: [&n {{name: network_2}}{', *n' * (count - 1)}]\n"
            "hosts: [{name: host1}]\n")  # fmt: skip


def host_name(topology: Topology) -> object:
    return topology.hosts[0].name


FILE, YAML, TOP, HOST, DEVICE, NETWORK, FLAVOR, PCI, TEXT, LIMIT, PYTHON, NUMA, IMAGE = (
    "The file itself", "YAML features", "Top-level fields", "Host fields", "Device fields",
    "Network fields", "Flavor fields", "PCI device_spec and alias", "Names read as typed",
    "Size limits", "Python mappings (topology_from_mapping)", "NUMA cells", "Images",
)  # fmt: skip

RULES = {
    FILE: "A topology file is a regular UTF-8 file of at most 10 MiB holding one YAML mapping. "
    "Size and kind are checked before a byte is read; an undecodable byte is named by offset.",
    YAML: "Only plain YAML: no tags but `!!str`, anchors and aliases only to values defined "
    "before, keys are text, nesting at most 20 deep, at most 2,000,000 values counting "
    "each alias as everything it names (so alias bombs stop before they grow).",
    TOP: "Only `name`, `sriov_network`, `flavor`, `flavors`, `images`, `networks`, `pci`, "
    "`enabled_filters` and `hosts`; `hosts` is "
    "required and non-empty; `sriov_network` names one of the networks; `flavor` names one of "
    "the flavors or is a mapping defining the default one.",
    HOST: "Names are 1-255 ASCII letters, digits, `.`, `-`, `_`, starting with a letter or "
    "digit, unique ignoring case (as DNS and Nova's database compare them). Counts are whole "
    "numbers from their minimum to 2,147,483,647 (Nova's integer columns).",
    DEVICE: "Addresses are `dddd:bb:ss.f` in hexadecimal, unique on the host ignoring case, and "
    "read in lower case as Nova stores them; `numa_node` is 0-1023, or null for no NUMA "
    "affinity; `parent` only on a VF.",
    NETWORK: "Network and physnet names follow the host-name rule; network names are unique "
    "ignoring case.",
    FLAVOR: "Flavor and topology names are printable text without spaces at either end, as "
    "Nova's flavor names; flavor names are unique ignoring case; `vcpus` >= 1. A listed flavor "
    "gives `name`, `vcpus`, `memory_mb` and `disk_gb`. Extra spec keys are 1-255 ASCII letters, "
    "digits, spaces, `-`, `_`, `:` and `.`, as Nova's API takes them; values are text of at "
    "most 255 printable characters.",
    TEXT: "Values of name and address fields are read as the text typed: YAML 1.1 would turn "
    "these into numbers, booleans or dates. These rows are accepted; the column says as what.",
    LIMIT: "At most 10,000 hosts, 1,000 networks, 1,000 flavors and 100,000 devices per "
    "topology, checked before "
    "the entries are read, so a list repeated by aliases costs nothing to refuse.",
    NUMA: "A host's `numa_cells` is a non-empty list of cells with a unique `id` (0-1023), "
    "`cpus` (a CPU list such as `0-3,^2`, CPUs 0-8191, each CPU in one cell), `memory_mb` >= 1 "
    "and an optional `socket`; `cpu_dedicated_set` and `cpu_shared_set` need cells, name only "
    "their CPUs and do not overlap; where cells are given, a device's `numa_node` names one.",
    IMAGE: "`images` is a non-empty list of images with a `name` (the flavor-name rule, unique "
    "ignoring case) and `properties`, a mapping of the image properties the model reads to "
    "text, typed as Nova's ImageMetaProps types them: `hw_cpu_policy` (`shared`, `dedicated`), "
    "`hw_pci_numa_affinity_policy` (a PCI NUMA policy), `hw_numa_nodes` (1-128), "
    "`hw_numa_cpus.N` (a CPU list) and `hw_numa_mem.N` (MB >= 1), N from 0 without a gap.",
    PYTHON: "The same checks apply to a mapping built in Python; values YAML cannot produce "
    "(bytes, dates, sets) are named in words.",
}


CASES = [
    # -- the file itself
    Case(FILE, "a path that does not exist", "file", "No topology file '{path}'.",
         name="nowhere.yaml"),
    Case(FILE, "a directory", "file",
         "Topology file '{path}' is a directory; give the path of a YAML file.",
         make=directory, name="topologies"),
    Case(FILE, "a path through a file (`bad.yaml/inner.yaml`)", "file",
         "Topology file '{path}' cannot be read: not a directory.", make=through_a_file,
         name="bad.yaml/inner.yaml"),
    Case(FILE, "a named pipe (FIFO)", "file",
         "Topology file '{path}' is not a regular file; give the path of a YAML file.",
         make=fifo, name="pipe.yaml"),
    Case(FILE, "a file without read permission", "file",
         "Topology file '{path}' cannot be read: permission denied.", make=unreadable),
    Case(FILE, "an 11 MiB file", "file",
         "Topology file '{path}' is 11534336 bytes; a topology file may be at most 10485760 "
         "bytes (10 MiB).", make=sparse),
    Case(FILE, "an empty file", "file",
         "Topology file '{path}' is empty; a topology is a YAML mapping with at least 'hosts'.",
         text=""),
    Case(FILE, "only blank lines and spaces", "file",
         "Topology file '{path}' is empty; a topology is a YAML mapping with at least 'hosts'.",
         text="\n   \n\n"),
    Case(FILE, "only a comment", "file",
         "Topology file '{path}' must be a mapping of keys to values, got nothing.",
         text="# hosts: later\n"),
    Case(FILE, "`- host1` (a list)", "file",
         "Topology file '{path}' must be a mapping of keys to values, got a list.",
         text="- host1\n"),
    Case(FILE, "`hello` (a scalar)", "file",
         "Topology file '{path}' must be a mapping of keys to values, got the text 'hello'.",
         text="hello\n"),
    Case(FILE, "`42` (a number)", "file",
         "Topology file '{path}' must be a mapping of keys to values, got 42.", text="42\n"),
    Case(FILE, "Latin-1 `name: café`", "encoding",
         "Topology file '{path}' is not UTF-8 text: the byte 0xE9 at byte offset 9 (line 1) "
         "starts a character the bytes after it do not continue; save the file as UTF-8.",
         text="name: caf\xe9\nhosts: [{name: h}]\n".encode("latin-1")),
    Case(FILE, "a byte 0xFF on line 2", "encoding",
         "Topology file '{path}' is not UTF-8 text: the byte 0xFF at byte offset 12 (line 2) "
         "cannot start a character; save the file as UTF-8.",
         text=b"name: cafe\nh\xffosts: []\n"),
    Case(FILE, "UTF-8 cut in the middle of 'é' at the end", "encoding",
         "Topology file '{path}' is not UTF-8 text: the byte 0xC3 at byte offset 28 (line 2) "
         "starts a character the file cuts short; save the file as UTF-8.",
         text=b"hosts: [{name: h}]\nname: caf\xc3"),
    Case(FILE, "UTF-16 with a byte-order mark", "encoding",
         "Topology file '{path}' is not UTF-8 text: the byte 0xFF at byte offset 0 (line 1) "
         "cannot start a character; save the file as UTF-8.",
         text="hosts: [{name: h}]\n".encode("utf-16")),
    Case(FILE, "a raw NUL byte inside a name", "characters",
         "Topology file '{path}', line 1, column 18: a NUL character is not allowed in a YAML "
         "file, even quoted; write it as an escape in double quotes if it is meant.",
         text="hosts: [{name: ho\0st}]\n"),
    Case(FILE, "a raw ESC byte (terminal colour codes)", "characters",
         "Topology file '{path}', line 2, column 12: the control character U+001B is not "
         "allowed in a YAML file, even quoted; write it as an escape in double quotes if it is "
         "meant.", text="hosts:\n  - {name: \x1b[31mhost1}\n"),
    Case(FILE, "two documents separated by `---`", "file",
         "Topology file '{path}', line 2, column 1: a second YAML document starts here; a "
         "topology file holds one document.",
         text="hosts: [{name: host1}]\n---\nhosts: [{name: host2}]\n"),
    Case(FILE, "an unclosed `[`", "syntax",
         "Topology file '{path}' is not valid YAML at line 4, column 1: did not find expected "
         "node content.", text="hosts:\n  - name: host1\n    devices: [\n"),
    Case(FILE, "a tab used for indentation", "syntax",
         "Topology file '{path}' is not valid YAML at line 2, column 1: a tab cannot indent "
         "YAML; indent with spaces.", text="hosts:\n\t- name: host1\n"),
    # -- YAML features
    Case(YAML, "`hosts: !!python/object:os.system {}`", "tags",
         "Topology file '{path}', line 1, column 8: the YAML tag '!!python/object:os.system' is "
         "not allowed; a topology needs only plain values, quoted where they must be text.",
         text="hosts: !!python/object:os.system {}\n"),
    Case(YAML, "`!!python/object/apply:os.system [ls]`", "tags",
         "Topology file '{path}', line 2, column 11: the YAML tag "
         "'!!python/object/apply:os.system' is not allowed; a topology needs only plain values, "
         "quoted where they must be text.",
         text=host("name: !!python/object/apply:os.system [ls]")),
    Case(YAML, "host `{name: !foo host1}`", "tags",
         "Topology file '{path}', line 2, column 12: the YAML tag '!foo' is not allowed; a "
         "topology needs only plain values, quoted where they must be text.",
         text=host("{name: !foo host1}")),
    Case(YAML, "host `{name: !!binary aG9zdDE=}`", "tags",
         "Topology file '{path}', line 2, column 12: the YAML tag '!!binary' is not allowed; a "
         "topology needs only plain values, quoted where they must be text.",
         text=host("{name: !!binary aG9zdDE=}")),
    Case(YAML, "host `{name: h, vcpus: !!timestamp 2001-12-14}`", "tags",
         "Topology file '{path}', line 2, column 22: the YAML tag '!!timestamp' is not allowed; "
         "a topology needs only plain values, quoted where they must be text.",
         text=host("{name: h, vcpus: !!timestamp 2001-12-14}")),
    Case(YAML, "host `{name: h, vcpus: !!int 2}`", "tags",
         "Topology file '{path}', line 2, column 22: the YAML tag '!!int' is not allowed; a "
         "topology needs only plain values, quoted where they must be text.",
         text=host("{name: h, vcpus: !!int 2}")),
    Case(YAML, "`hosts: !!set {a, b}`", "tags",
         "Topology file '{path}', line 1, column 8: the YAML tag '!!set' is not allowed; a "
         "topology needs only plain values, quoted where they must be text.",
         text="hosts: !!set {a, b}\n"),
    Case(YAML, "billion laughs: 9 levels of 9 aliases (9^9 values)", "aliases",
         "Topology file '{path}', line 7, column 20: the file holds more than 2000000 values, "
         "counting each alias as all it names.", text=laughs(9)),
    Case(YAML, "billion laughs through `<<` merge keys", "aliases",
         "Topology file '{path}', line 7, column 15: the file holds more than 2000000 values, "
         "counting each alias as all it names.", text=merge_laughs(9)),
    Case(YAML, "a million devices as aliases of one", "aliases",
         "Topology file '{path}', line 3, column 1600053: the file holds more than 2000000 "
         "values, counting each alias as all it names.", text=aliased_devices(1_000_000)),
    Case(YAML, "`hosts: *nowhere`", "aliases",
         "Topology file '{path}', line 1, column 8: the alias '*nowhere' names no anchor "
         "'&nowhere' given before it.", text="hosts: *nowhere\n"),
    Case(YAML, "`hosts: &a [*a]` (a value inside itself)", "aliases",
         "Topology file '{path}', line 1, column 12: the alias '*a' is inside the value it "
         "names; a value cannot contain itself.", text="hosts: &a [*a]\n"),
    Case(YAML, "`&x` given twice", "anchors",
         "Topology file '{path}', line 2, column 8: the anchor '&x' is given twice; give each "
         "anchor a new name.", text="spare: &x 1\nother: &x 2\nhosts: [{name: host1}]\n"),
    Case(YAML, "5,000 nested `[`", "nesting",
         "Topology file '{path}', line 1, column 1007: values nest more than 20 levels deep; a "
         "topology needs 6.", text="hosts: " + "[" * 5000 + "]" * 5000 + "\n"),
    Case(YAML, "3,000 nested block sequences `- - - ...`", "nesting",
         "Topology file '{path}', line 21, column 39: values nest more than 20 levels deep; a "
         "topology needs 6.", text="hosts:\n" + "".join("  " * i + "- \n" for i in range(3000))),
    Case(YAML, "2,000 nested mappings `{a: {a: ...}}`", "nesting",
         "Topology file '{path}', line 1, column 84: values nest more than 20 levels deep; a "
         "topology needs 6.", text="hosts: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n"),
    Case(YAML, "a key given twice: `vcpus: 2` and `vcpus: 4`", "keys",
         "Topology file '{path}' is not valid YAML at line 4, column 5: key 'vcpus' is given "
         "twice.", text="hosts:\n  - name: host1\n    vcpus: 2\n    vcpus: 4\n"),
    Case(YAML, "`? [a, b]` (a list as a key)", "keys",
         "Topology file '{path}', line 1, column 3: a key must be plain text, not a list.",
         text="? [a, b]\n: hosts\n"),
    Case(YAML, "an alias to a mapping used as a key", "keys",
         "Topology file '{path}', line 2, column 1: a key must be plain text, not a mapping.",
         text="spare: &m {a: 1}\n*m : hosts\n"),
    Case(YAML, "host `{<<: 5, name: h}`", "merge keys",
         "Topology file '{path}', line 2, column 6: the merge key '<<' takes a mapping or a list "
         "of mappings, not 5.", text=host("{<<: 5, name: h}")),
    # -- top-level fields
    Case(TOP, "`colour: red`", "top-level key",
         "Topology file '{path}': unknown key 'colour'; valid keys: name, sriov_network, flavor, "
         "flavors, images, networks, pci, enabled_filters, hosts.",
         text="colour: red\nhosts: [{name: host1}]\n"),
    Case(TOP, "`1: host1`", "top-level key",
         "Topology file '{path}': unknown key '1'; valid keys: name, sriov_network, flavor, "
         "flavors, images, networks, pci, enabled_filters, hosts.",
         text="1: host1\nhosts: [{name: host1}]\n"),
    Case(TOP, "`name: [a, b]`", "`name`",
         "Topology file '{path}': 'name' must be a non-empty string, got a list.",
         text="name: [a, b]\nhosts: [{name: host1}]\n"),
    Case(TOP, "`name: ''`", "`name`",
         "Topology file '{path}': 'name' must be a non-empty string, got empty text.",
         text="name: ''\nhosts: [{name: host1}]\n"),
    Case(TOP, "`name: '   '`", "`name`",
         "Topology file '{path}': 'name' must be a non-empty string, got only whitespace (3 "
         "characters).", text="name: '   '\nhosts: [{name: host1}]\n"),
    Case(TOP, "`name: \"two\\nlines\"`", "`name`",
         "Topology file '{path}': 'name' contains a newline at character 4; use printable "
         "characters only.", text='name: "two\\nlines"\nhosts: [{name: host1}]\n'),
    Case(TOP, "`name:` (nothing)", "`name`",
         "Topology file '{path}': 'name' must be a non-empty string, got nothing.",
         text="name:\nhosts: [{name: host1}]\n"),
    Case(TOP, "`sriov_network: network_9`", "`sriov_network`",
         "Topology file '{path}': 'sriov_network' names network 'network_9', which is not "
         "defined; defined networks: network_1, network_2.",
         text="sriov_network: network_9\nhosts: [{name: host1}]\n"),
    Case(TOP, "`sriov_network: [network_2]`", "`sriov_network`",
         "Topology file '{path}': 'sriov_network' must be a non-empty string, got a list.",
         text="sriov_network: [network_2]\nhosts: [{name: host1}]\n"),
    Case(TOP, "no `hosts`", "`hosts`",
         "Topology file '{path}': 'hosts' must be a non-empty list of hosts, got nothing.",
         text="name: lonely\n"),
    Case(TOP, "`hosts: []`", "`hosts`",
         "Topology file '{path}': 'hosts' must be a non-empty list of hosts, got a list.",
         text="hosts: []\n"),
    Case(TOP, "`hosts: {host1: {}}`", "`hosts`",
         "Topology file '{path}': 'hosts' must be a non-empty list of hosts, got a mapping.",
         text="hosts: {host1: {}}\n"),
    Case(TOP, "`hosts: host1`", "`hosts`",
         "Topology file '{path}': 'hosts' must be a non-empty list of hosts, got the text "
         "'host1'.", text="hosts: host1\n"),
    Case(TOP, "`networks: []`", "`networks`",
         "Topology file '{path}': 'networks' must be a non-empty list of networks, got a list.",
         text="networks: []\nhosts: [{name: host1}]\n"),
    Case(TOP, "`networks: {network_2: physnet2}`", "`networks`",
         "Topology file '{path}': 'networks' must be a non-empty list of networks, got a "
         "mapping.", text="networks: {network_2: physnet2}\nhosts: [{name: host1}]\n"),
    Case(TOP, "`flavor: m1.large`", "`flavor`",
         "Topology file '{path}': 'flavor' names flavor 'm1.large', which is not defined; "
         "defined flavors: m1.small, m1.medium.", text=flavor("m1.large")),
    Case(TOP, "`flavor: m1.small` with `flavors: [{name: m1.medium, ...}]`", "`flavor`",
         "Topology file '{path}': 'flavor' names flavor 'm1.small', which is not defined; "
         "defined flavors: m1.medium.", text="flavor: m1.small\n" + flavors(f"{{{MEDIUM}}}")),
    Case(TOP, "`flavor: [m1.small]`", "`flavor`",
         "Topology file '{path}': 'flavor' must be the name of a flavor or a mapping defining "
         "one, got a list.", text=flavor("[m1.small]")),
    Case(TOP, "`flavor: ''`", "`flavor`",
         "Topology file '{path}': 'flavor' must be a non-empty string, got empty text.",
         text=flavor("''")),
    Case(TOP, "`flavors: []`", "`flavors`",
         "Topology file '{path}': 'flavors' must be a non-empty list of flavors, got a list.",
         text="flavors: []\nhosts: [{name: host1}]\n"),
    Case(TOP, "`flavors: {m1.medium: {vcpus: 2}}`", "`flavors`",
         "Topology file '{path}': 'flavors' must be a non-empty list of flavors, got a mapping.",
         text="flavors: {m1.medium: {vcpus: 2}}\nhosts: [{name: host1}]\n"),
    # -- host fields
    Case(HOST, "host `[host1]`", "`hosts[]`",
         "Topology file '{path}', host #1 must be a mapping of keys to values, got a list.",
         text=host("[host1]")),
    Case(HOST, "host `host1` (a bare name)", "`hosts[]`",
         "Topology file '{path}', host #1 must be a mapping of keys to values, got the text "
         "'host1'.", text=host("host1")),
    Case(HOST, "host `{vcpus: 4}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' is required.", text=host("{vcpus: 4}")),
    Case(HOST, "host `{name: ~}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' is required.", text=host("{name: ~}")),
    Case(HOST, "host `{name: ''}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' must be a non-empty string, got empty text.",
         text=host("{name: ''}")),
    Case(HOST, "host `{name: ' '}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' must be a non-empty string, got only "
         "whitespace (1 characters).", text=host("{name: ' '}")),
    Case(HOST, "host `{name: [host1]}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' must be a non-empty string, got a list.",
         text=host("{name: [host1]}")),
    Case(HOST, "host `{name: {first: host1}}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' must be a non-empty string, got a mapping.",
         text=host("{name: {first: host1}}")),
    Case(HOST, "host `{name: \"host\\n1\"}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains a newline at character 5; names use "
         "only ASCII letters, digits, '.', '-' and '_'.", text=host('{name: "host\\n1"}')),
    Case(HOST, "host `{name: \"host\\0\"}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains a NUL character at character 5; "
         "names use only ASCII letters, digits, '.', '-' and '_'.", text=host('{name: "host\\0"}')),
    Case(HOST, "host `{name: \"host\\t1\"}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains a tab at character 5; names use "
         "only ASCII letters, digits, '.', '-' and '_'.", text=host('{name: "host\\t1"}')),
    Case(HOST, "host `{name: 'host1,host2'}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains a comma at character 6; names use "
         "only ASCII letters, digits, '.', '-' and '_'.", text=host("{name: 'host1,host2'}")),
    Case(HOST, "host `{name: host 1}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains a space at character 5; names use "
         "only ASCII letters, digits, '.', '-' and '_'.", text=host("{name: host 1}")),
    Case(HOST, "host `{name: host=1}` (would split a Robot named argument)", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains an equals sign (=) at character 5; "
         "names use only ASCII letters, digits, '.', '-' and '_'.", text=host("{name: host=1}")),
    Case(HOST, "host `{name: \"host'1\"}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains a quote (') at character 5; names use "
         "only ASCII letters, digits, '.', '-' and '_'.", text=host("{name: \"host'1\"}")),
    Case(HOST, "host `{name: rack/host1}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains the character '/' at character 5; "
         "names use only ASCII letters, digits, '.', '-' and '_'.",
         text=host("{name: rack/host1}")),
    Case(HOST, "host `{name: ｈｏｓｔ１}` (fullwidth: NFKC makes it host1)", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains the non-ASCII character 'ｈ' "
         "(U+FF48) at character 1; names use only ASCII letters, digits, '.', '-' and '_'.",
         text=host("{name: ｈｏｓｔ１}")),
    Case(HOST, "host `{name: \"cafe\\u0301\"}` (NFD: NFC makes it café)", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains the combining character U+0301 at "
         "character 5; names use only ASCII letters, digits, '.', '-' and '_'.",
         text=host('{name: "cafe\\u0301"}')),
    Case(HOST, "host `{name: \"host\\u200b1\"}` (a zero-width space)", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' contains the invisible character U+200B at "
         "character 5; names use only ASCII letters, digits, '.', '-' and '_'.",
         text=host('{name: "host\\u200b1"}')),
    Case(HOST, "host `{name: -host1}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' starts with '-'; a name starts with an ASCII "
         "letter or digit.", text=host("{name: -host1}")),
    Case(HOST, "host `{name: .hidden}`", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' starts with '.'; a name starts with an ASCII "
         "letter or digit.", text=host("{name: .hidden}")),
    Case(HOST, "a host name of 256 characters", "`hosts[].name`",
         "Topology file '{path}', host #1: 'name' is 256 characters long; at most 255 are "
         "allowed.", text=host("{name: " + "h" * 256 + "}")),
    Case(HOST, "hosts `host1` and `host1`", "`hosts[].name`",
         "Topology file '{path}': host 'host1' is defined twice, as hosts #1 and #2.",
         text="hosts: [{name: host1}, {name: host1}]\n"),
    Case(HOST, "hosts `host1` and `HOST1`", "`hosts[].name`",
         "Topology file '{path}': host 'HOST1' is defined twice, as hosts #1 ('host1') and #2; "
         "host names ignore case, as DNS and Nova's database compare them.",
         text="hosts: [{name: host1}, {name: HOST1}]\n"),
    Case(HOST, "host `{name: h, cpus: 4}`", "host key",
         "Topology file '{path}', host 'h': unknown key 'cpus'; valid keys: name, vcpus, "
         "memory_mb, disk_gb, device_spec, devices, numa_cells, cpu_dedicated_set, cpu_shared_set.",
         text=host("{name: h, cpus: 4}")),
    Case(HOST, "host `{name: h, \"cp\\nus\": 4}`", "host key",
         "Topology file '{path}', host 'h': unknown key 'cp\\nus'; valid keys: name, vcpus, "
         "memory_mb, disk_gb, device_spec, devices, numa_cells, cpu_dedicated_set, cpu_shared_set.",
         text=host('{name: h, "cp\\nus": 4}')),
    Case(HOST, "host `{name: h, vcpus: 0}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got 0.", text=host("{name: h, vcpus: 0}")),
    Case(HOST, "host `{name: h, vcpus: -1}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got -1.", text=host("{name: h, vcpus: -1}")),
    Case(HOST, "host `{name: h, vcpus: 1.5}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got 1.5.", text=host("{name: h, vcpus: 1.5}")),
    Case(HOST, "host `{name: h, vcpus: true}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got true.", text=host("{name: h, vcpus: true}")),
    Case(HOST, "host `{name: h, vcpus: '2'}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got the text '2'.", text=host("{name: h, vcpus: '2'}")),
    Case(HOST, "host `{name: h, vcpus: [2]}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got a list.", text=host("{name: h, vcpus: [2]}")),
    Case(HOST, "host `{name: h, vcpus: {count: 2}}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got a mapping.", text=host("{name: h, vcpus: {count: 2}}")),
    Case(HOST, "host `{name: h, vcpus: ~}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got nothing.", text=host("{name: h, vcpus: ~}")),
    Case(HOST, "host `{name: h, vcpus: 2001-12-14}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got a date.", text=host("{name: h, vcpus: 2001-12-14}")),
    Case(HOST, "host `{name: h, vcpus: 2001-12-14 21:59:43}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got a date and time.", text=host("{name: h, vcpus: 2001-12-14 21:59:43}")),
    Case(HOST, "host `{name: h, vcpus: 2001-13-45}` (not a real date)", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got the text '2001-13-45'.", text=host("{name: h, vcpus: 2001-13-45}")),
    Case(HOST, "host `{name: h, vcpus: .nan}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got not-a-number (.nan).", text=host("{name: h, vcpus: .nan}")),
    Case(HOST, "host `{name: h, vcpus: .inf}`", "`hosts[].vcpus`",
         "Topology file '{path}', host 'h': 'vcpus' must be a whole number from 1 to "
         "2147483647, got infinity (.inf).", text=host("{name: h, vcpus: .inf}")),
    Case(HOST, "host `{name: h, memory_mb: -.inf}`", "`hosts[].memory_mb`",
         "Topology file '{path}', host 'h': 'memory_mb' must be a whole number from 0 to "
         "2147483647, got minus infinity (-.inf).", text=host("{name: h, memory_mb: -.inf}")),
    Case(HOST, "host `{name: h, memory_mb: 2147483648}` (past 32 bits)", "`hosts[].memory_mb`",
         "Topology file '{path}', host 'h': 'memory_mb' must be a whole number from 0 to "
         "2147483647, got 2147483648.", text=host("{name: h, memory_mb: 2147483648}")),
    Case(HOST, "host `{name: h, memory_mb: -512}`", "`hosts[].memory_mb`",
         "Topology file '{path}', host 'h': 'memory_mb' must be a whole number from 0 to "
         "2147483647, got -512.", text=host("{name: h, memory_mb: -512}")),
    Case(HOST, "host `{name: h, disk_gb: 18446744073709551616}` (past 64 bits)",
         "`hosts[].disk_gb`",
         "Topology file '{path}', host 'h': 'disk_gb' must be a whole number from 0 to "
         "2147483647, got 18446744073709551616.",
         text=host("{name: h, disk_gb: 18446744073709551616}")),
    Case(HOST, "host `disk_gb` of 5,000 digits", "`hosts[].disk_gb`",
         "Topology file '{path}', host 'h': 'disk_gb' must be a whole number from 0 to "
         "2147483647, got a number with 5000 digits.",
         text=host("{name: h, disk_gb: " + "9" * 5000 + "}")),
    Case(HOST, "host `{name: h, disk_gb: 1 TB}`", "`hosts[].disk_gb`",
         "Topology file '{path}', host 'h': 'disk_gb' must be a whole number from 0 to "
         "2147483647, got the text '1 TB'.", text=host("{name: h, disk_gb: 1 TB}")),
    Case(HOST, "host `{name: h, devices: lots}`", "`hosts[].devices`",
         "Topology file '{path}', host 'h': 'devices' must be a list of devices or "
         "'fake-driver', got the text 'lots'.", text=host("{name: h, devices: lots}")),
    Case(HOST, "host `{name: h, devices: fake_driver}`", "`hosts[].devices`",
         "Topology file '{path}', host 'h': 'devices' must be a list of devices or "
         "'fake-driver', got the text 'fake_driver'.",
         text=host("{name: h, devices: fake_driver}")),
    Case(HOST, "host `{name: h, devices: 6}`", "`hosts[].devices`",
         "Topology file '{path}', host 'h': 'devices' must be a list of devices or "
         "'fake-driver', got 6.", text=host("{name: h, devices: 6}")),
    Case(HOST, "host `{name: h, devices: ~}`", "`hosts[].devices`",
         "Topology file '{path}', host 'h': 'devices' must be a list of devices or "
         "'fake-driver', got nothing.", text=host("{name: h, devices: ~}")),
    Case(HOST, f"host `{{name: h, devices: {PF}}}` (one device, not a list)", "`hosts[].devices`",
         "Topology file '{path}', host 'h': 'devices' must be a list of devices or "
         "'fake-driver', got a mapping.", text=host(f"{{name: h, devices: {PF}}}")),
    # -- device fields
    Case(DEVICE, "device `0000:81:00.1` (a bare address)", "`devices[]`",
         "Topology file '{path}', host 'host1', device #2 must be a mapping of keys to values, "
         "got the text '0000:81:00.1'.", text=device("0000:81:00.1")),
    Case(DEVICE, "device `{dev_type: type-PCI}`", "`devices[].address`",
         "Topology file '{path}', host 'host1', device #2: 'address' is required.",
         text=device("{dev_type: type-PCI}")),
    Case(DEVICE, "device `{address: 81:00.1, dev_type: type-PCI}`", "`devices[].address`",
         "Topology file '{path}', host 'host1', device #2: 'address' must look like "
         "0000:81:00.1 (domain:bus:slot.function, hexadecimal), got the text '81:00.1'.",
         text=device("{address: 81:00.1, dev_type: type-PCI}")),
    Case(DEVICE, "device `{address: 0000:8g:00.1, ...}`", "`devices[].address`",
         "Topology file '{path}', host 'host1', device #2: 'address' must look like "
         "0000:81:00.1 (domain:bus:slot.function, hexadecimal), got the text '0000:8g:00.1'.",
         text=device("{address: 0000:8g:00.1, dev_type: type-PCI}")),
    Case(DEVICE, "device `{address: 0000:81:00.8, ...}` (function past 7)", "`devices[].address`",
         "Topology file '{path}', host 'host1', device #2: 'address' must look like "
         "0000:81:00.1 (domain:bus:slot.function, hexadecimal), got the text '0000:81:00.8'.",
         text=device("{address: 0000:81:00.8, dev_type: type-PCI}")),
    Case(DEVICE, "device `{address: '0000:81:00.1 ', ...}` (a trailing space)",
         "`devices[].address`",
         "Topology file '{path}', host 'host1', device #2: 'address' must look like "
         "0000:81:00.1 (domain:bus:slot.function, hexadecimal), got the text '0000:81:00.1 '.",
         text=device("{address: '0000:81:00.1 ', dev_type: type-PCI}")),
    Case(DEVICE, "device `{address: 12345, ...}`", "`devices[].address`",
         "Topology file '{path}', host 'host1', device #2: 'address' must look like "
         "0000:81:00.1 (domain:bus:slot.function, hexadecimal), got the text '12345'.",
         text=device("{address: 12345, dev_type: type-PCI}")),
    Case(DEVICE, "device `{address: [0000:81:00.1], ...}`", "`devices[].address`",
         "Topology file '{path}', host 'host1', device #2: 'address' must look like "
         "0000:81:00.1 (domain:bus:slot.function, hexadecimal), got a list.",
         text=device("{address: [0000:81:00.1], dev_type: type-PCI}")),
    Case(DEVICE, "device `0000:81:00.0` again", "`devices[].address`",
         "Topology file '{path}', host 'host1': device '0000:81:00.0' is defined twice, as "
         "devices #1 and #2.", text=device(PF)),
    Case(DEVICE, "devices `0000:81:0a.0` and `0000:81:0A.0`", "`devices[].address`",
         "Topology file '{path}', host 'host1': device '0000:81:0A.0' is defined twice, as "
         "devices #1 ('0000:81:0a.0') and #2; addresses are hexadecimal, so case does not "
         "matter.", text="hosts:\n  - name: host1\n    devices:\n"
         "      - {address: 0000:81:0a.0, dev_type: type-PCI}\n"
         "      - {address: 0000:81:0A.0, dev_type: type-PCI}\n"),
    Case(DEVICE, "device `{address: 0000:81:00.1}`", "`devices[].dev_type`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'dev_type' is required.",
         text=device("{address: 0000:81:00.1}")),
    Case(DEVICE, "device `{..., dev_type: type-GPU}`", "`devices[].dev_type`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'dev_type' 'type-GPU' is "
         "unknown; valid: type-PCI, type-PF, type-VF, vdpa.",
         text=device("{address: 0000:81:00.1, dev_type: type-GPU}")),
    Case(DEVICE, "device `{..., dev_type: TYPE-PF}`", "`devices[].dev_type`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'dev_type' 'TYPE-PF' is "
         "unknown; valid: type-PCI, type-PF, type-VF, vdpa.",
         text=device("{address: 0000:81:00.1, dev_type: TYPE-PF}")),
    Case(DEVICE, "device `{..., dev_type: [type-PF]}`", "`devices[].dev_type`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'dev_type' a list is "
         "unknown; valid: type-PCI, type-PF, type-VF, vdpa.",
         text=device("{address: 0000:81:00.1, dev_type: [type-PF]}")),
    Case(DEVICE, "device `{..., dev_type: type-VF}` without `parent`", "`devices[].parent`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': a type-VF needs 'parent', "
         "the address of its PF.", text=device("{address: 0000:81:00.1, dev_type: type-VF}")),
    Case(DEVICE, "device `{..., dev_type: type-VF, parent: 0000:09:00.0}`", "`devices[].parent`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'parent' '0000:09:00.0' "
         "is not a type-PF on this host; PFs here: 0000:81:00.0.",
         text=device("{address: 0000:81:00.1, dev_type: type-VF, parent: 0000:09:00.0}")),
    Case(DEVICE, "device `{..., dev_type: type-VF, parent: pf0}`", "`devices[].parent`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'parent' must look like "
         "0000:81:00.1 (domain:bus:slot.function, hexadecimal), got the text 'pf0'.",
         text=device("{address: 0000:81:00.1, dev_type: type-VF, parent: pf0}")),
    Case(DEVICE, "device `{..., dev_type: type-PCI, parent: 0000:81:00.0}`", "`devices[].parent`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': only a type-VF or vdpa "
         "device has a 'parent', but this is a type-PCI.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, parent: 0000:81:00.0}")),
    Case(DEVICE, "device `{..., dev_type: vdpa, parent: 0000:81:00.5}`", "`devices[].parent`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'parent' '0000:81:00.5' "
         "is not a type-PF on this host; PFs here: 0000:81:00.0.",
         text=device("{address: 0000:81:00.1, dev_type: vdpa, parent: 0000:81:00.5}")),
    Case(DEVICE, "device `{..., trusted: yes}`", "`devices[].trusted`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'trusted' must be true "
         "or false, got the text 'yes'.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, trusted: 'yes'}")),
    Case(PCI, "`pci: {whitelist: []}`", "`pci`",
         "Topology file '{path}', pci: unknown key 'whitelist'; valid keys: device_spec, alias.",
         text=pci("{whitelist: []}")),
    Case(PCI, "`pci: {device_spec: []}`", "`pci.device_spec`",
         "Topology file '{path}', pci: 'device_spec' must be a non-empty list, got a list.",
         text=pci("{device_spec: []}")),
    Case(PCI, "device_spec `{vendor_id: 80861}`", "`pci.device_spec[].vendor_id`",
         "Topology file '{path}', pci, device_spec #1: 'vendor_id' must be four hexadecimal "
         "digits or '*', such as '8086', got the text '80861'.",
         text=pci("{device_spec: [{vendor_id: 80861}]}")),
    Case(PCI, "device_spec `{address: 0000:81:00.x}`", "`pci.device_spec[].address`",
         "Topology file '{path}', pci, device_spec #1: 'address' must be a PCI address or a glob "
         "of one, such as '0000:81:00.1', '0000:81:00.*' or '*:82:*.*', got the text "
         "'0000:81:00.x'.",
         text=pci("{device_spec: [{address: '0000:81:00.x'}]}")),
    Case(PCI, "device_spec `{physical_network: physnet9}`", "`pci.device_spec[].physical_network`",
         "Topology file '{path}', pci, device_spec #1: 'physical_network' 'physnet9' belongs to "
         "no network; physnets of the networks: physnet1, physnet2.",
         text=pci("{device_spec: [{physical_network: physnet9}]}")),
    Case(PCI, "device_spec `{devname: eth0}`", "`pci.device_spec[]`",
         "Topology file '{path}', pci, device_spec #1: unknown key 'devname'; valid keys: "
         "vendor_id, product_id, address, physical_network, remote_managed, trusted, "
         "live_migratable.",
         text=pci("{device_spec: [{devname: eth0}]}")),
    Case(PCI, "device_spec `{remote_managed: true}` matching a PF",
         "`pci.device_spec[].remote_managed`",
         "Topology file '{path}', host 'host1', device '0000:81:00.0': device_spec #1 tags this "
         "type-PF remote_managed; Nova allows that tag on VFs only.",
         text=pci("{device_spec: [{remote_managed: true}]}", PF_ONLY)),
    Case(PCI, "a device's own `physnet` under a device_spec", "`devices[].physnet`",
         "Topology file '{path}', host 'host1', device '0000:81:00.0': 'physnet' cannot be given "
         "here when a device_spec applies to the host; its tags come from the device_spec entry "
         "that matches it.",
         text=pci("{device_spec: [{vendor_id: '8086'}]}")),
    Case(PCI, "host `device_spec: [{trusted: 1}]`", "`hosts[].device_spec[].trusted`",
         "Topology file '{path}', host 'host1', device_spec #1: 'trusted' must be true or false, "
         "got 1.",
         text="hosts:\n  - {name: host1, device_spec: [{trusted: 1}]}\n"),
    Case(PCI, "alias `{name: a1}`", "`pci.alias[].vendor_id`",
         "Topology file '{path}', pci, alias 'a1': 'vendor_id' is required.",
         text=pci("{alias: [{name: a1}]}")),
    Case(PCI, "alias `{..., device_type: vdpa}`", "`pci.alias[].device_type`",
         "Topology file '{path}', pci, alias 'a1': 'device_type' 'vdpa' is not one of type-PCI, "
         "type-PF, type-VF (Nova's aliases cannot ask for vdpa devices).",
         text=pci("{alias: [{name: a1, vendor_id: '8086', product_id: '154c', "
                  "device_type: vdpa}]}")),
    Case(PCI, "alias `{..., numa_policy: strict}`", "`pci.alias[].numa_policy`",
         "Topology file '{path}', pci, alias 'a1': 'numa_policy' 'strict' is not one of "
         "required, legacy, preferred, socket.",
         text=pci("{alias: [{name: a1, vendor_id: '8086', product_id: '154c', "
                  "numa_policy: strict}]}")),
    Case(PCI, "two `a1` aliases of other device types", "`pci.alias[].device_type`",
         "Topology file '{path}', pci, alias 'a1': entries #1 and #2 of one alias must have the "
         "same 'device_type', got 'type-VF' and 'type-PF'; Nova ORs the entries of one name "
         "only then.",
         text=pci("{alias: [{name: a1, vendor_id: '8086', product_id: '154c', "
                  "device_type: type-VF}, {name: a1, vendor_id: '8086', product_id: '1572', "
                  "device_type: type-PF}]}")),
    Case(PCI, "flavor extra spec `pci_passthrough:alias: a1`", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec 'pci_passthrough:alias': the "
         "text 'a1' is not a comma-separated list of alias:count, such as 'a1:2,a2:1'.",
         text=specs("{'pci_passthrough:alias': a1}")),
    Case(PCI, "`enabled_filters: [NUMATopologyFilter]`", "`enabled_filters`",
         "Topology file '{path}': 'enabled_filters': 'NUMATopologyFilter' is not a filter the "
         "model has; valid: PciPassthroughFilter.",
         text="enabled_filters: [NUMATopologyFilter]\nhosts: [{name: host1}]\n"),
    Case(PCI, "device_spec `{address: '0000:81:00.0'}`, a PF's", "`pci.device_spec[].address`",
         "accepted: devices tracked '0000:81:00.0 0000:81:00.1'",
         text=pci("{device_spec: [{address: '0000:81:00.0'}]}", f"{PF_ONLY}, {VF}"),
         loads=lambda t: " ".join(device.address for device in t.hosts[0].devices)),
    Case(DEVICE, "device `{..., numa_node: -1}`", "`devices[].numa_node`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'numa_node' -1 is how "
         "libvirt writes no NUMA affinity; write null.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, numa_node: -1}")),
    Case(DEVICE, "device `{..., numa_node: null}`", "`devices[].numa_node`",
         "accepted: no NUMA affinity, numa_node 'None'",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, numa_node: null}"),
         loads=lambda t: str(t.hosts[0].devices[-1].numa_node)),
    Case(DEVICE, "device `{..., numa_node: 1024}`", "`devices[].numa_node`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'numa_node' must be a "
         "whole number from 0 to 1023, got 1024.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, numa_node: 1024}")),
    Case(DEVICE, "device `{..., numa_node: 0.5}`", "`devices[].numa_node`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'numa_node' must be a "
         "whole number from 0 to 1023, got 0.5.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, numa_node: 0.5}")),
    Case(DEVICE, "device `{..., numa_node: zero}`", "`devices[].numa_node`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'numa_node' must be a "
         "whole number from 0 to 1023, got the text 'zero'.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, numa_node: zero}")),
    Case(DEVICE, "device `{..., remote_managed: 'yes'}`", "`devices[].remote_managed`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'remote_managed' must be "
         "true or false, got the text 'yes'.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, remote_managed: 'yes'}")),
    Case(DEVICE, "device `{..., remote_managed: 1}`", "`devices[].remote_managed`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'remote_managed' must be "
         "true or false, got 1.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, remote_managed: 1}")),
    Case(DEVICE, "device `{..., physnet: physnet9}`", "`devices[].physnet`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': physnet 'physnet9' "
         "belongs to no network; physnets of the networks: physnet1, physnet2.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, physnet: physnet9}")),
    Case(DEVICE, "device `{..., physnet: 'physnet1,physnet2'}`", "`devices[].physnet`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'physnet' contains a "
         "comma at character 9; names use only ASCII letters, digits, '.', '-' and '_'.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, physnet: 'physnet1,physnet2'}")),
    Case(DEVICE, "device `{..., physnet: ''}`", "`devices[].physnet`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'physnet' must be a "
         "non-empty string, got empty text.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, physnet: ''}")),
    Case(DEVICE, "device `{..., vendor_id: \"80\\n86\"}`", "`devices[].vendor_id`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'vendor_id' contains a "
         "newline at character 3; use printable characters only.",
         text=device('{address: 0000:81:00.1, dev_type: type-PCI, vendor_id: "80\\n86"}')),
    Case(DEVICE, "device `{..., product_id: [154c]}`", "`devices[].product_id`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'product_id' must be a "
         "non-empty string, got a list.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, product_id: [154c]}")),
    Case(DEVICE, "device `{..., parent_ifname: ' ens1'}`", "`devices[].parent_ifname`",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': 'parent_ifname' starts "
         "or ends with a space, got the text ' ens1'.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, parent_ifname: ' ens1'}")),
    Case(DEVICE, "device `{..., numa: 1}`", "device key",
         "Topology file '{path}', host 'host1', device '0000:81:00.1': unknown key 'numa'; valid "
         "keys: address, dev_type, parent, vendor_id, product_id, physnet, numa_node, "
         "parent_ifname, remote_managed, trusted, live_migratable.",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI, numa: 1}")),
    # -- network fields
    Case(NETWORK, "network `network_1` (a bare name)", "`networks[]`",
         "Topology file '{path}', network #2 must be a mapping of keys to values, got the text "
         "'network_1'.", text=network("network_1")),
    Case(NETWORK, "network `{physnet: physnet1}`", "`networks[].name`",
         "Topology file '{path}', network #2: 'name' is required.",
         text=network("{physnet: physnet1}")),
    Case(NETWORK, "network `{name: private net}`", "`networks[].name`",
         "Topology file '{path}', network #2: 'name' contains a space at character 8; names "
         "use only ASCII letters, digits, '.', '-' and '_'.",
         text=network("{name: private net}")),
    Case(NETWORK, "network `{name: network_2}` again", "`networks[].name`",
         "Topology file '{path}': network 'network_2' is defined twice, as networks #1 and #2.",
         text=network("{name: network_2}")),
    Case(NETWORK, "network `{name: Network_2}`", "`networks[].name`",
         "Topology file '{path}': network 'Network_2' is defined twice, as networks #1 "
         "('network_2') and #2; network names ignore case, so that no two look alike in "
         "messages.", text=network("{name: Network_2}")),
    Case(NETWORK, "network `{name: n1, physnet: [physnet1]}`", "`networks[].physnet`",
         "Topology file '{path}', network 'n1': 'physnet' must be a non-empty string, got a "
         "list.", text=network("{name: n1, physnet: [physnet1]}")),
    Case(NETWORK, "network `{name: n1, physnet: \"phys\\rnet1\"}`", "`networks[].physnet`",
         "Topology file '{path}', network 'n1': 'physnet' contains a carriage return at "
         "character 5; names use only ASCII letters, digits, '.', '-' and '_'.",
         text=network('{name: n1, physnet: "phys\\rnet1"}')),
    Case(NETWORK, "network `{name: n1, vlan: 7}`", "network key",
         "Topology file '{path}', network 'n1': unknown key 'vlan'; valid keys: name, physnet.",
         text=network("{name: n1, vlan: 7}")),
    # -- flavor fields
    Case(FLAVOR, "`flavor: {ram: 4}`", "flavor key",
         "Topology file '{path}', flavor: unknown key 'ram'; valid keys: name, vcpus, "
         "memory_mb, disk_gb, extra_specs.", text=flavor("{ram: 4}")),
    Case(FLAVOR, "`flavor: {vcpus: 0}`", "`flavor.vcpus`",
         "Topology file '{path}', flavor: 'vcpus' must be a whole number from 1 to 2147483647, "
         "got 0.", text=flavor("{vcpus: 0}")),
    Case(FLAVOR, "`flavor: {memory_mb: -1}`", "`flavor.memory_mb`",
         "Topology file '{path}', flavor: 'memory_mb' must be a whole number from 0 to "
         "2147483647, got -1.", text=flavor("{memory_mb: -1}")),
    Case(FLAVOR, "`flavor: {disk_gb: false}`", "`flavor.disk_gb`",
         "Topology file '{path}', flavor: 'disk_gb' must be a whole number from 0 to "
         "2147483647, got false.", text=flavor("{disk_gb: false}")),
    Case(FLAVOR, "`flavor: {name: ''}`", "`flavor.name`",
         "Topology file '{path}', flavor: 'name' must be a non-empty string, got empty text.",
         text=flavor("{name: ''}")),
    Case(FLAVOR, "`flavor: {name: \"m1\\tsmall\"}`", "`flavor.name`",
         "Topology file '{path}', flavor: 'name' contains a tab at character 3; use printable "
         "characters only.", text=flavor('{name: "m1\\tsmall"}')),
    Case(FLAVOR, "`flavor: {name: 'm1.small '}`", "`flavor.name`",
         "Topology file '{path}', flavor: 'name' starts or ends with a space, got the text "
         "'m1.small '.", text=flavor("{name: 'm1.small '}")),
    Case(FLAVOR, "flavor `m1.medium` (a bare name in the list)", "`flavors[]`",
         "Topology file '{path}', flavor #1 must be a mapping of keys to values, got the text "
         "'m1.medium'.", text=flavors("m1.medium")),
    Case(FLAVOR, "flavor `{vcpus: 2, memory_mb: 1024, disk_gb: 2}`", "`flavors[].name`",
         "Topology file '{path}', flavor #1: 'name' is required.",
         text=flavors("{vcpus: 2, memory_mb: 1024, disk_gb: 2}")),
    Case(FLAVOR, "flavor `{name: m1.medium, vcpus: 2, memory_mb: 1024}`", "`flavors[].disk_gb`",
         "Topology file '{path}', flavor 'm1.medium': 'disk_gb' is required.",
         text=flavors("{name: m1.medium, vcpus: 2, memory_mb: 1024}")),
    Case(FLAVOR, "flavor `{name: m1.medium, vcpus: 2, ram: 1024, disk_gb: 2}`", "flavor key",
         "Topology file '{path}', flavor 'm1.medium': unknown key 'ram'; valid keys: name, "
         "vcpus, memory_mb, disk_gb, extra_specs.",
         text=flavors("{name: m1.medium, vcpus: 2, ram: 1024, disk_gb: 2}")),
    Case(FLAVOR, "flavor `m1.medium` with `vcpus: 2.5`", "`flavors[].vcpus`",
         "Topology file '{path}', flavor 'm1.medium': 'vcpus' must be a whole number from 1 to "
         "2147483647, got 2.5.", text=flavors(f"{{{MEDIUM.replace('vcpus: 2', 'vcpus: 2.5')}}}")),
    Case(FLAVOR, "flavor `m1.medium` with `memory_mb: 1 GB`", "`flavors[].memory_mb`",
         "Topology file '{path}', flavor 'm1.medium': 'memory_mb' must be a whole number from "
         "0 to 2147483647, got the text '1 GB'.",
         text=flavors(f"{{{MEDIUM.replace('1024', '1 GB')}}}")),
    Case(FLAVOR, "flavors `m1.medium` and `m1.medium`", "`flavors[].name`",
         "Topology file '{path}': flavor 'm1.medium' is defined twice, as flavors #1 and #2.",
         text=f"flavors: [{{{MEDIUM}}}, {{{MEDIUM}}}]\nhosts: [{{name: host1}}]\n"),
    Case(FLAVOR, "flavors `m1.medium` and `M1.MEDIUM`", "`flavors[].name`",
         "Topology file '{path}': flavor 'M1.MEDIUM' is defined twice, as flavors #1 "
         "('m1.medium') and #2; flavor names ignore case, as Nova's database compares them.",
         text=f"flavors: [{{{MEDIUM}}}, {{{MEDIUM.replace('m1.medium', 'M1.MEDIUM')}}}]\n"
         "hosts: [{name: host1}]\n"),
    Case(FLAVOR, "`flavor: {name: m1.medium}` and `m1.medium` in `flavors`", "`flavor.name`",
         "Topology file '{path}': flavor 'm1.medium' is defined twice, by 'flavor' and as "
         "flavors #1; give 'flavor: m1.medium' to make the listed one the default.",
         text="flavor: {name: m1.medium}\n" + flavors(f"{{{MEDIUM}}}")),
    Case(FLAVOR, "`flavor: {name: M1.medium}` and `m1.medium` in `flavors`", "`flavor.name`",
         "Topology file '{path}': flavor 'M1.medium' is defined twice, by 'flavor' and as "
         "flavors #1 ('m1.medium'); flavor names ignore case, as Nova's database compares them.",
         text="flavor: {name: M1.medium}\n" + flavors(f"{{{MEDIUM}}}")),
    Case(FLAVOR, "`extra_specs: [hw:numa_nodes]`", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium': 'extra_specs' must be a mapping of extra "
         "spec keys to text values, got a list.", text=specs("[hw:numa_nodes]")),
    Case(FLAVOR, "`extra_specs: hw:numa_nodes=1`", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium': 'extra_specs' must be a mapping of extra "
         "spec keys to text values, got the text 'hw:numa_nodes=1'.",
         text=specs("hw:numa_nodes=1")),
    Case(FLAVOR, "`flavor: {extra_specs: {hw/numa: '1'}}`", "`flavor.extra_specs`",
         "Topology file '{path}', flavor, extra spec 'hw/numa': the key contains the character "
         "'/' at character 3; extra spec keys are 1 to 255 ASCII letters, digits, spaces, '-', "
         "'_', ':' and '.', as Nova's API takes them.",
         text=flavor("{extra_specs: {hw/numa: '1'}}")),
    Case(FLAVOR, "extra spec key `\"hw:numa\\nnodes\"`", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec 'hw:numa\\nnodes': the key "
         "contains a newline at character 8; extra spec keys are 1 to 255 ASCII letters, digits, "
         "spaces, '-', '_', ':' and '.', as Nova's API takes them.",
         text=specs('{"hw:numa\\nnodes": "1"}')),
    Case(FLAVOR, "extra spec key `''`", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec '': the key is empty; extra "
         "spec keys are 1 to 255 ASCII letters, digits, spaces, '-', '_', ':' and '.', as Nova's "
         "API takes them.", text=specs("{'': '1'}")),
    Case(FLAVOR, "an extra spec key of 256 characters", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec '" + "k" * 60 + "...' (256 "
         "characters): the key is 256 characters long; extra spec keys are 1 to 255 ASCII "
         "letters, digits, spaces, '-', '_', ':' and '.', as Nova's API takes them.",
         text=specs("{" + "k" * 256 + ": '1'}")),
    Case(FLAVOR, "extra spec `{hw:numa_nodes: [1]}`", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec 'hw:numa_nodes': the value "
         "must be text, got a list.", text=specs("{hw:numa_nodes: [1]}")),
    Case(FLAVOR, "extra spec `{hw:numa_nodes: }` (nothing)", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec 'hw:numa_nodes': the value "
         "must be text, got nothing.", text=specs("{hw:numa_nodes: }")),
    Case(FLAVOR, "an extra spec value of 256 characters", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec 'hw:cpu_model': the value is "
         "256 characters long; at most 255 are allowed.",
         text=specs("{hw:cpu_model: " + "v" * 256 + "}")),
    Case(FLAVOR, "extra spec `{hw:cpu_model: \"Sky\\tlake\"}`", "`flavors[].extra_specs`",
         "Topology file '{path}', flavor 'm1.medium', extra spec 'hw:cpu_model': the value "
         "contains a tab at character 4; use printable characters only.",
         text=specs('{hw:cpu_model: "Sky\\tlake"}')),
    # -- names read as typed (accepted)
    Case(TEXT, "host `{name: 0x1f}` (YAML 1.1: the number 31)", "`hosts[].name`",
         "accepted: host '0x1f'", text=host("{name: 0x1f}"), loads=host_name),
    Case(TEXT, "host `{name: 0o17}` (YAML 1.1: octal 15)", "`hosts[].name`",
         "accepted: host '0o17'", text=host("{name: 0o17}"), loads=host_name),
    Case(TEXT, "host `{name: 017}` (YAML 1.1: octal 15)", "`hosts[].name`",
         "accepted: host '017'", text=host("{name: 017}"), loads=host_name),
    Case(TEXT, "host `{name: 1e3}`", "`hosts[].name`",
         "accepted: host '1e3'", text=host("{name: 1e3}"), loads=host_name),
    Case(TEXT, "host `{name: 1_000}` (YAML 1.1: 1000)", "`hosts[].name`",
         "accepted: host '1_000'", text=host("{name: 1_000}"), loads=host_name),
    Case(TEXT, "host `{name: 1.10}` (YAML 1.1: the float 1.1)", "`hosts[].name`",
         "accepted: host '1.10'", text=host("{name: 1.10}"), loads=host_name),
    Case(TEXT, "host `{name: yes}` (YAML 1.1: true)", "`hosts[].name`",
         "accepted: host 'yes'", text=host("{name: yes}"), loads=host_name),
    Case(TEXT, "host `{name: 2001-12-14}` (YAML 1.1: a date)", "`hosts[].name`",
         "accepted: host '2001-12-14'", text=host("{name: 2001-12-14}"), loads=host_name),
    Case(TEXT, "device `{address: 0000:81:00.1}` unquoted (YAML 1.1: base 60)",
         "`devices[].address`", "accepted: device '0000:81:00.1'",
         text=device("{address: 0000:81:00.1, dev_type: type-PCI}"),
         loads=lambda t: t.hosts[0].devices[1].address),
    Case(TEXT, "device `{address: 0000:81:0A.1}`", "`devices[].address`",
         "accepted: device '0000:81:0a.1', as Nova stores it",
         text=device("{address: 0000:81:0A.1, dev_type: type-PCI}"),
         loads=lambda t: t.hosts[0].devices[1].address),
    Case(TEXT, "extra spec `{hw:numa_nodes: 1}` (YAML 1.1: the number 1)",
         "`flavors[].extra_specs`", "accepted: extra spec value '1'",
         text=specs("{hw:numa_nodes: 1}"),
         loads=lambda t: dict(t.flavor.extra_specs)["hw:numa_nodes"]),
    Case(TEXT, "extra spec `{hw:cpu_policy: yes}` (YAML 1.1: true)", "`flavors[].extra_specs`",
         "accepted: extra spec value 'yes'", text=specs("{hw:cpu_policy: yes}"),
         loads=lambda t: dict(t.flavor.extra_specs)["hw:cpu_policy"]),
    Case(TEXT, "extra spec `{pci_passthrough:alias: a1:2}`", "`flavors[].extra_specs`",
         "accepted: extra spec value 'a1:2'", text=specs("{pci_passthrough:alias: a1:2}"),
         loads=lambda t: dict(t.flavor.extra_specs)["pci_passthrough:alias"]),
    Case(TEXT, "`flavor: 1.10` naming flavor `{name: 1.10, ...}` (YAML 1.1: the float 1.1)",
         "`flavor`", "accepted: default flavor '1.10'",
         text="flavor: 1.10\n" + flavors(f"{{{MEDIUM}}}").replace("m1.medium", "1.10"),
         loads=lambda t: t.flavor.name),
    # -- size limits
    Case(LIMIT, "10,001 hosts (aliases of one)", "`hosts`",
         "Topology file '{path}': 'hosts' lists 10001 hosts; at most 10000 are allowed in one "
         "topology.", text=aliased_hosts(10_001)),
    Case(LIMIT, "1,001 networks (aliases of one)", "`networks`",
         "Topology file '{path}': 'networks' lists 1001 networks; at most 1000 are allowed in "
         "one topology.", text=aliased_networks(1_001)),
    Case(LIMIT, "1,001 flavors (aliases of one)", "`flavors`",
         "Topology file '{path}': 'flavors' lists 1001 flavors; at most 1000 are allowed in one "
         "topology.", text=aliased_flavors(1_001)),
    Case(LIMIT, "100,001 devices on one host (aliases of one)", "`hosts[].devices`",
         "Topology file '{path}', host 'host1': 'devices' brings the topology to 100001 devices; "
         "at most 100000 are allowed in one topology.", text=aliased_devices(100_001)),
    Case(LIMIT, "a million devices in a Python list", "`hosts[].devices`",
         "Topology mapping, host 'h': 'devices' brings the topology to 1000000 devices; at most "
         "100000 are allowed in one topology.",
         data={"hosts": [{"name": "h", "devices": [{"address": "0000:81:00.0"}] * 1_000_000}]}),
    # -- Python mappings
    Case(NUMA, '`numa_cells: {id: 0}`', '`hosts[].numa_cells`',
         "Topology file '{path}', host 'host1': 'numa_cells' must be a list of cells, "
         "got a mapping.",
         text=numa_host("    numa_cells: {id: 0}\n")),
    Case(NUMA, '`numa_cells: []`', '`hosts[].numa_cells`',
         "Topology file '{path}', host 'host1': 'numa_cells' must list at least one "
         "cell.",
         text=numa_host("    numa_cells: []\n")),
    Case(NUMA, '`numa_cells: [0]`', '`hosts[].numa_cells`',
         "Topology file '{path}', host 'host1', NUMA cell #1 must be a mapping of keys "
         "to values, got 0.",
         text=numa_host("    numa_cells: [0]\n")),
    Case(NUMA, 'cell `{..., cores: 2}`', 'cell key',
         "Topology file '{path}', host 'host1', NUMA cell #1: unknown key 'cores'; "
         "valid keys: id, cpus, memory_mb, socket.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-1, memory_mb: 1024, cores: "
                        "2}]\n")),
    Case(NUMA, 'cell `{cpus: 0-1, memory_mb: 1024}`', '`numa_cells[].id`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'id' is required.",
         text=numa_host("    numa_cells: [{cpus: 0-1, memory_mb: 1024}]\n")),
    Case(NUMA, 'cell `{id: -1, ...}`', '`numa_cells[].id`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'id' must be a whole "
         "number from 0 to 1023, got -1.",
         text=numa_host("    numa_cells: [{id: -1, cpus: 0-1, memory_mb: 1024}]\n")),
    Case(NUMA, 'two cells with `id: 0`', '`numa_cells[].id`',
         "Topology file '{path}', host 'host1', NUMA cell #2: 'id' 0 is given to an "
         "earlier cell too.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-1, memory_mb: 1024}, {id: 0, "
                        "cpus: 2-3, memory_mb: 1024}]\n")),
    Case(NUMA, 'cell `{id: 0, memory_mb: 1024}`', '`numa_cells[].cpus`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'cpus' is required.",
         text=numa_host("    numa_cells: [{id: 0, memory_mb: 1024}]\n")),
    Case(NUMA, "cell `{..., cpus: 'x-y'}`", '`numa_cells[].cpus`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'cpus' must be a CPU "
         "list such as '0-3,^2' of CPUs 0 to 8191, got the text 'x-y'.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 'x-y', memory_mb: 1024}]\n")),
    Case(NUMA, 'cell `{..., cpus: 3-1}`', '`numa_cells[].cpus`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'cpus' must be a CPU "
         "list such as '0-3,^2' of CPUs 0 to 8191, got the text '3-1'.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 3-1, memory_mb: 1024}]\n")),
    Case(NUMA, 'cell `{..., cpus: 0-9000}`', '`numa_cells[].cpus`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'cpus' must be a CPU "
         "list such as '0-3,^2' of CPUs 0 to 8191, got the text '0-9000'.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-9000, memory_mb: 1024}]\n")),
    Case(NUMA, "cell `{..., cpus: '0,^0'}`", '`numa_cells[].cpus`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'cpus' names no CPU, got "
         "the text '0,^0'.",
         text=numa_host("    numa_cells: [{id: 0, cpus: '0,^0', memory_mb: 1024}]\n")),
    Case(NUMA, 'cell `{..., cpus: [0, 1]}`', '`numa_cells[].cpus`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'cpus' must be a CPU "
         "list such as '0-3,^2', got a list.",
         text=numa_host("    numa_cells: [{id: 0, cpus: [0, 1], memory_mb: 1024}]\n")),
    Case(NUMA, 'cells with `cpus: 0-1` and `cpus: 1-2`', '`numa_cells[].cpus`',
         "Topology file '{path}', host 'host1', NUMA cell #2: 'cpus' names CPU 1, "
         "which is in cell 0 already.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-1, memory_mb: 1024}, {id: 1, "
                        "cpus: 1-2, memory_mb: 1024}]\n")),
    Case(NUMA, 'cell `{id: 0, cpus: 0-1}`', '`numa_cells[].memory_mb`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'memory_mb' is required.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-1}]\n")),
    Case(NUMA, 'cell `{..., memory_mb: 0}`', '`numa_cells[].memory_mb`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'memory_mb' must be a "
         "whole number from 1 to 2147483647, got 0.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-1, memory_mb: 0}]\n")),
    Case(NUMA, 'cell `{..., socket: first}`', '`numa_cells[].socket`',
         "Topology file '{path}', host 'host1', NUMA cell #1: 'socket' must be a whole "
         "number from 0 to 1023, got the text 'first'.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-1, memory_mb: 1024, socket: "
                        "first}]\n")),
    Case(NUMA, '`cpu_dedicated_set: 0-1` without cells', '`hosts[].cpu_dedicated_set`',
         "Topology file '{path}', host 'host1': 'cpu_dedicated_set' needs "
         "'numa_cells', the cells whose CPUs it names.",
         text=numa_host("    cpu_dedicated_set: 0-1\n")),
    Case(NUMA, '`cpu_dedicated_set: 0-5`, cell `cpus: 0-1`', '`hosts[].cpu_dedicated_set`',
         "Topology file '{path}', host 'host1': 'cpu_dedicated_set' names CPU(s) 2-5 "
         "that no NUMA cell has; the cells have CPUs 0-1.",
         text=numa_host("    cpu_dedicated_set: 0-5\n    numa_cells: [{id: 0, cpus: "
                        "0-1, memory_mb: 1024}]\n")),
    Case(NUMA, '`cpu_dedicated_set: 0-1`, `cpu_shared_set: 1-3`', '`hosts[].cpu_shared_set`',
         "Topology file '{path}', host 'host1': CPU(s) 1 are in both "
         "'cpu_dedicated_set' and 'cpu_shared_set'; a CPU is one or the other.",
         text=numa_host("    cpu_dedicated_set: 0-1\n    cpu_shared_set: 1-3\n    "
                        "numa_cells: [{id: 0, cpus: 0-3, memory_mb: 1024}]\n")),
    Case(NUMA, 'device `{..., numa_node: 1}` on a host with cell 0 only', '`devices[].numa_node`',
         "Topology file '{path}', host 'host1', device '0000:81:00.0': 'numa_node' 1 "
         "is not a NUMA cell of the host; cells: 0.",
         text=numa_host("    numa_cells: [{id: 0, cpus: 0-1, memory_mb: 1024}]\n    "
                        "devices: [{address: 0000:81:00.0, dev_type: type-PCI, "
                        "numa_node: 1}]\n")),
    Case(IMAGE, "`images: []`", "`images`",
         "Topology file '{path}': 'images' must be a non-empty list of images, got a list.",
         text="images: []\nhosts: [{name: host1}]\n"),
    Case(IMAGE, "image `{properties: {}}`", "`images[].name`",
         "Topology file '{path}', image #1: 'name' is required.", text=images("{properties: {}}")),
    Case(IMAGE, "image `{name: i1, os: linux}`", "`images[]`",
         "Topology file '{path}', image 'i1': unknown key 'os'; valid keys: name, properties.",
         text=images("{name: i1, os: linux}")),
    Case(IMAGE, "images `i1` and `I1`", "`images[].name`",
         "Topology file '{path}': image 'I1' is defined twice, as images #1 ('i1') and #2; "
         "image names ignore case, so that no two look alike in messages.",
         text=images("{name: i1}\n  - {name: I1}")),
    Case(IMAGE, "`properties: [hw_numa_nodes]`", "`images[].properties`",
         "Topology file '{path}', image 'i1': 'properties' must be a mapping of image properties "
         "to text values, got a list.", text=props("[hw_numa_nodes]")),
    Case(IMAGE, "property `{hw_numa_nodes: [1]}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_numa_nodes': the value must be text, "
         "got a list.", text=props("{hw_numa_nodes: [1]}")),
    Case(IMAGE, "property `{hw_numa_nodes: 0}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_numa_nodes': must be a whole number "
         "1 to 128, got '0'.", text=props("{hw_numa_nodes: 0}")),
    Case(IMAGE, "property `{hw_cpu_policy: mixed}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_cpu_policy': must be one of shared, "
         "dedicated, got 'mixed'.", text=props("{hw_cpu_policy: mixed}")),
    Case(IMAGE, "property `{hw_pci_numa_affinity_policy: strict}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_pci_numa_affinity_policy': must be "
         "one of required, legacy, preferred, socket, got 'strict'.",
         text=props("{hw_pci_numa_affinity_policy: strict}")),
    Case(IMAGE, "property `{hw_numa_cpus.0: 0-x}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_numa_cpus.0': must be a CPU list such "
         "as '0-1,3', got '0-x'.", text=props("{hw_numa_cpus.0: 0-x}")),
    Case(IMAGE, "property `{hw_numa_mem.0: lots}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_numa_mem.0': must be a whole number "
         "of MB of at least 1, got 'lots'.", text=props("{hw_numa_mem.0: lots}")),
    Case(IMAGE, "property `{hw_numa_mem.x: 512}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_numa_mem.x': the node must be a whole "
         "number 0 to 127, as in hw_numa_mem.0.", text=props("{hw_numa_mem.x: 512}")),
    Case(IMAGE, "properties `hw_numa_cpus.0` and `hw_numa_cpus.2`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_numa_cpus.2': it needs "
         "'hw_numa_cpus.1'; Nova reads hw_numa_cpus.0, .1 and on, and stops at the first "
         "missing one.", text=props("{hw_numa_cpus.0: '0', hw_numa_cpus.2: '1'}")),
    Case(IMAGE, "property `{hw_mem_page_size: large}`", "`images[].properties`",
         "Topology file '{path}', image 'i1', property 'hw_mem_page_size': is not an image "
         "property the library models; it models hw_cpu_policy, hw_numa_nodes, hw_numa_cpus.N, "
         "hw_numa_mem.N, hw_pci_numa_affinity_policy.", text=props("{hw_mem_page_size: large}")),
    Case(TEXT, "property `{hw_numa_nodes: 1}` (YAML 1.1: the number 1)", "`images[].properties`",
         "accepted: image property value '1'", text=props("{hw_numa_nodes: 1}"),
         loads=lambda t: t.images[0].property("hw_numa_nodes")),
    Case(PYTHON, "`{'properties': {'hw_numa_nodes': 1}}`", "`images[].properties`",
         "Topology mapping, image 'i1', property 'hw_numa_nodes': the value must be text, got 1.",
         data={"images": [{"name": "i1", "properties": {"hw_numa_nodes": 1}}],
               "hosts": [{"name": "h"}]}),
    Case(PYTHON, "`{'name': b'host1'}`", "`hosts[].name`",
         "Topology mapping, host #1: 'name' must be a non-empty string, got binary data.",
         data={"hosts": [{"name": b"host1"}]}),
    Case(PYTHON, "`{'name': 31}`", "`hosts[].name`",
         "Topology mapping, host #1: 'name' must be a non-empty string, got 31.",
         data={"hosts": [{"name": 31}]}),
    Case(PYTHON, "`{'vcpus': datetime.date(2001, 12, 14)}`", "`hosts[].vcpus`",
         "Topology mapping, host 'h': 'vcpus' must be a whole number from 1 to 2147483647, got "
         "a date.", data={"hosts": [{"name": "h", "vcpus": datetime.date(2001, 12, 14)}]}),
    Case(PYTHON, "`{'vcpus': float('nan')}`", "`hosts[].vcpus`",
         "Topology mapping, host 'h': 'vcpus' must be a whole number from 1 to 2147483647, got "
         "not-a-number (.nan).", data={"hosts": [{"name": "h", "vcpus": float("nan")}]}),
    Case(PYTHON, "`{'vcpus': 2**100}`", "`hosts[].vcpus`",
         "Topology mapping, host 'h': 'vcpus' must be a whole number from 1 to 2147483647, got "
         "1267650600228229401496703205376.", data={"hosts": [{"name": "h", "vcpus": 2**100}]}),
    Case(PYTHON, "`{'hosts': {'h'}}` (a set)", "`hosts`",
         "Topology mapping: 'hosts' must be a non-empty list of hosts, got a set.",
         data={"hosts": {"h"}}),
    Case(PYTHON, "`{1: 'host1'}`", "top-level key",
         "Topology mapping: keys must be strings, got 1 as a key.", data={1: "host1"}),
    Case(PYTHON, "`{'hosts': [{'name': 'h', 'devices': object()}]}`", "`hosts[].devices`",
         "Topology mapping, host 'h': 'devices' must be a list of devices or 'fake-driver', got "
         "a value that is not text, a number, a list or a mapping.",
         data={"hosts": [{"name": "h", "devices": object()}]}),
    Case(PYTHON, "`{'extra_specs': {'hw:numa_nodes': 1}}`", "`flavor.extra_specs`",
         "Topology mapping, flavor, extra spec 'hw:numa_nodes': the value must be text, got 1.",
         data={"flavor": {"extra_specs": {"hw:numa_nodes": 1}}, "hosts": [{"name": "h"}]}),
    Case(PYTHON, "`{'extra_specs': {1: '1'}}`", "`flavor.extra_specs`",
         "Topology mapping, flavor: 'extra_specs' keys must be strings, got 1 as a key.",
         data={"flavor": {"extra_specs": {1: "1"}}, "hosts": [{"name": "h"}]}),
]  # fmt: skip

# What a message must never show: Python's own words for values and errors.
PYTHON_WORDS = re.compile(
    r"Error|Exception|Traceback|\bNone\b|\bTrue\b|\bFalse\b|datetime|(?<![*&])\bb'|(?<!\.)\b(nan|inf)\b"
    r"|<\w+|0x[0-9a-f]{6,}|\blist\(|(?<!!)\b(dict|str|int)\b"
)


def run(case: Case, tmp_path: Path) -> tuple[str | None, Topology | None]:
    """The message a case gives (or None), and the topology when it loads."""
    try:
        if case.data is not None:
            return None, topology_from_mapping(case.data)
        if case.make is not None:
            path = case.make(tmp_path)
        else:
            path = tmp_path / case.name
            if isinstance(case.text, bytes):
                path.write_bytes(case.text)
            elif case.text is not None:
                path.write_text(case.text, encoding="utf-8")
        return None, load_topology(path)
    except TopologyError as error:
        return str(error), None


@pytest.mark.parametrize("case", CASES, ids=[case.id(n) for n, case in enumerate(CASES, 1)])
def test_bad_input_gives_its_one_sentence(case: Case, tmp_path: Path) -> None:
    if case.make is unreadable and os.geteuid() == 0:
        pytest.skip("root reads any file")
    message, topology = run(case, tmp_path)
    if case.loads is not None:
        assert message is None, message
        assert case.message.startswith("accepted: ")
        assert f"'{case.loads(topology)}'" in case.message  # type: ignore[arg-type]
        return
    assert message is not None, "loaded, but should have been refused"
    assert message == case.message.replace("{path}", str(tmp_path / case.name))
    assert "\n" not in message
    assert message.endswith(".")
    assert not PYTHON_WORDS.search(message.replace(str(tmp_path), "")), message


def test_the_docs_table_lists_every_case() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"{BEGIN}\n{table()}{END}" in text, (
        "docs/bad-input.md is out of date: run python tests/cluster/test_topology_bad_input.py"
    )


def test_at_least_80_rows() -> None:
    assert len(CASES) >= 80
    assert len({(case.shown, case.field) for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    "text",
    [laughs(9), merge_laughs(9), "hosts: " + "[" * 100_000 + "]" * 100_000 + "\n"],
    ids=["billion-laughs", "merge-laughs", "deep-nesting"],
)
def test_hostile_yaml_is_refused_in_little_memory(tmp_path: Path, text: str) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(TopologyError):
            load_topology(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # the file is read whole (< 1 MB); nothing else may grow


def test_a_hundred_thousand_devices_load(tmp_path: Path) -> None:
    # Validation is linear: a dict of addresses per host, a set of PFs.
    lines = ["hosts:"]
    for index in range(10):
        lines.append(f"  - name: host{index}\n    devices:")
        lines += [
            f"      - {{address: '0000:{bus:02x}:{slot:02x}.{function}', dev_type: type-PCI}}"
            for bus in range(40) for slot in range(32) for function in range(8)
        ][:10_000]  # fmt: skip
    path = tmp_path / "big.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    topology = load_topology(path)
    assert sum(len(spec.devices) for spec in topology.hosts) == 100_000


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    """The Markdown sections of docs/bad-input.md, one table per category."""
    out: list[str] = []
    for category, rule in RULES.items():
        rows = [case for case in CASES if case.category == category]
        out += [f"### {category}", "", rule, "", "| input | field | message |", "|---|---|---|"]
        for case in rows:
            message = case.message.replace("{path}", case.name)
            shown = message if case.loads else f"`{message}`"
            out.append(f"| {cell(case.shown)} | {cell(case.field)} | {cell(shown)} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    DOC.write_text(f"{head}{BEGIN}\n{table()}{END}{tail}", encoding="utf-8")
    sys.stdout.write(f"{DOC}: {len(CASES)} cases\n")
