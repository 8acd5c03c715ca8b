"""`reportgen build --scheduler`: report tasks on a Dask cluster (generator/build/distributed.py).

One `LocalCluster` of two spawned worker processes for the module; the builds run as the real command, in
subprocesses. The workers load tests/faults/sitecustomize.py: they log every file they open under the tests'
temporary directory (the projects) or in their own copy of the build's files, and a test can make a worker
pause (to kill it) or kill itself while it renders a given draft. The tests that lose the scheduler or add a
worker with other versions start Dask's own commands instead (`DaskCommands`). Select with `-m distributed`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster

from generator.build.store import OutputLock
from generator.core.digest import PACKAGE, sha256_bytes

from .helpers import corpus_project

pytestmark = pytest.mark.distributed
FAULTS = Path(__file__).parent / "faults"
EPOCH = "1700000000"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The scheduler's address, the directory of fault files and the workers' log of opened files."""
    faults = tmp_path_factory.mktemp("faults")
    scratch = Path(tempfile.mkdtemp(prefix="reportgen-dask-workers-"))  # outside the projects' directory
    log = scratch / "opened.log"
    environment = {"PYTHONPATH": str(FAULTS), "REPORTGEN_FAULT": f"armed:{faults}",
                   "REPORTGEN_AUDIT_OPEN": f"{tmp_path_factory.getbasetemp()}|{log}"}
    saved = dict(os.environ)
    with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                          "distributed.scheduler.allowed-failures": 1,  # a task is tried twice
                          **{f"distributed.nanny.pre-spawn-environ.{name}": value
                             for name, value in environment.items()}}):
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                          local_directory=str(scratch)) as local:
            os.environ.clear()
            os.environ.update(saved)  # the nanny set the workers' variables here too
            yield local.scheduler_address, faults, log
    os.environ.clear()
    os.environ.update(saved)


def _environment() -> dict[str, str]:
    """The build's environment: none of the workers' test hooks."""
    return {**{name: value for name, value in os.environ.items()
               if not name.startswith("REPORTGEN_") and name != "PYTHONPATH"}, "SOURCE_DATE_EPOCH": EPOCH}


def _build(root: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "generator", "build", "--format", "json", *options], cwd=root,
                            env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, timeout: int = 180) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:  # a build that hangs fails its test, and is not left running
        process.kill()
        process.communicate()
        raise
    return process.returncode, out, err


def _until(process: subprocess.Popen, text: str) -> str:
    """The build's standard error up to the first line holding `text` (the build still running)."""
    seen = ""
    while text not in seen:
        line = process.stderr.readline()
        assert line, seen + process.communicate(timeout=60)[1]
        seen += line
    return seen


class DaskCommands:
    """A scheduler and workers started with Dask's own commands (`dask scheduler`, `dask worker --no-nanny`: the
    worker is the process started, nothing forked), to be killed as a machine would be lost."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.dask = str(Path(sys.executable).parent / "dask")
        self.processes: list[subprocess.Popen] = []

    def _start(self, name: str, *arguments: str, **environment: str) -> subprocess.Popen:
        self.directory.mkdir(parents=True, exist_ok=True)
        with (self.directory / f"{name}.log").open("w") as log:
            process = subprocess.Popen([self.dask, *arguments], env={**_environment(), **environment},
                                       stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start_scheduler(self) -> str:
        file = self.directory / "scheduler.json"
        self.scheduler = self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard", "--scheduler-file", str(file))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                self.address = json.loads(file.read_text(encoding="utf-8"))["address"]
                return self.address
            except (OSError, ValueError, KeyError):
                assert self.scheduler.poll() is None, (self.directory / "scheduler.log").read_text()
                time.sleep(0.05)
        raise AssertionError("the scheduler did not start")

    def start_worker(self, name: str, **environment: str) -> subprocess.Popen:
        return self._start(name, "worker", self.address, "--name", name, "--nthreads", "1", "--no-nanny",
                           "--no-dashboard", "--local-directory", str(self.directory / name), **environment)

    def workers(self, count: int) -> dict[str, str]:
        """Once the scheduler has `count` workers: their addresses by name."""
        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=60)
            return {info["name"]: address for address, info in client.scheduler_info(n_workers=-1)["workers"].items()}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.kill()
            process.wait()


def _task_keys(dask_scheduler) -> list[str]:
    return [str(key) for key in dask_scheduler.tasks]


def _stored_reports(out: Path) -> list[str]:
    """The reports whose outputs a build stored, each whole: every file in the reports' directory is one a
    report's record lists, with the bytes it lists, and no temporary file is left."""
    records = {path.stem: json.loads(path.read_text(encoding="utf-8"))
               for path in (out / ".cache" / "2022").glob("r*.json")}
    listed = {}
    for record in records.values():
        listed.update({entry["path"]: entry["sha256"] for entry in record["outputs"].values()})
    found = sorted((out / "2022" / "reports").glob("*"))
    assert {str(path.relative_to(out)): sha256_bytes(path.read_bytes()) for path in found} == listed
    assert not list(out.rglob("*.tmp"))
    return sorted(records)


