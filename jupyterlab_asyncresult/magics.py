"""`%ar` and `%%ar`: list, find, watch, abort and inspect AsyncResults.

Loaded with the extension in every IPython (a Jupyter kernel or the
terminal). Bad input and failures end in one line (IPython's UsageError),
never a traceback: an unknown or ambiguous REF, a finished result to abort,
a closed Client, no cluster, a controller that does not answer.
"""

from __future__ import annotations

import sys
import threading

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser
from IPython.display import display
from IPython.utils.process import arg_split

from . import reports
from .book import RefError
from .labels import labelling
from .outputs_text import GROUPINGS, show_outputs
from .records import peek

# how long a request to the controller may take before we say it did not answer
CONTROLLER_TIMEOUT = 10.0

SUBCOMMANDS = (
    "list",
    "pending",
    "progress",
    "outputs",
    "abort",
    "resubmit",
    "wait",
    "stats",
    "timeline",
    "queue",
)


class _HelpShown(Exception):
    """`--help` was printed: nothing more to do."""


class _Parser(MagicArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("add_help", True)  # IPython's parsers have no -h of their own
        super().__init__(*args, **kwargs)

    def exit(self, status=0, message=None):
        if status:
            raise UsageError(message or "bad arguments")
        raise _HelpShown()


def _refs(parser, nargs="?", default="-1"):
    parser.add_argument(
        "ref" if nargs in (None, "?") else "refs",
        nargs=nargs,
        default=default,
        metavar="REF",
        help="a short id (#3 or 3), a label, a variable name, or -1, -2, ... (newest first)",
    )


def build_parser():
    """The argument parser of `%ar` and its subcommands."""
    parser = _Parser(
        prog="%ar",
        description="AsyncResults of this kernel: list, watch, abort and inspect them.",
        epilog="`%ar SUBCOMMAND --help` tells more. In a cell, `%%ar --label L` labels "
        "and watches every AsyncResult the cell creates.",
    )
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_Parser)
    sub.add_parser("list", help="every AsyncResult of this kernel, as a table")
    sub.add_parser("pending", help="the AsyncResults with work still queued or running")
    p = sub.add_parser("progress", help="a live progress bar (default: the newest result)")
    _refs(p, nargs="*", default=["-1"])
    p = sub.add_parser("outputs", help="the outputs of a result, grouped")
    _refs(p, nargs=None)
    p.add_argument(
        "--group-outputs",
        choices=GROUPINGS,
        default="type",
        help="type: all stdout, then all stderr...; engine: engine by engine; order: the "
        "n-th output of every engine together; merge: identical outputs of several engines "
        "once; first: one engine's outputs only",
    )
    p.add_argument(
        "--engines", "-t", help="only these engines: `0,2` or `1-3`", metavar="IDS", default=None
    )
    p.add_argument("--stream", action="store_true", help="print outputs as they arrive until done")
    p = sub.add_parser("abort", help="abort the queued tasks of a result (or --all)")
    _refs(p, nargs="?", default=None)
    p.add_argument("--all", action="store_true", help="every queued task of this kernel's Clients")
    p = sub.add_parser("resubmit", help="submit a result's tasks again (a new result)")
    _refs(p, nargs=None)
    p.add_argument("--failed", action="store_true", help="only the failed and aborted tasks")
    p = sub.add_parser("wait", help="block until a result finishes (Ctrl-C stops waiting)")
    _refs(p, nargs=None)
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="seconds at most")
    p = sub.add_parser("stats", help="elapsed, wall and serial time, speed-up, per engine")
    _refs(p)
    p = sub.add_parser("timeline", help="which engine ran which task, when")
    _refs(p, nargs="*", default=["-1"])
    sub.add_parser("queue", help="each engine's queue on the cluster (all clients)")
    return parser


