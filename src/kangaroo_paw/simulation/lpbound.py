"""The capacity-aware lower bound on a run's sum of ticket times: a time-indexed LP relaxation
over every resource cut at once, solved with GLOP (OR-Tools, imported lazily).

Time is cut into slots: ``step_secs`` wide up to the last earliest completion plus
``settle_secs``, then each slot ``GROWTH`` times wider than the one before, up to the run's
horizon (the overrun included, so every completed order fits). Per task j (see
``bounds`` for what a task holds and when it can first hold it) the LP spreads its least hold
h_j = delay + actual duration over the slots: y_jk seconds in slot k, at most the part of the
slot after its earliest first assignment A_j. It relaxes every schedule a policy can produce:

- capacity: in every slot, the holds of a cut's tasks fit in its slots times the slot width;
- completion: C_j >= sum_k start_k * y_jk / h_j + h_j / 2 (a task holds one slot at a time,
  so the mean time of its last h_j held seconds is at most C_j - h_j / 2);
- precedence: C_j >= C_p + h_j, and sum_k end_k * y_jk / h_j >= C_p + h_j / 2 for each parent
  p (all of j's holding comes after p completes);
- C_j >= its earliest completion (the path bound), C_order >= C_j for each of its tasks.

The minimum of sum(C_order - confirm) is at most the realized sum under any policy on the same
workload (preemption, split holds and fractional slots are all allowed: it is a relaxation).
It knows nothing of which cook takes which task beyond the cuts, nor of breaks (see
``bounds``). The grid costs strength, never validity: work in a slot counts from the slot's
start, which gives away up to half a slot per task (two 60-s tasks on one slot: 165 instead of
180 on a 15-s grid). The default grid is coarsened to 30 s for speed: on the demo kitchen at
90 % load a 15-s grid raises the bound by about 2 % for two to three times the solve time.

Speed: the LP first offers each task only the fine slots within ``window_secs`` of A_j (and
every coarse slot, so it stays feasible). The duals of that smaller LP price the slots left
out; the reported bound is its Lagrangian bound, the optimum plus every left-out slot's
negative reduced cost times its upper bound, which is a valid bound on the full LP whatever
the window. Slots that price out negative are added and the LP solved again (a few rounds)
until the two agree. Without an optimal solve the path bound is reported instead. A 60-min
demo peak at 90 % load (about 90 orders, 520 tasks) takes a few seconds; 70 % about one.
"""

from __future__ import annotations

import math
import time
from typing import Any

from kangaroo_paw.simulation.bounds import BoundInstance
from kangaroo_paw.simulation.report import CapacityBound

STEP_SECS = 30.0
SETTLE_SECS = 600.0
WINDOW_SECS = 300.0
GROWTH = 1.5
ROUNDS = 4
GAP = 1e-4  # relative: stop pricing when the Lagrangian bound is this close to the LP optimum


def slot_edges(first: float, fine_until: float, horizon: float, step: float) -> list[float]:
    """Slot boundaries from ``first``: ``step`` wide to ``fine_until``, then growing."""
    edges = [math.floor(first / step) * step]
    width = step
    while edges[-1] < horizon:
        if edges[-1] >= fine_until:
            width *= GROWTH
        edges.append(min(horizon, edges[-1] + width))
    return edges


def capacity_bound(
    instance: BoundInstance,
    step_secs: float = STEP_SECS,
    settle_secs: float = SETTLE_SECS,
    window_secs: float = WINDOW_SECS,
    time_limit_secs: float = 60.0,
) -> CapacityBound:
    """Bound the sum of ticket times of ``instance`` (restrict it to the orders of interest
    first: the orders a run completed)."""
    started = time.perf_counter()
    paths = instance.path_bounds()
    path_total = sum(paths.values())
    if not instance.tasks:
        return CapacityBound(len(paths), path_total, path_total, True, 0, 0, 0, 0.0)
    lp = TimeIndexedLP(instance, step_secs, settle_secs, window_secs)
    offset = sum(instance.confirmed_at.values())
    best = -math.inf
    rounds = 0
    while rounds < ROUNDS:
        rounds += 1
        if not lp.solve(time_limit_secs):
            break
        bound, missing = lp.price()
        best = max(best, bound)
        if not missing or lp.objective - bound <= GAP * abs(lp.objective):
            break
        lp.add(missing)
    total = max(path_total, best - offset)  # the LP holds the paths: max() absorbs round-off
    return CapacityBound(
        orders=len(paths),
        total=total,
        path_total=path_total,
        optimal=best > -math.inf,
        slots=len(lp.edges) - 1,
        variables=lp.solver.NumVariables(),
        rounds=rounds,
        wall_secs=time.perf_counter() - started,
    )


