pytest_plugins = ["extsecrets.testing"]
