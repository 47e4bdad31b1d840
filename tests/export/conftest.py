import pytest


@pytest.fixture(scope="session")
def tables(synthetic_tables):
    return synthetic_tables


@pytest.fixture(scope="session")
def result(tables, score_as_of, bundles_dir, score_config):
    """Both lists scored once at ``score_as_of`` from the session's bundles."""
    from repurchase.scoring import load_models, score

    return score(tables, score_as_of, load_models(bundles_dir, score_config), score_config)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server from scripts/postgres.sh (installed when missing), stopped afterwards."""
    import socket
    import subprocess

    from tests.conftest import REPO

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.run(["bash", str(REPO / "scripts" / "postgres.sh"), "start", str(port)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"could not start PostgreSQL (scripts/postgres.sh start {port}): {proc.stderr.strip()}")
    data_dir = proc.stdout.strip().splitlines()[-1]
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(["bash", str(REPO / "scripts" / "postgres.sh"), "stop", data_dir], timeout=120)
