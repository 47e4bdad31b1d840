"""Data in: loading and validating the canonical tables, importers of public datasets (the synthetic
retailer is `repurchase.synthetic`)."""