def build_cell_parser():
    """The argument parser of the `%%ar` cell magic."""
    parser = _Parser(
        prog="%%ar",
        description="Run the cell, labelling and watching every AsyncResult it creates.",
    )
    parser.add_argument("--label", "-l", default=None, help="the label sent with every task")
    parser.add_argument(
        "--progress",
        choices=("on", "off"),
        default="on",
        help="show a progress bar for the cell's results once it has run (default on)",
    )
    parser.add_argument(
        "--abort-on-error",
        action="store_true",
        help="when one task fails, abort the queued tasks of every result of the cell",
    )
    return parser


def _engine_ids(text):
    """`0,2,5-7` as a set of engine ids."""
    out = set()
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part[1:]:
                lo, hi = part.split("-", 1)
                out.update(range(int(lo), int(hi) + 1))
            elif part:
                out.add(int(part))
    except ValueError:
        raise UsageError(f"--engines {text!r}: give engine ids like 0,2 or 1-3") from None
    return out


def _in_time(what, call, timeout=CONTROLLER_TIMEOUT):
    """Run a call that waits on the controller, giving up after `timeout`."""
    box = {}

    def run():
        try:
            box["value"] = call()
        except BaseException as e:  # noqa: BLE001 - reported below
            box["error"] = e

    thread = threading.Thread(target=run, daemon=True, name="asyncresult-magic")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise UsageError(
            f"{what}: the controller did not answer within {timeout:.0f} s "
            "(is the cluster still running?)"
        )
    if "error" in box:
        e = box["error"]
        raise UsageError(f"{what}: {type(e).__name__}: {e}") from None
    return box.get("value")


def _client_of(entry):
    ar = entry.result
    client = peek(ar, "_client") if ar is not None else None
    if client is None:
        raise UsageError(f"#{entry.id} has no Client any more")
    if getattr(client, "_closed", False):
        raise UsageError(
            f"the Client of #{entry.id} is closed: connect a new one (`rc = ipp.Client()`)"
        )
    return client


