"""Counters and machines: the kitchen's stations."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.bodies import CounterCreate, CounterPatch, MachineCreate
from kangaroo_paw.adapters.http.errors import responses
from kangaroo_paw.adapters.http.params import KitchenDep, NamePath
from kangaroo_paw.adapters.http.schemas import Counter, CounterList, Machine, MachineList


class CounterController(Controller):
    """Counters (stations where steps run) and their capacity."""

    path = "/api/v1/counters"
    tags = ["kitchen"]

    @get("/", operation_id="listCounters", sync_to_thread=True, responses=responses(503))
    def list_counters(self, kitchen: KitchenDep) -> CounterList:
        """List the counters with their capacity and current use."""
        return CounterList(counters=[present.counter(v) for v in kitchen.list_stations("counter")])

    @post(
        "/",
        operation_id="addCounter",
        status_code=201,
        sync_to_thread=True,
        responses=responses(400, 409, 413, 422, 503),
    )
    def add_counter(self, kitchen: KitchenDep, data: JSONBody[CounterCreate]) -> Counter:
        """Add a counter."""
        return present.counter(kitchen.add_counter(data.name, data.capacity))

    @patch(
        "/{name:str}",
        operation_id="changeCounterCapacity",
        sync_to_thread=True,
        responses=responses(400, 404, 409, 413, 422, 503),
    )
    def change_capacity(
        self, kitchen: KitchenDep, name: NamePath, data: JSONBody[CounterPatch]
    ) -> Counter:
        """Change a counter's capacity (409 below what it holds now)."""
        return present.counter(kitchen.change_counter_capacity(name, data.capacity))


class MachineController(Controller):
    """Machines (each on a counter), their capacity and up/down state."""

    path = "/api/v1/machines"
    tags = ["kitchen"]

    @get("/", operation_id="listMachines", sync_to_thread=True, responses=responses(503))
    def list_machines(self, kitchen: KitchenDep) -> MachineList:
        """List the machines with their counter, capacity, state and current use."""
        return MachineList(machines=[present.machine(v) for v in kitchen.list_stations("machine")])

    @post(
        "/",
        operation_id="addMachine",
        status_code=201,
        sync_to_thread=True,
        responses=responses(400, 409, 413, 422, 503),
    )
    def add_machine(self, kitchen: KitchenDep, data: JSONBody[MachineCreate]) -> Machine:
        """Add a machine to a counter, of a kind (default: its name) that steps may name."""
        return present.machine(
            kitchen.add_machine(data.name, data.counter, data.capacity, data.kind)
        )

    @post(
        "/{name:str}/down",
        operation_id="takeMachineDown",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 503),
    )
    def down(self, kitchen: KitchenDep, name: NamePath) -> Machine:
        """Take a machine down: nothing new is assigned to it; tasks assigned to it and not
        started go back to the queue at their place (TASK_REROUTED), so another machine of
        its kind takes them; started ones run to completion (TASK_INTERRUPTED)."""
        return present.machine(kitchen.set_machine_up(name, False))

    @post(
        "/{name:str}/up",
        operation_id="bringMachineUp",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 503),
    )
    def up(self, kitchen: KitchenDep, name: NamePath) -> Machine:
        """Bring a machine back up."""
        return present.machine(kitchen.set_machine_up(name, True))
