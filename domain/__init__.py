"""The shared core of tradecover: pure rules, async services and storage."""
