"""A real IPython kernel driven over jupyter_client, with our comm opened by
hand the way the JupyterLab frontend opens it."""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid

from jupyter_client.manager import start_new_kernel

from jupyterlab_asyncresult.wire import whole_message

COMM_TARGET = "jupyterlab-asyncresult"


class KernelDriver:
    """Starts a kernel, records every iopub message, runs code, opens comms."""

    def __init__(self, env=None):
        self.km, self.kc = start_new_kernel(
            kernel_name="python3", env=dict(os.environ, **(env or {}))
        )
        self.iopub = []  # (monotonic time, msg)
        self._lock = threading.Lock()
        self._start_reader()

    # A zmq socket must only ever be used by one thread at a time: while the
    # reader runs, nothing else may touch the iopub channel (jupyter_client's
    # wait_for_ready drains it, for one), or libzmq aborts the whole process.
    def _start_reader(self):
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(self._stop,), daemon=True)
        self._reader.start()

    def _stop_reader(self):
        self._stop.set()
        self._reader.join(timeout=10)
        if self._reader.is_alive():
            raise RuntimeError("the iopub reader did not stop")

    def _read(self, stop):
        while not stop.is_set():
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                continue
            except Exception:
                if stop.is_set():
                    return
                continue
            with self._lock:
                self.iopub.append((time.monotonic(), msg))

    def restart(self, timeout=60):
        """Restart the kernel as JupyterLab's restart does; wait until it answers."""
        self._stop_reader()
        try:
            self.km.restart_kernel(now=True)
            self.kc.wait_for_ready(timeout=timeout)
        finally:
            self._start_reader()

    def shutdown(self):
        self._stop.set()
        self._reader.join(timeout=10)
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    # -- code ----------------------------------------------------------------

    def execute(self, code, cell_id=None, timeout=120, allow_error=False):
        """Run code like a notebook cell; return the execute_reply content."""
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {"cellId": cell_id} if cell_id else {}
        msg = self.kc.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(msg)
        reply = self._shell_reply(msg["header"]["msg_id"], timeout)
        if reply["content"]["status"] != "ok" and not allow_error:
            raise AssertionError(
                f"cell failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}\n{code}"
            )
        return reply["content"]

    def evaluate(self, expression, timeout=120):
        """The value of a Python expression in the kernel (via JSON)."""
        import json

        self.execute(f"import json as _j; _jar_out = _j.dumps({expression})", timeout=timeout)
        reply = self.execute("", timeout=timeout)
        del reply
        content = {
            "code": "",
            "silent": True,
            "store_history": False,
            "user_expressions": {"v": "_jar_out"},
            "allow_stdin": False,
        }
        msg = self.kc.session.msg("execute_request", content)
        self.kc.shell_channel.send(msg)
        reply = self._shell_reply(msg["header"]["msg_id"], timeout)
        value = reply["content"]["user_expressions"]["v"]
        if value["status"] != "ok":
            raise AssertionError(value)
        return json.loads(eval(value["data"]["text/plain"]))

    def _shell_reply(self, msg_id, timeout):
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no reply to {msg_id}")
            reply = self.kc.get_shell_msg(timeout=remaining)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply

    # -- comms ----------------------------------------------------------------

    def create_subshell(self, timeout=10):
        """A new subshell (ipykernel 7), as JupyterLab makes one per comm target."""
        msg = self.kc.session.msg("create_subshell_request", {})
        self.kc.control_channel.send(msg)
        deadline = time.monotonic() + timeout
        while True:
            reply = self.kc.get_control_msg(timeout=max(0.1, deadline - time.monotonic()))
            if reply["parent_header"].get("msg_id") == msg["header"]["msg_id"]:
                return reply["content"]["subshell_id"]

    def open_comm(self, data=None, subshell_id=None):
        """Open a comm to the bridge as the frontend does; returns its id."""
        comm_id = uuid.uuid4().hex
        content = {
            "comm_id": comm_id,
            "target_name": COMM_TARGET,
            "data": data if data is not None else self.snapshot_request(),
        }
        self._send_shell("comm_open", content, subshell_id)
        return comm_id

    def send_comm(self, comm_id, data, subshell_id=None):
        self._send_shell("comm_msg", {"comm_id": comm_id, "data": data}, subshell_id)

    def start(self, code):
        """Send a cell without waiting for it; returns its msg_id."""
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        msg = self.kc.session.msg("execute_request", content)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def wait_reply(self, msg_id, timeout=60):
        """The execute_reply content of a cell sent with `start`."""
        return self._shell_reply(msg_id, timeout)["content"]

    def _send_shell(self, msg_type, content, subshell_id):
        msg = self.kc.session.msg(msg_type, content)
        if subshell_id is not None:
            msg["header"]["subshell_id"] = subshell_id
        self.kc.shell_channel.send(msg)

    @staticmethod
    def snapshot_request(request_id=None):
        return {"v": 1, "type": "snapshot_request", "request_id": request_id or uuid.uuid4().hex}

    def comm_messages(self, comm_id=None, since=0.0, whole=True):
        """(time, data) of every comm_msg of our bridge seen on iopub: with
        `whole`, its brief results made whole (as a frontend reads them),
        else as the bridge sent it."""
        with self._lock:
            msgs = list(self.iopub)
        read = whole_message if whole else (lambda data: data)
        return [
            (t, read(m["content"]["data"]))
            for t, m in msgs
            if t >= since
            and m["header"]["msg_type"] == "comm_msg"
            and (comm_id is None or m["content"].get("comm_id") == comm_id)
            and isinstance(m["content"].get("data"), dict)
            and "v" in m["content"]["data"]
        ]

    def raw_comm_msgs(self, since=0.0):
        with self._lock:
            return [
                (t, m)
                for t, m in self.iopub
                if t >= since and m["header"]["msg_type"].startswith("comm_")
            ]

    def wait_for(self, predicate, timeout=60, interval=0.05):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise TimeoutError("condition not met in time")


