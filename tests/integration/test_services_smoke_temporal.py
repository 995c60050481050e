"""Smoke test of Temporal: a real workflow + activity round trip on an in-process worker.

The workflow class must live at module level (temporalio rejects local classes), hence this
module of its own; it runs unsandboxed because it only formats a string.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

from kangaroo_paw.settings import Settings


@activity.defn(name="smoke_plate")
async def plate(dish: str) -> str:
    return f"plated {dish}"


@workflow.defn(name="KangarooPawSmoke", sandboxed=False)
class SmokeWorkflow:
    """Calls one activity and transforms its result, so both sides of the worker run."""

    @workflow.run
    async def run(self, dish: str) -> str:
        plated: str = await workflow.execute_activity(
            plate, dish, start_to_close_timeout=timedelta(seconds=10)
        )
        return plated.upper()


async def run_smoke_workflow(kp: Settings, dish: str) -> str:
    client = await Client.connect(kp.temporal_address, namespace=kp.temporal_namespace)
    queue = f"kp-smoke-{uuid.uuid4().hex[:12]}"
    async with Worker(client, task_queue=queue, workflows=[SmokeWorkflow], activities=[plate]):
        return await client.execute_workflow(
            SmokeWorkflow.run,
            dish,
            id=f"kp-smoke-{uuid.uuid4().hex}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=30),
        )


@pytest.mark.temporal
def test_temporal_runs_a_workflow_on_an_in_process_worker() -> None:
    kp = Settings.from_env()
    result = asyncio.run(asyncio.wait_for(run_smoke_workflow(kp, "burger"), timeout=60))
    assert result == "PLATED BURGER"


@pytest.mark.temporal
def test_temporal_namespace_is_registered() -> None:
    kp = Settings.from_env()

    async def describe() -> str:
        from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

        client = await Client.connect(kp.temporal_address, namespace=kp.temporal_namespace)
        response = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=kp.temporal_namespace)
        )
        return str(response.namespace_info.name)

    assert asyncio.run(asyncio.wait_for(describe(), timeout=30)) == kp.temporal_namespace
