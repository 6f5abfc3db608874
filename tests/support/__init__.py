"""In-process doubles of the ports and a client that runs the app in CPython (see doubles.py)."""
