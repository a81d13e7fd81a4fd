"""Pure rules from the MIAP guide *Managing Your Users* (v4). No I/O, stdlib only."""