class Replica:
    """The frontend's store, in Python: applies a comm stream by seq.

    Decodes the wire form (docs/protocol.md, "Task rows") back into whole
    records, as packages/asyncresult-node/src/core/taskStore.ts does.
    """

    STATUSES = ("pending", "running", "done", "error", "aborted", "unknown")
    TIME_KEYS = ("submitted", "started", "completed", "received")

    def __init__(self):
        self.seq = -1
        self.results = {}
        self.tasks = {}
        self.errors = []
        self.controller = None
        self._staging = None

    def apply(self, data):
        data = whole_message(data)
        kind = data.get("type")
        if kind == "error":
            self.errors.append(data)
        elif kind == "snapshot":
            if data.get("part", 0) == 0:
                self._staging = ({}, {})
            results, tasks = self._staging
            self._apply_batch(data, results, tasks)
            if data.get("part", 0) == data.get("parts", 1) - 1:
                self.results, self.tasks = results, tasks
                self._staging = None
                self.controller = data.get("controller")
                self.seq = data["seq"]
        elif kind == "delta":
            if self.seq < 0 or data["seq"] <= self.seq:
                return
            assert data["seq"] == self.seq + 1, f"gap: {self.seq} -> {data['seq']}"
            self._apply_batch(data, self.results, self.tasks)
            for rid in data["removed"]:
                self.results.pop(rid, None)
            if "controller" in data:
                self.controller = data["controller"]
            self.seq = data["seq"]

    @classmethod
    def task_records(cls, data, results):
        """The task records one delta or snapshot part carries."""
        out = []
        t0 = data.get("t0", 0)
        engines = data.get("engines", {})
        for rid, rows in (data.get("changes") or {}).items():
            record = results.get(rid)
            if record is None:
                continue
            for row in rows:
                index, status, engine_id, *times = row[:7]
                task = {
                    "msg_id": record["msg_ids"][index],
                    "status": cls.STATUSES[status],
                    "engine_id": engine_id,
                    "engine_uuid": engines.get(str(engine_id)),
                    "output_done": bool(row[7]),
                    "stream_size": row[8],
                    "error": row[9] if len(row) > 9 else None,
                    "label": None,
                    "follow": None if times[3] is None else [],
                    "after": None if times[3] is None else [],
                    "is_broadcast": False,
                    "is_coalescing": False,
                }
                if len(row) > 10:
                    task.update(row[10])
                for key, us in zip(cls.TIME_KEYS, times, strict=True):
                    task[key] = None if us is None else t0 + us / 1e6
                out.append(task)
        return out + list(data.get("tasks") or [])

    def _apply_batch(self, data, results, tasks):
        for r in data["results"]:
            results[r["id"]] = dict(r, msg_ids=list(r["msg_ids"]))
        for patch in data.get("result_changes") or []:
            old = results.get(patch["id"])
            if old is None:
                continue
            new = {k: v for k, v in patch.items() if k not in ("msg_ids_at", "add_msg_ids")}
            if "add_msg_ids" in patch:
                new["msg_ids"] = old["msg_ids"][: patch["msg_ids_at"]] + patch["add_msg_ids"]
            old.update(new)
        for task in self.task_records(data, results):
            previous = tasks.get(task["msg_id"])
            if task["status"] == "error" and task["error"] is None and previous:
                task["error"] = previous.get("error")
            tasks[task["msg_id"]] = task

    @classmethod
    def from_stream(cls, messages):
        replica = cls()
        for _, data in messages:
            replica.apply(data)
        return replica
