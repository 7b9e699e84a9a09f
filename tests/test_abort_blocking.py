"""Abort while the submitting cell blocks, in each of the three ways a cell
blocks on parallel work: `ar.get()`, `ar.wait_interactive()` and `%%px`.

The Abort of the bar and of the panel is a request on the bridge's comm,
on the subshell JupyterLab opens for it; the main shell is busy with the
cell. Both engines are held by a barrier, so the result's tasks stay queued
and the cell stays blocked until the test lets go: "while the cell blocks"
is a fact here, not a guess about timing. After the release, what
ipyparallel itself says of the result (each task's status in its own
metadata) and of the engines' other work is the truth the test compares
the bridge's records with.
"""

import time

import pytest
from holding import HOLD, release
from kernel_driver import Replica
from test_bridge import request

BLOCKING = {
    "get": "victim = lview.map_async(abs, range(8))\nvictim.get()\n",
    "wait_interactive": "victim = lview.map_async(abs, range(8))\nvictim.wait_interactive()\n",
    "px": "%%px\nimport os\n",
}

VICTIM = {
    "get": "victim",
    "wait_interactive": "victim",
    # what %%px ran: ipyparallel keeps it on its magics as last_result
    "px": "next(m for m in get_ipython().magics_manager.registry.values()"
    " if hasattr(m, 'last_result')).last_result",
}


def cell_ended(kernel, msg_id):
    with kernel._lock:
        return any(
            m["parent_header"].get("msg_id") == msg_id
            and m["content"].get("execution_state") == "idle"
            for _, m in kernel.iopub
        )


@pytest.mark.parametrize("blocking", list(BLOCKING))
def test_abort_while_the_cell_blocks_aborts_the_queued_tasks_of_that_result(
    kernel, barrier, blocking
):
    subshell = kernel.create_subshell()
    comm = kernel.open_comm(subshell_id=subshell)
    kernel.wait_for(lambda: kernel.comm_messages(comm), timeout=30)
    kernel.execute(HOLD)
    # both engines busy with other work of this kernel, held
    kernel.execute(f"blockers = dview.apply_async(hold, {barrier!r}); started({barrier!r}, 2)\n")

    def records():
        return Replica.from_stream(kernel.comm_messages(comm))

    kernel.wait_for(lambda: any(r["fname"] == "hold" for r in records().results.values()), 30)
    before = set(records().results)
    cell = kernel.start(BLOCKING[blocking])

    def victim_id():
        replica = records()
        fresh = [r for r in replica.results.values() if r["id"] not in before]
        if len(fresh) == 1 and all(m in replica.tasks for m in fresh[0]["msg_ids"]):
            return fresh[0]["id"]
        return None

    rid = kernel.wait_for(victim_id, timeout=60)
    sent = time.monotonic()
    reply = request(kernel, comm, "abort", subshell_id=subshell, result_id=rid)
    answered = time.monotonic() - sent
    assert reply["type"] == "reply", reply
    # the engines are still held: the cell cannot have ended
    assert not cell_ended(kernel, cell)
    print(f"abort ({blocking}) answered in {answered * 1000:.0f} ms while the cell blocked")

    release(barrier)
    kernel.wait_reply(cell, timeout=120)
    kernel.wait_for(lambda: cell_ended(kernel, cell), timeout=30)
    victim = VICTIM[blocking]
    truth = kernel.evaluate(f"[md['status'] for md in {victim}._metadata]")
    msg_ids = kernel.evaluate(f"list({victim}.msg_ids)")
    # every task of that result was still queued when Abort came: all aborted
    assert truth and set(truth) == {"aborted"}, truth
    # the other work of the kernel was not touched
    assert kernel.evaluate("blockers.get(timeout=60)") == [barrier, barrier]
    # and the bridge's records say what ipyparallel says, task by task
    kernel.wait_for(
        lambda: all(records().tasks[m]["status"] == "aborted" for m in msg_ids), timeout=30
    )
    assert records().results[rid]["msg_ids"] == msg_ids
