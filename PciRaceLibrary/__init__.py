"""PciRaceLibrary: reproduce OpenStack Nova PCI races as readable Robot Framework tests."""

from __future__ import annotations

import inspect
import re
from datetime import timedelta
from typing import Any

from robot.api import logger
from robot.running import EXECUTION_CONTEXTS
from robot.utils import getshortdoc
from robotlibcore import DynamicCore
from robotlibcore.keywords import KeywordBuilder

from .cluster import Cluster, operations
from .cluster.variants import VARIANTS
from .errors import ApiRefused, InvalidArgument
from .keywords import (
    CheckKeywords,
    ClusterKeywords,
    DelayKeywords,
    ExploreKeywords,
    MoveKeywords,
    NovaCheckKeywords,
    NUMAKeywords,
    PciCheckKeywords,
    PeriodicKeywords,
    PortKeywords,
    ReportKeywords,
    ServerKeywords,
    ShelveKeywords,
)
from .keywords.arguments import (
    CONVERTERS,
    ArgumentShape,
    Invalid,
    refuse_invalid,
    timestr,
    to_timedelta,
)
from .report import bounded_journal, bounded_state, render_state, render_timeline
from .scopes import ClusterScopes
from .sim import Kernel

__version__ = "0.1.0"

_INTRO = """\
PciRaceLibrary reproduces race conditions of OpenStack Nova's PCI device
accounting as readable acceptance tests.

The keywords drive an in-process fake compute cluster: a deterministic model
of the parts of Nova that track PCI devices (SR-IOV direct ports) through
server build, evacuation, cold migration and resize, live migration, shelve
and unshelve, the periodic ``update_available_resource`` audit, delete,
rebuild and compute service restarts. Nothing sleeps and nothing
runs in threads: the same suite gives the same timeline every time, in
milliseconds.

The first race it reproduces is Nova bug 1896463: an evacuation that drops
its migration context while the destination's periodic audit has read the
instance list but not yet the migration list, so the audit frees the PCI
device the evacuation just claimed.

| `Start Cluster`                           | bugs=1896463 | microversion=2.94 |
| `Create Server With Direct Port`          | vm1   | host=host1 |
| `Stop Compute Service`                    | host1 |
| `Force Down Compute Service`              | host1 |
| `Evacuate Server With Direct Port`        | vm1   | ComputeDriver.rebuild=0.5 s | drop_migration_context=1 s |
| `Run Periodic Update Available Resource`  | host2 | get_in_progress_and_error=2 s |
| `Wait Until Server Has`                   | vm1   | host=host2 | status=ACTIVE | timeout=30 s |
| `PCI Allocation On Host Should Be`        | vm1   | host1 | 1 |
| `PCI Allocation On Host Should Be`        | vm1   | host2 | 0 |

== Table of contents ==

%TOC%

= Virtual time =

The cluster has its own clock, in seconds from 0 when `Start Cluster` runs.
It moves only when the library runs the cluster's tasks, and only as far as
injected delays and timeouts take it: a 2 second delay costs no wall-clock
time at all.

Keywords have one of these roles, and the name says which:

| =Role= | =Keywords= | =Time= |
| action | `Evacuate Server`, `Live Migrate Server`, `Delete Server`, ... | starts an operation and returns at once, as Nova's API answers 202; nothing runs yet |
| run | `Run Periodic Update Available Resource`, `Run Periodics`, `Start Compute Service`, `Create Server With Direct Port` | runs the cluster until that work is done; operations started earlier progress meanwhile |
| wait | `Wait Until Server Has`, `Wait Until Server Is Active`, `Wait Until Migration Status Is` | runs the cluster until a condition holds or the timeout passes |
| check | `... Should Be ...` | reads the state now; never moves the clock |
| query | `Get PCI Allocations` | returns plain data; never moves the clock |
| report | `Log Timeline`, `Log Cluster State` | writes HTML to the log |

Tasks run until they block on a delay, a lock or a wait; a point without a
delay does not hand control to another task. Tasks that become runnable at
the same virtual time run in the order they became runnable, so an
evacuation started before an audit runs first. Locks are per compute host
and fair (first come, first served), as in Nova.

= Clusters and topology files =

`Start Cluster` without a topology builds Nova's regression-test cluster:
hosts ``host1`` and ``host2``, each with the six devices of Nova's fake PCI
driver: three PFs with one VF each, bus 01 on ``physnet1`` and buses 02 and
03 on ``physnet2``. Servers get their port on ``network_2`` (``physnet2``),
so each server takes one VF of bus 02 or 03. Its flavors are ``m1.small``
(1 vCPU, 512 MB, 1 GB), the default, and ``m1.medium`` (2 vCPU, 1024 MB,
2 GB); `Create Server` and `Create Server With Direct Port` take
``flavor=m1.medium``.

Other clusters are YAML files:

| flavor: m1.small                    # the default flavor
| flavors:                            # without it: m1.small and m1.medium
|   - {name: m1.small, vcpus: 1, memory_mb: 512, disk_gb: 1}
|   - {name: m1.numa, vcpus: 2, memory_mb: 1024, disk_gb: 2, extra_specs: {"hw:numa_nodes": "1"}}  # host3 only
| hosts:
|   - name: host1
|     devices: fake-driver            # the six devices above
|   - name: host3
|     numa_cells: [{id: 0, cpus: "0-3", memory_mb: 8192}]
|     devices:
|       - {address: "0000:81:00.0", dev_type: type-PF, physnet: physnet2}
|       - {address: "0000:81:00.1", dev_type: type-VF, parent: "0000:81:00.0", physnet: physnet2}

A file that cannot describe a cluster fails `Start Cluster` with a message
naming the file, host, flavor, device and field, and the running cluster is
kept. Extra specs are carried on the servers' flavors; the model acts on the
NUMA ones: ``hw:numa_nodes``, ``hw:numa_cpus.N``, ``hw:numa_mem.N``,
``hw:cpu_policy`` and ``hw:pci_numa_affinity_policy``. A host may list its
NUMA cells (``numa_cells`` with ``id``, ``cpus``, ``memory_mb``, ``socket``,
and ``cpu_dedicated_set``/``cpu_shared_set``); a host without them reports no
NUMA topology, so a guest that asks for one does not go there (the
scheduler's NUMATopologyFilter). `NUMA Placement Of Server Should Be` and
`NUMA Usage On Host Should Be` check where guests are placed and pinned.
Placement gets VCPU from ``cpu_shared_set`` and PCPU from
``cpu_dedicated_set`` (every CPU as VCPU with neither), and a pinned server
asks for PCPU, or for VCPU on a host without PCPU (Nova's fallback query),
which `Placement Allocations Should Be` ``flavor`` follows. The
shipped ``acceptance/topologies/numa_hosts.yaml`` is an example; the
topology reference (``PciRaceLibrary/cluster/topology.py``) describes every
key.

A topology's ``pci`` section is Nova's ``[pci]`` configuration:
``device_spec`` (which reported devices are tracked, with their
``physical_network``, ``remote_managed``, ``trusted`` and ``live_migratable``
tags) and ``alias`` (what a flavor's ``pci_passthrough:alias: a1:2,a2:1``
asks for); ``enabled_filters: [PciPassthroughFilter]`` lets the scheduler
filter hosts by their free devices. `Create Port` makes ports of any vnic
type for `Create Server` ``ports=p1,p2``; `PCI Devices Of Server Should Be`
and `PCI Pools On Host Should Be` check the outcome. The shipped example is
``acceptance/topologies/pci_requests.yaml``; docs/topology.md is the full
reference.

The library ships these, named without a path (`Start Cluster    two_physnets`):

| =Name= | =Cluster= |
| ``three_hosts`` | ``host1`` to ``host3``, each with the six fake-driver devices |
| ``small_host2`` | ``host1`` as the default; ``host2`` with one PF and one VF on ``physnet2`` |
| ``dense`` | two hosts with four PFs of four VFs each on ``physnet2``, over two NUMA nodes |
| ``two_physnets`` | ``host1`` to ``host3`` (16 vCPU, 16384 MB each), each with a PF of four VFs on ``physnet1`` (``0000:81:00.x``, network ``network_1``) and one on ``physnet2`` (``0000:82:00.x``, ``network_2``); ``private`` is a network for normal ports |

= Delays and interleaving points =

Every operation passes named points, called as Nova names the method
(``Class.method``). A delay at a point holds the task there for that much
virtual time each time it passes, as a patched method with a sleep would
in Nova's own tests. Give delays as free named arguments of the operation
keyword, with the full name or, where it is unique among that operation's
points, the part after the dot, in Robot Framework time format:

| `Evacuate Server With Direct Port` | vm1 | ComputeDriver.rebuild=0.5 s | drop_migration_context=1 s |

A point the operation passes several times (``Instance.save``) can be delayed
at one pass only: ``Instance.save#2=1 s`` holds the second pass.

`Inject Delay` delays every task at a point instead, and `Clear Injected
Delays` removes such delays. `Inject Failure` makes a point fail; points
that can fail: {failure_points}. An unknown or ambiguous point name fails
and lists the valid ones.

The points of each operation, in the order it passes them:

| =Operation= | =Keywords= | =Points= |
{points_table}

= Exploring interleavings =

Hand-tuned delays find a race only where someone already looked.
`Explore Interleavings` starts the work of every racing step, whatever kind
of keyword it is, and runs all of it under many *schedules*: at every point a
task passes while another could run, the explorer may switch tasks (a
*preemption*); where a task blocks or ends, it chooses freely who runs next.
``exhaustive`` tries every schedule with 0 preemptions, then with 1, and so
on up to ``bound`` (CHESS's preemption bounding, by iterative deepening), and
its message says the bound it reached completely, for example "complete to
bound 2: every schedule with at most 2 preemption(s) was run (switches where a
task blocked or ended are free); none with more". An exploration stopped by its cap or budget
before that fails unless ``complete=False``. ``pct`` and ``random`` sample
the space from a seed. Each schedule starts from a fresh cluster made by the
set-up keyword.

Failing schedules are grouped by outcome and failure; the smallest of each
group is shrunk and reported with a *replay token* (``PCR2:13=1,17=1:626b``)
for `Replay Schedule`, its timeline in the log, and the same interleaving
written as an ordinary test that uses delays only (``Instance.save#2=0.5 s``),
next to output.xml.

| `Explore Interleavings` | Server On Failed Host | Resource Accounting Should Be Consistent |
| ... | Evacuate Server With Direct Port | vm1 | AND | Run Periodic Update Available Resource | host2 |
| ... | bound=2 | expect_race=True | settle=Run Periodics |

= Bug variants =

`Start Cluster` models current Nova. ``bugs=`` restores the code paths of
Nova before the fix of the bugs named, comma-separated:

| =Bug= | =What goes wrong= | =Fix= |
{variants_table}

= Timeouts =

Every run and wait keyword takes ``timeout``, in virtual time (``30 s``,
``1 min``). Without it, a wait keyword waits the library's ``timeout``
import argument, one minute of virtual time by default; a run keyword waits
that plus the sum of the delays given to it, so
`Run Periodic Update Available Resource` with
``get_in_progress_and_error=300 s`` waits up to six minutes. A timeout that
passes moves the clock to its end, as real waiting would. The ``guard``
import argument is different: it is wall-clock time, a safety net against a
model that loops forever.

= Reading failures =

Every failure message says what was expected, what was found and at which
virtual time (``t=2.000s``). When a keyword fails the library also logs the
timeline of the scenario (`Log Timeline`) and the state of the hosts and
servers the scenario touched (`Log Cluster State` shows all of it) under
the failing keyword in log.html. Both are bounded, so a failure on a cluster
of thousands of hosts logs kilobytes: the timeline keeps the tasks that
changed PCI devices, migrations or servers, then those that ran last (six
at most, and its last 120 entries) and leaves out the folded table of every
entry (`Log Timeline` has it; the chart's marks name each entry), and each
state table keeps its first 20 rows; their headings say how much was left
out. A failure the suite expects,
inside ``Run Keyword And Expect Error``, ``Run Keyword And Ignore Error``,
``Run Keyword And Return Status``, the retries of ``Wait Until Keyword
Succeeds`` or the body of a ``TRY`` with an ``EXCEPT``, logs only its
message, and nothing is rendered for it. Only its last failure, when
``Wait Until Keyword Succeeds`` gives up, logs the timeline and the state.

= Microversions =

`Start Cluster` takes the compute API microversion of the suite's requests,
``2.1`` to ``2.104``, or ``latest`` (the default, 2.104). Where Nova's API
behaves differently across microversions, so does the model:

| =Microversion= | =Behaviour= |
| 2.29 to 2.67 | `Evacuate Server` takes ``force=True`` with a ``target_host``: no scheduler, the host is claimed in placement directly |
| 2.30 to 2.67 | `Live Migrate Server` takes ``force=True`` with a ``target_host``, the same way |
| any | `Live Migrate Server` is answered before the conductor's checks, as from 2.34: their refusals show as the record's ``error``, never as a failing keyword (the synchronous answer of older microversions is not modelled) |
| 2.95 and later | an evacuated server ends ``SHUTOFF``: after the rebuild the destination sets task ``powering-off`` and stops the guest (``ComputeDriver.power_off``), all before the evacuation finishes, so meanwhile the server is still on the source with a ``pre-migrating`` record |
| before 2.95 | an evacuated server ends as it was: ``ACTIVE``, or ``SHUTOFF`` if it was stopped |
| 2.91 and later | `Unshelve Server` takes a ``host`` for an offloaded server (refused before 2.91) |

`Evacuate Server` and `Evacuate Server With Direct Port` take
``microversion=`` for one request. A wait for ``ACTIVE`` after an evacuation
that stopped the server says so, and which microversion keeps it active.
Evacuation accepts a server in any task state (bug 1978983), as Nova's API
declares it.

= Periodic audits =

In a real cloud every compute runs its resource audit on its own every
``update_resources_interval`` (60 seconds by default), so long operations
overlap audits nobody asked for. `Start Periodic Audits` models that: while
it runs, every run and wait keyword lets each running compute start its
audit at each tick, as its own task on the timeline. Without offsets every
host's first audit comes one interval after the keyword; hosts due at the
same instant start in host order. A stopped compute skips its tick, and so
does a host whose previous timer audit still runs (Nova's periodic tasks
never overlap themselves). The timer is not work to wait for: `Run Until
Idle` ends when the operations do. `Start Cluster` drops it, and
`Stop Periodic Audits` stops it.

= What the audit frees, and when =

PCI devices are not recomputed by the periodic audit: a device stays
``allocated`` until something frees it, and the audit frees only the
devices of instances that are neither listed on its host nor in a migration
touching it. A destination does not track an evacuated server until its
next audit, so a server deleted right after its evacuation leaves its device
allocated on the destination until then:

| `Evacuate Server With Direct Port`       | vm1 |
| `Wait Until Server Has`                  | vm1 | host=host2 | status=SHUTOFF |
| `Delete Server`                          | vm1 |
| `Run Until Idle`                         |     |
| `PCI Allocation On Host Should Be`       | vm1 | host2 | 1 | # not yet freed |
| `Run Periodic Update Available Resource` | host2 |
| `PCI Allocation On Host Should Be`       | vm1 | host2 | 0 | # the audit healed it |

A source host that is down keeps the devices of servers evacuated away from
it until `Start Compute Service` runs its start-up audit. Check
`Resource Accounting Should Be Consistent` after such an audit, or expect
the transient.

vCPU, RAM and disk usage, unlike devices, the audit recomputes from scratch,
and `Resource Accounting Should Be Consistent` compares each running
compute's count with what placement holds on it. Current Nova leaves a few
windows where an audit counts a server out (or in) until the host's next
audit, and the check reports them; give ``usage=False`` to check devices and
placement only:

| =Window= | =What the audit sees= |
| an evacuation between its rebuild and its finish | the server still on the source and no longer rebuilding: the destination misses it |
| a live migration without NUMA | no move claim: the destination counts the server only from its next audit (a NUMA server's move claim counts it at once) |
| a revert between the destination's drop and the source's finish | the server still on the destination: it counts it again |

A bug variant's harm is often exactly such a count, lasting until the next
audit (bugs 1879878, 1791075, 2025480): assert the count right after the
race, with `Resource Usage On Host Should Be` or `Get Resource Usage`.

= Clusters per test =

A cluster started in a test belongs to that test and is gone when the test
ends. A cluster started in a suite set-up belongs to the suite: its tests
work on it as long as they start none of their own. A test that runs a
cluster keyword with neither fails with "No cluster is running". So tests
give the same verdicts in any order (``--randomize all``, pabot).

On the timeline, read across the lanes at one instant: the order of the
marks is the order in which the tasks ran. For bug 1896463 the audit lane
reads the instance list at t=0, then waits at
``MigrationList.get_in_progress_and_error`` while the evacuation lane
finishes at t=1.5; at t=2 the audit frees the VF on ``host2``, which is
marked in red.
"""  # noqa: E501


