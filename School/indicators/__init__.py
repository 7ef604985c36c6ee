"""The ministry's numbers (UIS indicators) from the schools' own records.

`aggregate.py` counts one school's years at the school (counts only) and
`store.py` keeps them in `default` (YearAggregates), following every write
with the figures (School/platform/figures.py) and repaired by
`schools refresh-figures`. `rates.py` computes the indicators from those
counts alone, `tables.py` lays them out for `schools indicators`,
`census.py` writes the census workbook, `population.py` loads the
population by age that GER and NER need. Guide: docs/platform.md, "The
ministry's numbers".
"""
