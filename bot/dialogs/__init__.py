"""Channel-agnostic dialogs: one input and the stored state in, replies and the new state out."""
