"""What the project's commands and tests share: the local runner, the local D1 helpers, signal
handling for commands, and the fake upstream. Installed into the venv (editable) with the
project; never part of the Worker."""
