"""The services of one cluster, as the API layer and the operations reach them.

Nova's API object holds its clients (``compute_task_api``, ``compute_rpcapi``)
and a compute manager is found by its host through the message bus. Here one
:class:`Services` holds the shared :class:`Context`, the RPC client to the
computes, the conductor and, for the periodic tasks a compute runs on itself,
the compute managers by host.
"""

from __future__ import annotations

from dataclasses import dataclass

from .compute_manager import ComputeManager
from .conductor import ComputeTaskManager
from .context import Context
from .rpcapi import ComputeAPI


@dataclass
class Services:
    context: Context
    compute_rpcapi: ComputeAPI
    compute_task_api: ComputeTaskManager
    computes: dict[str, ComputeManager]
