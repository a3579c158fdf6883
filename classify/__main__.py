"""python -m classify: the classifier commands without the rest of the hotline CLI."""

from classify.cli import main

main()
