"""Letters into files, safely: the run, its two passes, the spool, the manifest, progress."""
