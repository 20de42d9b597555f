"""What the benchmarks measure about processes and the machine (``make bench``, ``make soak``)."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any


def descendants(pid: int) -> list[int]:
    """``pid`` and all its child processes, from ``/proc``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _sum_kb(pid: int, file: str, field: str) -> int:
    """The sum of a ``/proc/<pid>/<file>`` field (in kB) over ``pid`` and its children."""
    total_kb = 0
    for each in descendants(pid):
        try:
            for line in Path(f"/proc/{each}/{file}").read_text().splitlines():
                if line.startswith(field):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of ``pid`` and its children, in MB."""
    return _sum_kb(pid, "status", "VmRSS:") / 1024


def pss_mb(pid: int) -> float:
    """Proportional memory (Pss) of ``pid`` and its children, in MB.

    Unlike the resident set, pages shared between processes (PostgreSQL's shared
    buffers, libraries) are divided between them rather than counted in each.
    """
    return _sum_kb(pid, "smaps_rollup", "Pss:") / 1024


def machine_info() -> dict[str, Any]:
    """The machine and software versions the numbers were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    os_name = "unknown"
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            os_name = line.split("=", 1)[1].strip('"')
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": f"{os_name} (Linux {platform.release()})",
        "python": platform.python_version(),
        "rasa": metadata.version("rasa"),
        "rasa_sdk": metadata.version("rasa-sdk"),
    }
