import sys

from repurchase.cli import main

sys.exit(main())
