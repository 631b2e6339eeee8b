"""notice: write, build and correct newsletters, mail magazines and public notices."""

__version__ = "0.1.0"

# Before any module of ours makes a dataclass: their generated methods are compiled once and
# kept, as their modules' bytecode is (toolkit.methods; issue 13).
from . import methods  # noqa: E402

methods.install()
