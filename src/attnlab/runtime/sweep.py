"""Sweeps of training runs: in this process, or spread over a Ray cluster, and resumable.

A sweep is a list of configurations (JSON-serialisable dicts) and one function that computes
the result of one configuration. :func:`sweep` first takes every result already in the
results cache (:mod:`attnlab.runtime.cache`), then computes the rest:

- with no cluster configured, one after another in this process, exactly as a loop would;
- with ``ATTNLAB_RAY_ADDRESS`` set (``local`` starts a Ray instance for this process,
  ``auto`` joins the cluster this machine belongs to, else a cluster address such as
  ``ray://head:10001``), each as a Ray task: one GPU per task when the cluster has GPUs,
  retried when its worker dies.

Each result is written to the cache atomically as it arrives, so an interrupted sweep, killed
at any point, recomputes only what is missing when it is run again. A task runs with the
driver's torch thread count, so its numbers equal the in-process run's.

Usage::

    results = sweep(train_config_result, [dict(n=4, seed=0), dict(n=5, seed=0)], namespace="comp")
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, fields, is_dataclass
from typing import Any, get_type_hints

import torch

from attnlab.runtime import cache
from attnlab.runtime.device import default_device
from attnlab.runtime.progress import progress

ADDRESS_ENV = "ATTNLAB_RAY_ADDRESS"


def ray_address() -> str | None:
    """The cluster to use: ``$ATTNLAB_RAY_ADDRESS``, or ``None`` (run in this process)."""
    return os.environ.get(ADDRESS_ENV) or None


def _as_cached(result: Any) -> Any:
    """The result as the cache returns it (a JSON round trip), so fresh and cached results agree."""
    return json.loads(json.dumps(result, default=str))


def _run_one(
    compute: Callable[[dict[str, Any]], Any], config: dict[str, Any], threads: int
) -> tuple[Any, float]:
    """Body of one task: the driver's thread count, then ``compute(config)``; returns (result, seconds)."""
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    result = _as_cached(compute(config))
    return result, time.perf_counter() - t0


def _tuples(value: Any) -> Any:
    """JSON lists back to tuples (the configurations are frozen, hence hashable), at any depth."""
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def _from_fields(cls: type, key: Mapping[str, Any]) -> Any:
    """The dataclass ``cls`` from the fields of ``key`` (other keys ignored); a field typed as a
    dataclass (a chapter's model configuration) is rebuilt from its nested dict."""
    hints = get_type_hints(cls)
    values = {}
    for f in fields(cls):
        if f.name not in key:
            continue
        value, hint = key[f.name], hints.get(f.name)
        if isinstance(value, Mapping) and isinstance(hint, type) and is_dataclass(hint):
            value = _from_fields(hint, value)
        values[f.name] = _tuples(value)
    return cls(**values)


class SweepConfig:
    """A frozen dataclass configuration that is its own sweep key (both chapters' configs)."""

    def to_key(self, device: torch.device | str = "cpu") -> dict[str, Any]:
        """The cache key (and sweep task) of this run: its fields (JSON types) and the device type."""
        key = asdict(self)  # type: ignore[call-overload]
        key["device_type"] = default_device(device).type
        return key

    @classmethod
    def from_key(cls, key: Mapping[str, Any]) -> Any:
        """The configuration of a :meth:`to_key` key (lists back to tuples, nested model
        configurations rebuilt; the device type dropped)."""
        return _from_fields(cls, key)


_TALLY = {"computed": 0, "cached": 0}


def tally() -> dict[str, int]:
    """How many results :func:`sweep` has ``computed`` and read from the cache (``cached``) in
    this process so far: a page that computed none of its results did not train, so its run
    time says nothing about what training costs."""
    return dict(_TALLY)


