"""German meanings of every state and trigger, one module per process (see spec.described)."""
