"""Research studies: scripts that train and score networks and write the tables and figures in docs/."""
