"""Bodies of the longer `listening-pipeline` commands; cli.py keeps the parser and the short ones."""
