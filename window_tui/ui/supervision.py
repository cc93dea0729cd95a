"""No silent failure: every worker's failure reaches the person at the screen (a
toast) and the log. Textual's Worker.StateChanged does not bubble, so each screen
hands its failed workers to its app, and each app reports them in one place."""

from __future__ import annotations

import logging
from datetime import datetime

from textual.worker import Worker, WorkerState

log = logging.getLogger("window_tui.ui")


class WorkerSupervisor:
    """Mixin for the apps: `report_worker_failure` logs, keeps and shows the failure."""

    worker_errors: list[str]

    def report_worker_failure(self, worker: Worker) -> None:
        error = worker.error
        log.error("worker %s failed", worker.name, exc_info=error)
        errors = self.__dict__.setdefault("worker_errors", [])
        errors.append(f"{datetime.now().astimezone():%H:%M:%S} {worker.name}：{type(error).__name__}：{error}")
        del errors[:-50]
        self.notify(f"后台任务出错（{worker.name}）：{error}", severity="error", timeout=10)  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.report_worker_failure(event.worker)


class SupervisedScreen:
    """Mixin for screens: their workers' failures go to the app's supervisor."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            app = self.app  # type: ignore[attr-defined]
            if isinstance(app, WorkerSupervisor):
                app.report_worker_failure(event.worker)
            else:
                log.error("worker %s failed", event.worker.name, exc_info=event.worker.error)
