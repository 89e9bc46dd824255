"""Toy scenarios for the explorer's own tests: a few tasks reading and
writing two objects, shared by the bounding and reduction tests."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from PciRaceLibrary.explore import Run
from PciRaceLibrary.explore.policies import RecordingPolicy
from PciRaceLibrary.sim import Change, Kernel, Lock, point, sleep

# Each variable is a kind of object the trace dependency knows (traces.py).
OBJECTS = {"x": "Instance", "y": "Migration"}
Op = tuple[str, str]  # ("read" | "write" | "locked" | "sleep" | "driver", variable)
OPS = st.tuples(
    st.sampled_from(["read", "write", "locked", "sleep", "driver"]), st.sampled_from("xy")
)
TASKS = st.one_of(
    st.lists(st.lists(OPS, min_size=1, max_size=3), min_size=2, max_size=2),
    st.lists(st.lists(OPS, min_size=1, max_size=2), min_size=3, max_size=3),
)


def toy(tasks: list[list[Op]]) -> Callable[[RecordingPolicy | None], Run]:
    """Tasks that read and write two objects through declared points (the
    writes journaled as state changes), some under a lock, some after a
    sleep; a ``driver`` op writes behind an undeclared point without
    journaling, as a hypervisor call may. Fails when x was last written by
    a task other than 0."""

    def run_once(policy: RecordingPolicy | None) -> Run:
        kernel = Kernel(policy=policy)
        memory: dict[str, str] = {}
        lock = Lock("lock[toy]")

        def write(variable: str, value: str, journaled: bool = True) -> None:
            old = memory.get(variable)
            memory[variable] = value
            if journaled:
                kernel.record_change(Change(OBJECTS[variable], variable, "value", old, value))

        async def body(number: int, ops: list[Op]) -> None:
            for kind, variable in ops:
                thing = OBJECTS[variable]
                if kind == "read":
                    await point(f"{thing}.get_by_uuid")
                    memory[f"seen{number}"] = memory.get(variable, "-")
                elif kind == "write":
                    await point(f"{thing}.save")
                    write(variable, str(number))
                elif kind == "locked":
                    await lock.acquire()
                    try:
                        await point(f"{thing}.save")
                        write(variable, memory.get(variable, "") + str(number))
                    finally:
                        lock.release()
                elif kind == "driver":
                    await point("ComputeDriver.spawn")
                    write(variable, f"d{number}", journaled=False)
                else:
                    await sleep(0.0)

        for number, ops in enumerate(tasks):
            kernel.spawn(body(number, ops), f"t{number}")
        kernel.run_all()
        outcome = ",".join(f"{key}={value}" for key, value in sorted(memory.items()))
        failure = None if memory.get("x", "0").endswith("0") else f"x is {memory['x']}"
        return Run(outcome, failure, kernel.journal.entries())

    return run_once