@magics_class
class AsyncResultMagics(Magics):
    """`%ar SUBCOMMAND` and `%%ar`."""

    def __init__(self, shell, book, bridge=None):
        super().__init__(shell)
        self.book = book
        self._bridge = bridge  # a callable giving the kernel bridge, or None
        self.parser = build_parser()
        self.cell_parser = build_cell_parser()

    # -- entry points ------------------------------------------------------------

    @line_cell_magic
    def ar(self, line="", cell=None):
        """AsyncResults of this kernel. `%ar --help` lists the subcommands."""
        parser = self.cell_parser if cell is not None else self.parser
        try:
            args = parser.parse_args(arg_split(line, posix=True))
        except _HelpShown:
            return None
        if cell is not None:
            return self._run_cell(args, cell)
        command = args.command or "list"
        try:
            return getattr(self, "_" + command)(args)
        except RefError as e:
            raise UsageError(str(e)) from None

    def complete(self, _shell, event):
        """Tab completion: subcommands first, then REFs."""
        words = event.line.split()
        starting = not event.line.endswith(" ")
        if event.line.lstrip().startswith("%%"):
            return ["--label", "--progress", "--abort-on-error"]
        if len(words) <= 1 or (len(words) == 2 and starting):
            return [s for s in SUBCOMMANDS if s.startswith(event.symbol)]
        return [r for r in self.book.completions() if r.startswith(event.symbol)]

    # -- subcommands -------------------------------------------------------------

    def _list(self, args, pending=False):
        entries = self.book.entries()
        if pending:
            entries = [e for e in entries if e.summary()["status"] in ("queued", "running")]
        if not entries:
            print("no pending AsyncResult" if pending else "no AsyncResult yet in this kernel")
            return
        display(reports.results_table(entries), raw=True)

    def _pending(self, args):
        self._list(args, pending=True)

    def _live(self, ref):
        entry = self.book.resolve(ref)
        if entry.result is None:
            raise UsageError(
                f"#{entry.id} was released (no variable holds it any more): "
                f"it ended {entry.summary()['status']}; `%ar list` shows its counts"
            )
        return entry

    def _progress(self, args):
        entries = [self._live(r) for r in args.refs]
        bridge = self._bridge() if self._bridge else None
        displays = getattr(bridge, "progress", None)
        for entry in entries:
            ar = entry.result
            if displays is not None and displays.active() and displays.show(ar):
                continue
            if ar.ready():
                print(reports.counts_line(entry))
            else:
                # no JupyterLab listening: ipyparallel's own (text) bar, live
                ar.wait_interactive()

    def _outputs(self, args):
        entry = self._live(args.ref)
        engines = _engine_ids(args.engines) if args.engines else None
        bridge = self._bridge() if self._bridge else None
        displays = getattr(bridge, "outputs", None)
        if displays is not None and not args.stream and displays.active():
            # JupyterLab listens: the grouped view, with this text beside it
            displays.show(
                entry.result,
                args.group_outputs,
                lambda: show_outputs(entry.result, args.group_outputs, engines),
                engines=engines,
            )
            return
        show_outputs(entry.result, args.group_outputs, engines, stream=args.stream)

    def _abort(self, args):
        if args.all:
            return self._abort_all()
        if args.ref is None:
            raise UsageError("%ar abort needs a REF (e.g. -1 or #3), or --all")
        entry = self._live(args.ref)
        ar = entry.result
        if ar.ready():
            raise UsageError(
                f"#{entry.id} already finished ({entry.summary()['status']}): nothing to abort"
            )
        client = _client_of(entry)
        pending = [m for m in ar.msg_ids if m in client.outstanding]
        _in_time(f"abort #{entry.id}", lambda: client.abort(pending, block=True))
        print(
            f"asked the engines to abort {len(pending)} task(s) of #{entry.id}: queued ones end "
            "as aborted, running ones run to their end"
        )

    def _abort_all(self):
        clients = self._clients()
        if not clients:
            raise UsageError("no ipyparallel Client in this kernel: nothing to abort")
        total = 0
        for client in clients:
            pending = list(client.outstanding)
            if not pending:
                continue
            _in_time("abort --all", lambda c=client, p=pending: c.abort(p, block=True))
            total += len(pending)
        if total == 0:
            print("nothing pending: no task to abort")
        else:
            print(
                f"asked the engines to abort {total} pending task(s): queued ones end as "
                "aborted, running ones run to their end"
            )

    def _resubmit(self, args):
        entry = self._live(args.ref)
        ar = entry.result
        client = _client_of(entry)
        msg_ids = list(ar.msg_ids)
        if args.failed:
            from .records import task_status

            children = peek(ar, "_children") or []
            msg_ids = [
                m
                for i, (m, md) in enumerate(zip(ar.msg_ids, ar._metadata, strict=False))
                if task_status(md, children[i] if i < len(children) else None)
                in ("error", "aborted")
            ]
            if not msg_ids:
                raise UsageError(f"#{entry.id} has no failed or aborted task to resubmit")
        elif not ar.ready():
            raise UsageError(
                f"#{entry.id} is still running: wait for it, or `%ar resubmit {entry.id} --failed`"
            )
        new = _in_time(f"resubmit #{entry.id}", lambda: client.resubmit(msg_ids, block=False))
        added = self.book.add(new, hold=True)
        print(f"resubmitted {len(msg_ids)} task(s) of #{entry.id} as #{added.id}")

    def _wait(self, args):
        entry = self._live(args.ref)
        ar = entry.result
        if args.timeout is not None and args.timeout < 0:
            raise UsageError("--timeout takes seconds (0 or more)")
        try:
            finished = ar.wait(args.timeout)
        except Exception:
            # an AsyncHubResult's wait raises its remote error: it finished
            finished = ar.ready()
        line = reports.counts_line(entry)
        print(line if finished else f"{line}: still running after {args.timeout:g} s")

    def _stats(self, args):
        entry = self._live(args.ref)
        display(reports.stats(entry), raw=True)

    def _timeline(self, args):
        entries = [self._live(r) for r in args.refs]
        display(reports.timeline(entries), raw=True)

    def _queue(self, args):
        clients = self._clients()
        if not clients:
            raise UsageError(
                "no ipyparallel Client in this kernel: connect one (`rc = ipp.Client()`) first"
            )
        client = clients[-1]
        status = _in_time("queue", lambda: client.queue_status())
        display(reports.queue_table(status), raw=True)

    # -- %%ar --------------------------------------------------------------------

    def _run_cell(self, args, cell):
        before = {e.id for e in self.book.entries()}
        watch = _AbortOnError() if args.abort_on_error else None
        if watch:
            self.book.watchers.append(watch)
        try:
            with labelling(args.label):
                self.shell.run_cell(cell)
        finally:
            if watch:
                self.book.watchers.remove(watch)
        if watch and watch.fired:
            count = watch.finish()
            print(
                f"a task failed: asked the engines to abort {count} queued or running task(s) "
                "of this cell (queued ones end as aborted)",
                file=sys.stderr,
            )
        made = [e for e in self.book.entries() if e.id not in before and e.result is not None]
        if args.progress == "off" or not made:
            return
        bridge = self._bridge() if self._bridge else None
        displays = getattr(bridge, "progress", None)
        for entry in made:
            ar = entry.result
            if displays is not None and displays.active():
                if not displays.shown(ar):
                    displays.show(ar)
            elif not ar.ready():
                ar.wait_interactive()
            else:
                print(reports.counts_line(entry))

    def _clients(self):
        """The Clients of this kernel: those of followed results, and any in
        the user's namespace; the newest last."""
        seen = {}
        for entry in self.book.entries():
            ar = entry.result
            client = peek(ar, "_client") if ar is not None else None
            if client is not None:
                seen[id(client)] = client
        try:
            from ipyparallel import Client
        except ImportError:
            return list(seen.values())
        for value in list((self.shell.user_ns or {}).values()):
            if isinstance(value, Client):
                seen.setdefault(id(value), value)
        return [c for c in seen.values() if not getattr(c, "_closed", False)]