def _outputs(out: Path) -> dict[str, bytes]:
    """Every file of an output directory but the manifest and the lock; a report's record without the identity
    (size, times, inode) of the files this directory holds, which no other directory shares."""
    found = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name in ("manifest.json", ".reportgen.lock"):
            continue
        data = path.read_bytes()
        if path.parent.parent.name == ".cache" and path.suffix == ".json" and b'"identity"' in data:
            record = json.loads(data)
            assert set(record.pop("identity")) == set(record["outputs"])
            data = json.dumps(record, sort_keys=True).encode()
        found[str(path.relative_to(out))] = data
    return found


@pytest.fixture(scope="module")
def local_build(tmp_path_factory) -> Path:
    """A project with r02, r05 and r13 (r02 has an image) and the output of its local build, `output`, to compare
    with (the cache's keys name the project's directory: the builds compared read the same one, each into an
    output directory of its own)."""
    root = corpus_project(tmp_path_factory.mktemp("sample"), ["r02", "r05", "r13"])
    code, _out, err = _finish(_build(root, "--jobs", "2"))
    assert code == 0, err
    return root


def test_a_distributed_build_gives_the_local_build_s_bytes_and_reads_no_project_file(cluster, local_build):
    address, _faults, log = cluster
    root = local_build
    code, _out, err = _finish(_build(root, "--scheduler", address, "--out", "out-dask"))
    assert code == 0, err
    opened = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    assert [path for path in opened if path.startswith(str(root))] == []  # the workers used their own copy:
    assert any(path.endswith("/reports_src/2022/assets/" + name) for path in opened  # its image, its templates
               for name in os.listdir(root / "reports_src" / "2022" / "assets"))
    assert any(path.endswith("/templates/report.html.j2") for path in opened)

    distributed, local = _outputs(root / "out-dask"), _outputs(root / "output")
    assert sorted(distributed) == sorted(local)
    assert [name for name in local if local[name] != distributed[name]] == []
    # Everything: each report's PDF and DOCX, the volume, and the cache (units under the same keys, records).
    assert {"2022/volume.pdf", "2022/volume.docx", "2022/reports/r02.pdf", "2022/reports/r13.docx"} <= set(local)
    assert any(name.startswith(".cache/2022/units/") for name in local)
    dask_manifest = json.loads((root / "out-dask" / "manifest.json").read_text(encoding="utf-8"))
    local_manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    for manifest in (dask_manifest, local_manifest):
        for volatile in ("finished", "duration_seconds", "output"):
            manifest.pop(volatile)
    assert dask_manifest == local_manifest


def test_a_report_whose_worker_is_killed_is_rendered_again_elsewhere(cluster, tmp_path):
    address, faults, _log = cluster
    root = corpus_project(tmp_path, ["r02", "r05", "r13"])
    (faults / "pause-r05.md").touch()  # the first worker rendering r05 waits there: the test kills it
    try:
        process = _build(root, "--scheduler", address)
        paused = faults / "paused-r05.md"
        deadline = time.monotonic() + 120
        while not paused.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert paused.exists(), process.communicate()
        os.kill(int(paused.read_text()), signal.SIGKILL)
        code, _out, err = _finish(process)
    finally:
        (faults / "pause-r05.md").unlink()
    assert code == 0, err
    assert "Traceback" not in err
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert {report["id"]: report["result"] for report in manifest["reports"]} == {
        "r02": "built", "r05": "built", "r13": "built"}
    assert manifest["volumes"][0]["result"] == "built"

    # r05, rendered again on another worker, is what a local build of it makes.
    alone = corpus_project(tmp_path / "local", ["r05"])
    code, _out, err = _finish(_build(alone, "--jobs", "1", "--no-volume"))
    assert code == 0, err
    for kind in ("pdf", "docx"):
        assert (root / "output" / "2022" / "reports" / f"r05.{kind}").read_bytes() == \
            (alone / "output" / "2022" / "reports" / f"r05.{kind}").read_bytes()