_STEP_TAGS = {"Action", "Run", "Wait", "Setup", "Timing"}

# Keywords that run another one expecting that it may fail: a failure inside
# them is part of a passing test, so it logs no timeline.
_CATCHING = frozenset(
    f"BuiltIn.{name}"
    for name in (
        "Run Keyword And Expect Error",
        "Run Keyword And Ignore Error",
        "Run Keyword And Return Status",
        "Run Keyword And Warn On Failure",
        "Wait Until Keyword Succeeds",
    )
)


_RETRYING = "BuiltIn.Wait Until Keyword Succeeds"


def _catches(branch: Any) -> bool:
    """Whether a TRY block's branch is its TRY body and an EXCEPT follows:
    only there is a failure expected (EXCEPT, ELSE and FINALLY bodies fail
    the test as any other step does)."""
    return branch.type == "TRY" and any(b.type == "EXCEPT" for b in branch.parent.body)


def _cell(value: object) -> str:
    """A keyword argument as the suite would write it (``0.5 s``, not a timedelta)."""
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s"
    return str(value)


def _points_table() -> str:
    """One row per operation record: its keywords and points, in order."""
    rows = []
    for operation in operations.all_operations():
        keywords = ", ".join(f"`{name}`" for name in operation.keywords) or "-"
        names = ", ".join(f"``{name}``" for name in operation.unique_points)
        rows.append(f"| {operation.name} | {keywords} | {names} |")
    return "\n".join(rows)


