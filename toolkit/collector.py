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

#: Whether `pause` stopped the collector and `resume` has not started it yet: a program that
#: uses notice as a library and turned the collector off itself keeps it off.
_paused = False


def pause() -> None:
    """As the command starts: collect nothing until `resume`."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Freeze what was made since `pause` (never scanned again) and collect from here on;
    nothing if `pause` did not stop the collector (the library without the CLI, a second
    build). A worker forked while paused inherits the flag, and resumes too."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
