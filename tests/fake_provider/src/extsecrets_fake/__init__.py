"""A fake provider for extsecrets' own tests: values come from the store manifest itself."""
