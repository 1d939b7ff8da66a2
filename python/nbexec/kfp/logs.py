"""nbexec's run events (``nbexec run --log-format json``, docs/events.md) as readable log lines
for the step's log (``kubectl logs``, the KFP UI, kfp.local's console)."""

from __future__ import annotations

import json
from typing import Any, Optional


def parse(line: str) -> Optional[dict[str, Any]]:
    """The event on one stderr line, or None when the line is not an event."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    return event if isinstance(event, dict) and "event" in event else None


def render(event: dict[str, Any]) -> Optional[str]:
    """One log line for an event, or None for events not worth a line (outputs are already in
    the log as the cells' own text, saves are frequent)."""
    kind = event.get("event")
    if kind == "log":
        return f"nbexec: {event.get('message', '')}"
    if kind == "warning":
        return f"nbexec: warning: {event.get('message', '')}"
    if kind == "run_start":
        return (f"nbexec: running {event.get('code_cells')} code cells on kernel "
                f"{event.get('kernel')} with parameters {json.dumps(event.get('parameters'))}")
    if kind == "cell_start":
        description = f" ({event['description']})" if event.get("description") else ""
        return (f"nbexec: executing cell {event.get('cell_index')} "
                f"[{event.get('cell_number')}/{event.get('code_cells')}]{description}")
    if kind == "cell_end" and event.get("status") != "completed":
        detail = ""
        if event.get("ename"):
            detail = f": {event['ename']}: {event.get('evalue', '')}"
        return f"nbexec: cell {event.get('cell_index')} {event.get('status')}{detail}"
    if kind == "run_end":
        line = (f"nbexec: run {event.get('status')} (exit {event.get('exit_code')}) after "
                f"{event.get('duration', 0):.1f} s, "
                f"{event.get('cells_executed', 0)} cells executed")
        if event.get("error"):
            line += f": {event['error']}"
        return line
    return None
