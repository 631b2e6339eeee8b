"""The garbage collector, paused while a command starts up (issue 13).

A command's start-up (its imports, the config, the build's cache) makes objects that live
until the process ends, and the collector's passes over them find next to no garbage: they
were 5-7% of a one-issue build of a 200-issue publication. CPython's `gc` docs give the pattern, for
processes that fork: ``gc.disable()`` early, ``gc.freeze()`` once the long-lived objects are
made, then collect again. What runs for long or makes garbage item by item (the build's
rendering, its workers, the preview's server) calls `resume` first; a command that reaches
none of them is a short process, and ends with the collector still paused.
"""

from __future__ import annotations

import gc


def pause() -> None:
    """As the command starts: collect nothing until `resume`."""
    gc.disable()


def resume() -> None:
    """Freeze what was made so far (never scanned again) and collect from here on; nothing
    if the collector runs already (the library called without the CLI, a second build)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