def _variants_table() -> str:
    return "\n".join(
        f"| {bug} | {variant.title} | {variant.fix} |" for bug, variant in sorted(VARIANTS.items())
    )


# Keyword specifications by function, worked out once a process: robotlibcore
# reads every keyword's signature, type hints and docstring again for each
# library instance (about 70 ms), and Robot makes several instances a run.
_SPECS: dict[tuple[object, bool], Any] = {}


def _spec_of(method: Any) -> Any:
    """robotlibcore's specification of ``method`` (argument spec, docstring,
    types), which depends only on its function and whether it is bound."""
    bound = inspect.ismethod(method)
    key = (getattr(method, "__func__", method), bound)
    spec = _SPECS.get(key)
    if spec is None:
        spec = _SPECS[key] = KeywordBuilder.build(method, {})
    return spec


# Robot reads a keyword's documentation for a "Tags:" line at every call.
_TAGS_LINE = re.compile(r"^Tags:", re.IGNORECASE | re.MULTILINE)


def _running_doc(doc: str) -> str:
    """What a run needs of a keyword's documentation: its first paragraph.

    A run shows no more of it (log.html and output.xml show the first
    paragraph), but Robot searches the whole text for a "Tags:" line at
    every call, and again for the first paragraph: for our libdoc-length
    docstrings, 1.0M of a race test's 23M instructions. Libdoc runs outside
    a run and gets it all; a "Tags:" line keeps the whole text. (A listener
    reading ``implementation.doc`` in a run gets the first paragraph.)"""
    return doc if _TAGS_LINE.search(doc) else getshortdoc(doc)


