"""One module per channel; each defines ``CHANNEL`` (a
:class:`replywatch.collectors.registry.Channel`) and is found by the registry
without being listed anywhere. See docs/collectors.md, "Adding a channel"."""
