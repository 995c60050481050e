"""The kitchen simulator: a discrete-event simulation that drives the real Kitchen application
on simulated time, compares allocation policies, and measures them against bounds."""

from kangaroo_paw.simulation.engine import Progress, SimConfig, Simulation, simulate
from kangaroo_paw.simulation.policies import POLICIES
from kangaroo_paw.simulation.report import SimReport, Summary
from kangaroo_paw.simulation.scenario import (
    Scenario,
    ScenarioError,
    demo_scenario,
    load_scenario,
)

__all__ = [
    "POLICIES",
    "Progress",
    "Scenario",
    "ScenarioError",
    "SimConfig",
    "SimReport",
    "Simulation",
    "Summary",
    "demo_scenario",
    "load_scenario",
    "simulate",
]