class TimeIndexedLP:
    """The LP of one instance, with the columns y_jk offered so far."""

    def __init__(self, instance: BoundInstance, step: float, settle: float, window: float) -> None:
        # pywraplp ships without type information: the solver is handled as Any.
        from ortools.linear_solver import pywraplp  # type: ignore[import-untyped]

        self.instance = instance
        self.solver: Any = pywraplp.Solver.CreateSolver("GLOP")
        self.optimal_status: int = pywraplp.Solver.OPTIMAL
        self.inf: float = self.solver.infinity()
        self.objective = math.nan
        self.earliest = instance.earliest()
        first = min(a for a, _ in self.earliest)
        last = max(f for _, f in self.earliest)
        self.edges = slot_edges(first, last + settle, max(instance.horizon, last), step)
        self.coarse = next(
            (k for k in range(len(self.edges) - 1) if self.edges[k + 1] - self.edges[k] > step),
            len(self.edges) - 1,
        )
        self.cuts_of = [
            [c for c, cut in enumerate(instance.cuts) if cut.holds(t)] for t in instance.tasks
        ]
        self.capacity: dict[tuple[int, int], Any] = {}
        self.offered: set[tuple[int, int]] = set()
        self._rows()
        offered: list[tuple[int, int]] = []
        for j in range(len(instance.tasks)):
            until = self.earliest[j][0] + window
            offered.extend(
                (j, k) for k in self._slots(j) if k >= self.coarse or self.edges[k] < until
            )
        self.add(offered)

    def _slots(self, j: int) -> range:
        """The slots task j may hold in (those ending after its earliest assignment)."""
        assign = self.earliest[j][0]
        first = next(k for k in range(len(self.edges) - 1) if self.edges[k + 1] > assign)
        return range(first, len(self.edges) - 1)

    def _rows(self) -> None:
        """Every row but capacity (made when a column first needs it)."""
        tasks = self.instance.tasks
        solver, inf = self.solver, self.inf
        self.completion = [solver.NumVar(finish, inf, "") for _, finish in self.earliest]
        self.total = [solver.Constraint(t.hold, t.hold) for t in tasks]
        self.mean_low = [solver.Constraint(t.hold / 2, inf) for t in tasks]
        self.mean_high: list[list[Any]] = []
        orders = {o: solver.NumVar(0.0, inf, "") for o in self.instance.confirmed_at}
        objective = solver.Objective()
        for variable in orders.values():
            objective.SetCoefficient(variable, 1.0)
        objective.SetMinimization()
        for j, task in enumerate(tasks):
            self.mean_low[j].SetCoefficient(self.completion[j], 1.0)
            highs = []
            for p in task.parents:
                chain = solver.Constraint(task.hold, inf)
                chain.SetCoefficient(self.completion[j], 1.0)
                chain.SetCoefficient(self.completion[p], -1.0)
                high = solver.Constraint(task.hold / 2, inf)
                high.SetCoefficient(self.completion[p], -1.0)
                highs.append(high)
            self.mean_high.append(highs)
            last = solver.Constraint(0.0, inf)
            last.SetCoefficient(orders[task.order_id], 1.0)
            last.SetCoefficient(self.completion[j], -1.0)

    def _column(self, j: int, k: int) -> tuple[float, list[tuple[Any, float]]]:
        """Upper bound of y_jk and its coefficients in the rows (capacity rows created)."""
        task = self.instance.tasks[j]
        hold, edges = task.hold, self.edges
        upper = min(edges[k + 1] - max(edges[k], self.earliest[j][0]), hold)
        terms = [(self.total[j], 1.0), (self.mean_low[j], -edges[k] / hold)]
        terms.extend((high, edges[k + 1] / hold) for high in self.mean_high[j])
        for c in self.cuts_of[j]:
            row = self.capacity.get((c, k))
            if row is None:
                room = self.instance.cuts[c].capacity * (edges[k + 1] - edges[k])
                row = self.capacity[(c, k)] = self.solver.Constraint(-self.inf, room)
            terms.append((row, 1.0))
        return upper, terms

    def add(self, columns: list[tuple[int, int]]) -> None:
        for j, k in columns:
            upper, terms = self._column(j, k)
            y = self.solver.NumVar(0.0, upper, "")
            for row, coefficient in terms:
                row.SetCoefficient(y, coefficient)
        self.offered.update(columns)

    def solve(self, time_limit_secs: float) -> bool:
        self.solver.SetTimeLimit(int(time_limit_secs * 1000))
        if self.solver.Solve() != self.optimal_status:
            return False
        self.objective = float(self.solver.Objective().Value())
        return True

    def price(self) -> tuple[float, list[tuple[int, int]]]:
        """The Lagrangian bound on the full LP from this solve's duals, and the columns left
        out whose reduced cost is negative."""
        bound = self.objective
        missing: list[tuple[int, int]] = []
        tasks, edges = self.instance.tasks, self.edges
        for j, task in enumerate(tasks):
            base = self.total[j].dual_value()
            low = self.mean_low[j].dual_value() / task.hold
            high = sum(h.dual_value() for h in self.mean_high[j]) / task.hold
            for k in self._slots(j):
                if (j, k) in self.offered:
                    continue
                price = base - low * edges[k] + high * edges[k + 1]
                for c in self.cuts_of[j]:
                    row = self.capacity.get((c, k))
                    if row is not None:
                        price += row.dual_value()
                reduced = -price  # y has no cost of its own
                if reduced < -1e-9:
                    upper = min(edges[k + 1] - max(edges[k], self.earliest[j][0]), task.hold)
                    bound += reduced * upper
                    missing.append((j, k))
        return bound, missing
