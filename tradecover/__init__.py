"""The process shell of tradecover: settings, the HTTP app, the CLI and the dev stack."""