def sweep(
    compute: Callable[[dict[str, Any]], Any],
    configs: Sequence[dict[str, Any]],
    *,
    namespace: str,
    address: str | None = None,
    desc: str = "sweep",
    show_progress: bool = True,
    max_retries: int = 3,
    cost: Callable[[dict[str, Any]], float] | None = None,
) -> list[Any]:
    """Results of ``compute(config)`` for every configuration, in order, cached under ``namespace``.

    Args:
        compute: a module-level function (Ray imports it by name on the workers) mapping one
            configuration to a JSON-serialisable result.
        configs: the configurations; each is the cache key of its result.
        namespace: the cache folder of this kind of result.
        address: a Ray cluster (see the module docstring); default ``$ATTNLAB_RAY_ADDRESS``;
            ``None`` or ``""`` runs in this process.
        desc: the progress bar's label.
        max_retries: Ray retries of a task whose worker died.
        cost: a configuration's expected cost (any unit): Ray tasks are submitted costliest
            first (:func:`submission_order`), so the longest runs do not start last and leave
            the other workers idle at the end; in-process runs keep the given order.
    """
    if not callable(compute):
        raise TypeError(f"compute must be a function of one configuration, got {type(compute).__name__}")
    configs = list(configs)
    for i, config in enumerate(configs):
        if not isinstance(config, dict):
            raise TypeError(f"configs[{i}] must be a dict, got {type(config).__name__}")
    address = ray_address() if address is None else (address or None)
    code = cache.code_hash(compute.__module__)  # the code that computes every result
    results: list[Any] = [cache.lookup(c, code=code, namespace=namespace) for c in configs]
    todo = [i for i, r in enumerate(results) if r is cache.MISSING]
    _TALLY["cached"] += len(configs) - len(todo)
    if not todo:
        return results
    bar = progress(total=len(configs), initial=len(configs) - len(todo), desc=desc, disable=not show_progress)
    threads = torch.get_num_threads()
    try:
        if address is None:
            for i in todo:
                results[i], seconds = _run_one(compute, configs[i], threads)
                cache.store(configs[i], results[i], code=code, namespace=namespace)
                bar.set_postfix_str(f"{seconds:.1f} s/run")
                bar.update()
        else:
            order = submission_order(todo, configs, cost)
            _ray_sweep(compute, configs, order, results, namespace, code, address, threads, max_retries, bar)
    finally:
        bar.close()
    _TALLY["computed"] += len(todo)
    return results


def submission_order(
    todo: Sequence[int], configs: Sequence[dict[str, Any]], cost: Callable[[dict[str, Any]], float] | None
) -> list[int]:
    """The indices ``todo`` costliest first by ``cost`` (ties, and no ``cost``: as given)."""
    if cost is None:
        return list(todo)
    return sorted(todo, key=lambda i: -cost(configs[i]))  # a stable sort keeps ties in order


def _ray_sweep(
    compute: Callable[[dict[str, Any]], Any],
    configs: list[dict[str, Any]],
    todo: list[int],
    results: list[Any],
    namespace: str,
    code: str,
    address: str,
    threads: int,
    max_retries: int,
    bar: Any,
) -> None:
    try:
        import ray
    except ImportError as err:
        raise ImportError(
            f"{ADDRESS_ENV}={address!r} asks for a Ray cluster, but Ray is not installed: "
            'pip install -e ".[cluster]"'
        ) from err
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves the machine
    started_here = not ray.is_initialized()
    if started_here:
        options = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray.init(**({} if address == "local" else {"address": address}), **options)
    try:
        resources = ray.cluster_resources()
        gpus = 1 if resources.get("GPU", 0) >= 1 else 0
        cpus = max(1, min(threads, int(resources.get("CPU", 1))))
        task = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=max_retries)(_run_one)
        pending = {task.remote(compute, configs[i], cpus): i for i in todo}
        seconds: list[float] = []
        while pending:
            finished, _ = ray.wait(list(pending), num_returns=1)
            i = pending.pop(finished[0])
            results[i], spent = ray.get(finished[0])
            cache.store(configs[i], results[i], code=code, namespace=namespace)
            seconds.append(spent)
            running = min(len(pending), max(1, int(resources.get("CPU", 1)) // cpus))
            bar.set_postfix_str(
                f"running {running}, left {len(pending)}, {sum(seconds) / len(seconds):.1f} s/task"
            )
            bar.update()
    finally:
        if started_here:
            ray.shutdown()
