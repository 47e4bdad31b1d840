"""Scheduler entry point for the retrain pipeline: the same as `repurchase retrain ARGS`.

    python pipelines/retrain.py --profile online_retail_ii --data data/orii
"""

import sys

from repurchase.cli import main

if __name__ == "__main__":
    sys.exit(main(["retrain", *sys.argv[1:]]))
