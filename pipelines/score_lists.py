"""Scheduler entry point for the scoring pipeline: the same as `repurchase score ARGS`.

    python pipelines/score_lists.py --profile my_shop --data /exports/today --db sqlite:///crm.db
"""

import sys

from repurchase.cli import main

if __name__ == "__main__":
    sys.exit(main(["score", *sys.argv[1:]]))
