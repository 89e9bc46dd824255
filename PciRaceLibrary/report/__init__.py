"""Journal and cluster state -> HTML fragments for Robot Framework's log.html.

Pure Python: nothing here imports ``robot``. The keyword layer logs what these
functions return with ``logger.info(html, html=True)``.
"""

from .bounds import bounded_journal
from .tables import bounded_state, render_state
from .timeline import render_timeline

__all__ = ["bounded_journal", "bounded_state", "render_state", "render_timeline"]