class _AbortOnError:
    """`%%ar --abort-on-error`: the first failed task aborts the cell's queued work."""

    def __init__(self):
        self.results = []
        self.fired = False
        self.aborted = 0
        self.threads = []
        self.lock = threading.Lock()

    def __call__(self, entry):
        ar = entry.result
        if ar is None:
            return
        with self.lock:
            self.results.append(ar)
            fired = self.fired
        if fired:
            # the cell goes on submitting after a failure: abort this one too
            self._start([ar])
            return
        for future in peek(ar, "_children") or []:
            try:
                future.add_done_callback(self._task_done)
            except Exception:
                pass

    def _task_done(self, future):
        # runs on the Client's IO thread: never wait on the Client here
        try:
            value = future.result(timeout=0)
        except Exception:
            value = None
        failed = isinstance(value, BaseException) and type(value).__name__ != "TaskAborted"
        with self.lock:
            if not failed or self.fired:
                return
            self.fired = True
            results = list(self.results)
        self._start(results)

    def _start(self, results):
        thread = threading.Thread(target=self._abort, args=(results,), daemon=True)
        with self.lock:
            self.threads.append(thread)
        thread.start()

    def _abort(self, results):
        for ar in results:
            client = peek(ar, "_client")
            if client is None or ar.done():
                continue
            pending = [m for m in ar.msg_ids if m in client.outstanding]
            if not pending:
                continue
            try:
                # acknowledged by the engines: once this returns, a queued
                # task of the cell can no longer start
                client.abort(pending, block=True)
            except Exception:
                continue
            with self.lock:
                self.aborted += len(pending)

    def finish(self, timeout=CONTROLLER_TIMEOUT):
        """Wait for aborts under way; the number of tasks asked to abort."""
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(timeout)
        return self.aborted
