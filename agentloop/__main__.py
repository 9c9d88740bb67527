from agentloop.cli import entry

entry()
