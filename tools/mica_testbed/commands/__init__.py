"""The subcommands of ``mica-testbed`` besides ``demo``, one module each, in the plugin shape of
``mica_jailhouse.commands`` (``name``, ``help``, ``setup_parser``, ``run``); ``mica_testbed.cli``
runs them through ``mica_jailhouse.commands.guard``, the one place exit codes are decided.
"""
