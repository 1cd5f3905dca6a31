"""Reading the CSV files that the comparisons and commands write, for the tests."""

import csv

import numpy as np


def _number_or_text(s: str):
    try:
        return float(s)
    except ValueError:
        return s


def read_columns(path) -> dict:
    """A CSV file with a header row as {column name: numpy array}: numbers as floats,
    other fields as text (a column of numbers is a float array)."""
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    return {k: np.array([_number_or_text(r[k]) for r in rows]) for k in rows[0]}
