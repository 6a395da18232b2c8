"""Fault-injection ("chaos") tests, issue 8: real processes killed, Redis restarted,
crashes between commit and publish, and contention on one hold."""
