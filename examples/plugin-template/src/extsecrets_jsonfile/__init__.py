"""extsecrets-jsonfile: secrets kept in a JSON file (an example provider plugin)."""
