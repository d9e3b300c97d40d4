"""TensorBoard's read endpoints under `/data/...`, with TensorBoard's response shapes, at full
resolution (TensorBoard samples; we serve every point), so scripts written against TensorBoard
keep working. Floats that are not finite are spelled "NaN", "Infinity", "-Infinity" as
TensorBoard does.

This router holds what spans kinds (`/data/runs`, `/data/plugins_listing`); each kind adds
its `/data/plugin/<name>/...` routes to it (`board.kinds`, `SummaryKind.routes`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from board.api.responses import TensorBoardJSON, store_of
from board.kinds import REGISTRY


def tensorboard_router() -> APIRouter:
    """A fresh `/data` router with the routes that span kinds."""
    router = APIRouter(prefix="/data", tags=["tensorboard"], default_response_class=TensorBoardJSON)

    @router.get("/runs")
    async def runs(request: Request):
        """Run names, ordered by their first event's wall time."""
        return store_of(request).runs()

    @router.get("/plugins_listing")
    def plugins_listing(request: Request):
        """The dashboards this server answers, each enabled when some run has its data."""
        store = store_of(request)
        names = store.runs()
        return {
            plugin.name: {
                "disable_reload": False,
                "enabled": bool(plugin.active(store, names)),
                "remove_dom": False,
                "tab_name": plugin.tab_name or plugin.name,
                "loading_mechanism": _loading_mechanism(plugin),
            }
            for kind in REGISTRY
            for plugin in kind.plugins
        }

    return router


def _loading_mechanism(plugin) -> dict:
    """How TensorBoard's frontend would load the plugin: its custom element, or an ES module
    in an iframe (the projector), as TensorBoard lists it."""
    if plugin.es_module_path:
        return {
            "type": "IFRAME",
            "module_path": f"/data/plugin/{plugin.name}{plugin.es_module_path}",
        }
    return {"type": "CUSTOM_ELEMENT", "element_name": plugin.element}
