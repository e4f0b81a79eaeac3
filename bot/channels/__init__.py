"""Chat channels: transports of the pipeline (:mod:`bot.pipeline`). Each turns its platform's
updates into what the dialogs read and the dialogs' replies into what its platform shows;
ordering, repeats, handling and errors are the pipeline's."""
