"""``python -m fastcarbon``: the same command line as the ``fastcarbon`` console script."""

from fastcarbon.cli import app

if __name__ == "__main__":
    app(prog_name="fastcarbon")
