"""ggen-hello: the minimal example pack of docs/plugins.md."""
