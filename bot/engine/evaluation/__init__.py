"""The team's own evaluation of the narrative engine: seeded scenarios with ground truth,
a scorer (recall, precision, delay, alerts per story, naming, attribution) and two naive
peers run on the same streams. ``python -m bot.engine.evaluation`` prints the table.
"""
