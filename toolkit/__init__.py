"""notice: write, build and correct newsletters, mail magazines and public notices."""

__version__ = "0.1.0"
