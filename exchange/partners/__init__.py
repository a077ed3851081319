"""Partners: the partner profile (what matching reads) and its rules."""
