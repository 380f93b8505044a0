"""One-line summaries of the marts, for `make demo` and reports."""
