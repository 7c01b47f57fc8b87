"""Pure rules, one module per finding category: Exchange(s) in, Findings out. No I/O."""
