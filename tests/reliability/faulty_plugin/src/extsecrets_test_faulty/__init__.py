"""A plugin that misbehaves on purpose (tests/reliability/test_plugin_faults.py)."""
