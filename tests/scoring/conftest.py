import pytest


@pytest.fixture(scope="session")
def tables(synthetic_tables):
    return synthetic_tables
