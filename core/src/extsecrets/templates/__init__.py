"""Go ``text/template`` semantics in Python (the engine of ESO's template engine v2).

The public API is being written; ``values`` (the Go value model) and ``errors`` are stable.
"""