def test_a_report_that_kills_every_worker_fails_alone_as_rnd608(cluster, tmp_path):
    address, faults, _log = cluster
    root = corpus_project(tmp_path, ["r13", "r14"])
    (faults / "kill-r14.md").touch()  # every worker rendering r14 dies (twice: allowed-failures is 1)
    try:
        code, _out, err = _finish(_build(root, "--scheduler", address))
    finally:
        (faults / "kill-r14.md").unlink()
    assert code == 1, err
    assert "Traceback" not in err
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    results = {report["id"]: report for report in manifest["reports"]}
    assert {name: report["result"] for name, report in results.items()} == {"r13": "built", "r14": "failed"}
    assert [item["code"] for item in results["r14"]["diagnostics"]] == ["RND608"]
    assert "Dask 工作进程" in results["r14"]["diagnostics"][0]["message"]
    volume = manifest["volumes"][0]
    assert volume["result"] == "built" and volume["excluded"] == ["r14"]


def test_an_unreachable_scheduler_is_a_clear_error_within_seconds(tmp_path):
    root = corpus_project(tmp_path, ["r02"])
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    process = subprocess.run([sys.executable, "-m", "generator", "build", "--scheduler", f"tcp://127.0.0.1:{port}"],
                             cwd=root, env=_environment(), capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30
    assert process.returncode == 2
    assert f"无法在 5 秒内连接到 Dask 调度器 tcp://127.0.0.1:{port}" in process.stderr
    assert "Traceback" not in process.stderr
    assert not (root / "output" / "2022").exists() and not (root / "output" / "manifest.json").exists()


STOPPED = "reportgen：构建已中止；Dask 集群上未完成的任务已取消，已完成的输出均已保存，下次构建从此处继续"


def test_ctrl_c_and_sigterm_stop_a_distributed_build_at_once_and_the_next_build_goes_on(cluster, tmp_path):
    address, _faults, _log = cluster
    reports = ["r02", "r05", "r13"]
    root = corpus_project(tmp_path, reports)
    out = root / "output"
    stored: list[str] = []
    for how, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        process = _build(root, "--scheduler", address, "--no-volume")
        seen = _until(process, "[1/")  # a report is stored; others render on the cluster or wait there
        os.kill(process.pid, how)
        stopped = time.monotonic()
        returncode, _out, err = _finish(process, timeout=60)
        assert time.monotonic() - stopped < 10
        assert returncode == code, seen + err
        assert [line for line in err.splitlines() if not line.startswith("[")] == [STOPPED], err
        with Client(address, timeout=10, set_as_default=False) as client:  # its tasks are gone from the cluster
            assert [key for key in client.run_on_scheduler(_task_keys) if key.startswith("reportgen-")] == []
        with OutputLock(out):  # released
            pass
        now = _stored_reports(out)  # whole, and more of them each time
        assert set(stored) < set(now), (stored, now)
        stored = now

    code, _out, err = _finish(_build(root, "--scheduler", address, "--no-volume"))  # the same cluster goes on
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {report["id"]: report["result"] for report in manifest["reports"]} == {
        name: "reused" if name in stored else "built" for name in reports}
    assert _stored_reports(out) == reports


def test_a_scheduler_lost_mid_build_ends_it_at_once_and_a_local_build_completes_it(local_build, tmp_path):
    root, out = local_build, local_build / "out-lost"
    with DaskCommands(tmp_path / "dask") as cluster:
        address = cluster.start_scheduler()
        cluster.start_worker("worker")
        cluster.workers(1)
        process = _build(root, "--scheduler", address, "--out", "out-lost")
        seen = _until(process, "[1/")  # one report at a time (one worker thread): one stored, one rendering
        cluster.scheduler.kill()
        lost = time.monotonic()
        code, _out, err = _finish(process, timeout=60)
        assert time.monotonic() - lost < 15
    assert code == 2, seen + err
    assert f"reportgen：错误：与 Dask 调度器 {address} 的连接中断（调度器已停止，或网络故障）" in err, err
    assert "Traceback" not in err and "distributed" not in err  # none of Dask's own log
    stored = _stored_reports(out)
    assert stored
    assert not (out / "manifest.json").exists()  # nothing says this build was whole

    code, _out, err = _finish(_build(root, "--jobs", "2", "--out", "out-lost"))
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert {report["id"]: report["result"] for report in manifest["reports"]} == {
        name: "reused" if name in stored else "built" for name in ("r02", "r05", "r13")}
    completed, local = _outputs(out), _outputs(root / "output")  # everything, the cache too, as a clean build's
    assert sorted(completed) == sorted(local)
    assert [name for name in local if completed[name] != local[name]] == []


def test_a_worker_with_other_versions_renders_nothing_and_the_build_says_what_differs(tmp_path):
    other = tmp_path / "other"  # another deployment of reportgen: one of its modules differs
    shutil.copytree(PACKAGE, other / "generator", ignore=shutil.ignore_patterns("__pycache__", "web"))
    with (other / "generator" / "build" / "tasks.py").open("a", encoding="utf-8") as handle:
        handle.write("# as deployed on another machine\n")
    faults = tmp_path / "faults"
    faults.mkdir()
    (faults / "pause-r05.md").touch()
    root = corpus_project(tmp_path, ["r05"])
    with DaskCommands(tmp_path / "dask") as cluster:
        address = cluster.start_scheduler()
        cluster.start_worker("same", PYTHONPATH=str(FAULTS), REPORTGEN_FAULT=f"armed:{faults}")
        cluster.workers(1)
        process = _build(root, "--scheduler", address)  # checks the one worker there: the same versions
        paused = faults / "paused-r05.md"
        deadline = time.monotonic() + 120
        while not paused.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert paused.exists(), process.communicate()
        cluster.start_worker("other", PYTHONPATH=str(other))  # joins while the build runs
        worker = cluster.workers(2)["other"]
        os.kill(int(paused.read_text()), signal.SIGKILL)  # r05 goes to the worker that joined
        code, _out, err = _finish(process, timeout=60)
        assert code == 2, err
        difference = f"Dask 工作进程 {worker} 的渲染组件版本与本次构建不同（reportgen 在该工作进程上为 "
        assert difference in err and "Traceback" not in err, err

        code, _out, err = _finish(_build(root, "--scheduler", address))  # now it is checked as the build connects
        assert code == 2, err
        assert difference in err and "Traceback" not in err, err
        assert not list((cluster.directory / "other").rglob("reportgen"))  # it kept no file, rendered nothing
    assert not (root / "output" / "2022" / "reports").exists()
    assert not (root / "output" / "manifest.json").exists()


def test_the_time_limit_interrupts_a_task_in_a_thread_as_on_a_dask_worker(project_config):
    """Dask runs tasks in threads, where no SIGALRM arrives: the limit interrupts the thread instead."""
    import threading

    from generator.build import worker

    def busy():
        while True:
            pass

    def in_thread(function, seconds):
        results = []
        thread = threading.Thread(target=lambda: results.append(worker.limited(function, seconds, Path("x.md"))))
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive()
        return results[0]

    worker.initialise(project_config, "zh_CN", limit_threads=True)
    try:
        started = time.monotonic()
        assert in_thread(busy, 1) == "排版超过 1 秒，已中止"
        assert time.monotonic() - started < 10

        def then_busy():  # in time: its result, and no alarm later in the thread
            result = worker.limited(lambda: "done", 1, Path("x.md"))
            until = time.monotonic() + 1.5
            while time.monotonic() < until:
                pass
            return result

        assert in_thread(then_busy, 5) == "done"
    finally:
        worker.initialise(project_config, "zh_CN")
