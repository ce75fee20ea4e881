"""End-to-end benchmark scenarios on the real stack (bench/stack.py)."""
