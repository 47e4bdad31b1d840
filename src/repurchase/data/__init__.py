"""Data in: loading and validating the canonical tables, the synthetic retailer, importers."""