def _running_tags(tags: list[str]) -> list[str]:
    """What a run needs of a keyword's tags: the reserved ``robot:`` ones.

    The others (Setup, Action, Check, ...) group the keywords in libdoc. In a
    run Robot would copy them into every call's result, write them to
    output.xml, normalise them again while it reads it back for log.html and
    show them under each keyword: for a race test, 1.3M of its 20M
    instructions, for a line few readers look at."""
    return [tag for tag in tags if tag.lower().startswith("robot:")]


def _import_times(timeout: str, guard: str) -> tuple[float, float] | str:
    """The import arguments in seconds, or why they are unusable."""
    times = []
    for name, value in (("timeout", timeout), ("guard", guard)):
        converted = to_timedelta(value)
        if isinstance(converted, Invalid):
            return converted.sentence(f"Library argument '{name}'")
        times.append(converted.total_seconds())
    if times[0] < 0 or times[1] <= 0:
        return (
            "Library arguments 'timeout' and 'guard' must be positive times, got "
            f"{timestr(times[0])} and {timestr(times[1])}."
        )
    return times[0], times[1]


class PciRaceLibrary(DynamicCore):
    ROBOT_LIBRARY_SCOPE = "SUITE"
    ROBOT_LIBRARY_VERSION = __version__
    ROBOT_LIBRARY_DOC_FORMAT = "ROBOT"
    ROBOT_LISTENER_API_VERSION = 3
    ROBOT_LIBRARY_CONVERTERS = CONVERTERS  # one sentence for what does not convert

    def __init__(self, timeout: str = "1 minute", guard: str = "30 seconds") -> None:
        """Sets the default ``timeout`` of run and wait keywords, in virtual
        time, and the wall-clock ``guard`` of one run (see `Timeouts`), both in
        Robot Framework's time format.

        | Library | PciRaceLibrary | timeout=2 min | guard=10 s |
        """
        # Converted here, not by Robot: a bad import argument then fails every
        # keyword with one sentence, where Robot's conversion would stop the
        # whole run with a traceback.
        times = _import_times(timeout, guard)
        self.import_error = times if isinstance(times, str) else None
        self.default_timeout, self.guard_seconds = (60.0, 30.0) if self.import_error else times
        self.scopes = ClusterScopes()
        self.suite_clusters: set[str] = set()
        self.quiet = False  # exploring: no failure context per schedule
        self.catching = 0  # keywords and TRY blocks around us that expect failures
        self.last_scenario: object | None = None  # of this test, for Replay Schedule
        self.keywords_started = 0  # by Robot, in all: see keywords/direct.py
        self.recording: list[tuple[str, tuple, dict]] | None = None  # calls we receive
        self.suite_explorations: list[str] = []
        self.ROBOT_LIBRARY_LISTENER = self  # scopes clusters to tests and suites
        self._shapes: dict[str, ArgumentShape] = {}  # see _shape_of
        self._steps: dict[str, bool] = {}  # keyword name -> marked on the timeline
        self._checks: set[str] | None = None  # see is_check
        DynamicCore.__init__(
            self,
            [
                ClusterKeywords(self),
                ServerKeywords(self),
                PortKeywords(self),
                MoveKeywords(self),
                ShelveKeywords(self),
                PeriodicKeywords(self),
                DelayKeywords(self),
                CheckKeywords(self),
                NovaCheckKeywords(self),
                PciCheckKeywords(self),
                NUMAKeywords(self),
                ReportKeywords(self),
                ExploreKeywords(self),
            ],
        )

    def add_library_components(
        self,
        library_components: list,
        translation: dict | None = None,
        translated_kw_names: list | None = None,
    ) -> None:
        """robotlibcore's registration of the components' keywords, with each
        keyword's specification built once a process (see ``_spec_of``)."""
        if translation or translated_kw_names:  # robotlibcore's own way
            DynamicCore.add_library_components(
                self, library_components, translation, translated_kw_names
            )
            return
        self.keywords_spec["__init__"] = _spec_of(self.__init__)
        for component in library_components:
            cls = type(component)
            for name in dir(component):
                # From the class where it has it: a property is not called.
                func = getattr(cls if hasattr(cls, name) else component, name)
                if callable(func) and hasattr(func, "robot_name"):
                    method = getattr(component, name)
                    kw_name = func.robot_name or name
                    self.keywords[kw_name] = method
                    self.keywords_spec[kw_name] = _spec_of(method)
                    self.attributes[name] = self.attributes[kw_name] = method

    def new_kernel(self) -> Kernel:
        """A kernel for a new cluster, with the library's wall-clock guard."""
        return Kernel(guard_seconds=self.guard_seconds)

    @property
    def running_cluster(self) -> Cluster | None:
        """The test's cluster, else the suite's, else None."""
        return self.scopes.running

    def replace_cluster(self, cluster: Cluster) -> None:
        """Makes ``cluster`` the running one of the current test (or suite,
        in a suite set-up); the one it replaces has its tasks cancelled."""
        self.scopes.replace(cluster)

    # -- listener: clusters and exploration memory per test ---------------------------

    def _start_test(self, data: Any, result: Any) -> None:
        self.scopes.start_test()
        self.last_scenario = None

    def _end_test(self, data: Any, result: Any) -> None:
        self.scopes.end_test()
        self.last_scenario = None

    def _end_suite(self, data: Any, result: Any) -> None:
        self.scopes.end_suite()

    def _start_keyword(self, data: Any, result: Any) -> None:
        self.keywords_started += 1
        if result.full_name in _CATCHING:
            self.catching += 1

    def _shape_of(self, name: str) -> ArgumentShape | None:
        """The parameters of our keyword ``name`` (as robotlibcore names it)."""
        shape = self._shapes.get(name)
        if shape is None and name in self.keywords:
            hints = DynamicCore.get_keyword_types(self, name) or {}
            shape = self._shapes[name] = ArgumentShape(self.get_keyword_arguments(name), hints)
        return shape

    def _end_keyword(self, data: Any, result: Any) -> None:
        if result.full_name not in _CATCHING:
            return
        self.catching -= 1
        if result.full_name == _RETRYING and result.failed and not self.catching:
            # Its retries were expected; its last failure fails the test.
            self._log_failure_context()

    def _start_try_branch(self, data: Any, result: Any) -> None:
        if _catches(data):
            self.catching += 1

    def _end_try_branch(self, data: Any, result: Any) -> None:
        if _catches(data):
            self.catching -= 1

    def get_keyword_documentation(self, name: str) -> str:
        if name == "__intro__":  # generated now, from the operations registered now
            return library_documentation()
        doc = DynamicCore.get_keyword_documentation(self, name)
        if EXECUTION_CONTEXTS.current is not None and name != "__init__":
            return _running_doc(doc)
        return doc

    def get_keyword_tags(self, name: str) -> list[str]:
        tags = DynamicCore.get_keyword_tags(self, name)
        return tags if EXECUTION_CONTEXTS.current is None else _running_tags(tags)

    def is_check(self, name: str) -> bool:
        """Whether our keyword ``name`` (as Robot or robotlibcore names it) is
        a read-only check (tagged ``Check``)."""
        checks = self._checks
        if checks is None:
            checks = self._checks = {
                _normalized(keyword)
                for keyword in self.keywords
                if "Check" in DynamicCore.get_keyword_tags(self, keyword)
            }
        return _normalized(name) in checks

    def get_keyword_types(self, name: str) -> dict[str, Any] | None:
        hints = DynamicCore.get_keyword_types(self, name)
        if EXECUTION_CONTEXTS.current is None or not hints or name == "__init__":
            return hints  # libdoc, and the import's arguments, get every hint
        shape = self._shape_of(name)
        return hints if shape is None else shape.robot_hints  # None: run_keyword converts

    def run_keyword(self, name: str, args: tuple, kwargs: dict | None = None) -> Any:
        if self.import_error:
            raise InvalidArgument(self.import_error)
        kwargs = kwargs or {}
        shape = self._shape_of(name)
        if shape is not None:
            args, kwargs = shape.convert(args, kwargs)
        if self.recording is not None:
            self.recording.append((name, args, kwargs))
        refused = refuse_invalid(self.get_keyword_arguments(name), args, kwargs)
        if refused is not None:
            raise InvalidArgument(refused)  # before anything runs or changes
        self._journal_step(name, args, kwargs)
        try:
            return DynamicCore.run_keyword(self, name, args, kwargs)
        except ApiRefused as error:
            self._log_failure_context()
            if self.running_cluster is None:
                raise
            # What Nova refuses depends on the state at that moment: say when.
            raise ApiRefused(f"{error} (refused at {self.running_cluster.clock})") from None
        except Exception:
            self._log_failure_context()
            raise

    def _journal_step(self, name: str, args: tuple, kwargs: dict) -> None:
        """Marks each step that may change the cluster on the timeline, so a
        reader finds the keyword behind the lanes."""
        cluster = self.running_cluster
        if cluster is None or self.quiet or name == "start_cluster":
            return  # Start Cluster begins a new journal
        step = self._steps.get(name)
        if step is None:
            tags = DynamicCore.get_keyword_tags(self, name)  # all of them, in a run too
            step = self._steps[name] = bool(_STEP_TAGS & set(tags))
        if not step:
            return
        title = name if " " in name else name.replace("_", " ").title()
        cells = [str(arg) for arg in args] + [
            f"{key}={_cell(value)}" for key, value in kwargs.items()
        ]
        cluster.kernel.mark_step("    ".join([title, *cells]))

    def _log_failure_context(self) -> None:
        """A real failure logs the timeline and the state of what the scenario
        touched; an expected one (inside ``Run Keyword And Expect Error``, a
        TRY, ...) only its message, which Robot logs anyway."""
        cluster = self.running_cluster
        if cluster is None or self.quiet or self.catching:
            return
        journal = bounded_journal(cluster.kernel.journal)
        title = f"Timeline up to {cluster.clock}"
        if journal.cut:
            title += f" ({journal.summary()})"
        # The story and the chart (whose marks name each entry) without the
        # folded table of every entry, which Log Timeline keeps: a failure's
        # log stays a few tens of kilobytes.
        logger.info(render_timeline(journal.entries, title=title, journal=False), html=True)
        hosts, servers = cluster.touched()
        state = bounded_state(cluster.snapshot(), hosts=hosts, servers=servers, limit=20)
        logger.info(render_state(state, title=f"Cluster state at {cluster.clock}"), html=True)


def _normalized(name: str) -> str:
    return name.lower().replace(" ", "").replace("_", "")


def library_documentation() -> str:
    """The library's introduction, with the tables generated from the
    operation records and the variants as they are registered now."""
    failing = ", ".join(f"``{name}``" for name in operations.failure_points())
    return (
        _INTRO.replace("{points_table}", _points_table())
        .replace("{variants_table}", _variants_table())
        .replace("{failure_points}", failing)
    )


PciRaceLibrary.__doc__ = library_documentation()

__all__ = ["PciRaceLibrary", "__version__", "library_documentation"]
