"""The ``replywatch`` command's commands, one module per group; cli.py assembles them
(README "Layout": a new command goes in commands/<group>.py, registered in cli.py)."""
