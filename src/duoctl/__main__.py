"""Entry point for ``duoctl`` and ``python -m duoctl``."""

from duoctl.cli.app import main

if __name__ == "__main__":
    main()
